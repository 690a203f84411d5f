"""The on-call service against a real database: what paging reads (policy_for,
on_call_user_ids, policy_id_by_slug), overrides, audit entries, tenant scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from tocsin.audit.models import AuditEntry
from tocsin.auth.models import User
from tocsin.auth.roles import Role
from tocsin.catalog.models import Service, Team
from tocsin.catalog.schemas import ServicePatch, TeamPatch
from tocsin.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tocsin.oncall.models import Schedule
from tocsin.oncall.schemas import OverrideIn, PolicyIn, ScheduleIn, SchedulePatch
from tocsin.oncall.specs import (
    LevelSpec,
    PolicySpec,
    TargetSpec,
    on_call_user_ids,
    policy_for,
    policy_id_by_slug,
)

from .conftest import Org

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def schedule_in(slug: str = "primary", **extra: object) -> ScheduleIn:
    return ScheduleIn.model_validate(
        {
            "name": "Primary",
            "slug": slug,
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "days",
                    "start": "2026-03-02T09:00:00+01:00",
                    "rotation": "daily",
                    "users": ["agent@example.com", "agent2@example.com"],
                }
            ],
            **extra,
        }
    )


def ids(org: Org) -> dict[str, int]:
    with org.app.db.read() as s:
        return {u.email: u.id for u in s.scalars(select(User))}


def test_on_call_user_ids_follows_rotation_and_overrides(org: Org) -> None:
    app = org.app
    made = app.oncall.create_schedule(org.admin, schedule_in())
    users = ids(org)
    with app.db.read() as s:
        assert on_call_user_ids(s, made.id, T0) == [users["agent@example.com"]]
        assert on_call_user_ids(s, made.id, T0 + timedelta(days=1)) == [users["agent2@example.com"]]
        assert on_call_user_ids(s, made.id, datetime(2026, 3, 1, tzinfo=UTC)) == []
        assert on_call_user_ids(s, 999_999, T0) == []
    app.oncall.create_override(
        org.admin,
        "primary",
        OverrideIn(user="agent2@example.com", start=T0, end=T0 + timedelta(hours=2)),
    )
    with app.db.read() as s:
        assert on_call_user_ids(s, made.id, T0 + timedelta(hours=1)) == [
            users["agent2@example.com"]
        ]
        assert on_call_user_ids(s, made.id, T0 + timedelta(hours=2)) == [users["agent@example.com"]]


def test_policy_for_prefers_the_service_then_the_team(org: Org) -> None:
    app = org.app
    app.oncall.create_schedule(org.admin, schedule_in())
    for slug, targets in (
        ("web-policy", [{"type": "schedule", "ref": "primary"}]),
        (
            "ops-policy",
            [{"type": "team", "ref": "ops"}, {"type": "user", "ref": "agent2@example.com"}],
        ),
    ):
        app.oncall.create_policy(
            org.admin,
            PolicyIn.model_validate(
                {
                    "name": slug,
                    "slug": slug,
                    "repeat": 1,
                    "levels": [{"delay_minutes": 5, "targets": targets}],
                }
            ),
        )
    app.catalog.patch_team(org.admin, "ops", TeamPatch(escalation_policy="ops-policy"))
    users = ids(org)
    with app.db.read() as s:
        service = s.scalar(select(Service).where(Service.slug == "web"))
        team = s.scalar(select(Team).where(Team.slug == "ops"))
        schedule = s.scalar(select(Schedule).where(Schedule.slug == "primary"))
        assert service is not None
        assert team is not None
        assert schedule is not None
        team_policy = policy_for(s, service_id=service.id, team_id=team.id)
        assert team_policy == PolicySpec(
            id=team_policy.id if team_policy else 0,
            slug="ops-policy",
            name="ops-policy",
            repeat=1,
            levels=(
                LevelSpec(
                    delay_minutes=5,
                    targets=(
                        TargetSpec(type="team", id=team.id, label="ops"),
                        TargetSpec(
                            type="user", id=users["agent2@example.com"], label="agent2@example.com"
                        ),
                    ),
                ),
            ),
        )
        assert policy_for(s, service_id=None, team_id=None) is None
        service_id, team_id, schedule_id = service.id, team.id, schedule.id
    app.catalog.patch_service(
        org.admin, "web", ServicePatch(escalation_policy="web-policy"), customer="acme"
    )
    with app.db.read() as s:
        chosen = policy_for(s, service_id=service_id, team_id=team_id)
        assert chosen is not None
        assert chosen.slug == "web-policy"
        assert chosen.levels[0].targets == (
            TargetSpec(type="schedule", id=schedule_id, label="primary"),
        )


def test_policy_id_by_slug_names_the_customer_in_its_sentence(org: Org) -> None:
    with org.app.db.read() as s:
        acme = s.scalar(select(Service.customer_id).where(Service.slug == "web"))
        assert acme is not None
        with pytest.raises(ValidationFailed, match="no escalation policy 'nope' for customer acme"):
            policy_id_by_slug(s, "nope", customer_id=acme)


def test_changes_are_audited(org: Org) -> None:
    app = org.app
    app.oncall.create_schedule(org.admin, schedule_in())
    app.oncall.patch_schedule(org.admin, "primary", SchedulePatch(name="Primary rota"))
    override = app.oncall.create_override(
        org.admin,
        "primary",
        OverrideIn(user="agent2@example.com", start=T0, end=T0 + timedelta(hours=2)),
    )
    app.oncall.delete_override(org.admin, "primary", override.id)
    app.oncall.delete_schedule(org.admin, "primary")
    with app.db.read() as s:
        actions = list(
            s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action.like("schedule.%"))
                .order_by(AuditEntry.seq)
            )
        )
    assert actions == [
        "schedule.created",
        "schedule.updated",
        "schedule.override_created",
        "schedule.override_deleted",
        "schedule.deleted",
    ]
    with pytest.raises(NotFound):
        app.oncall.get_schedule(org.admin, "primary")


def test_slugs_are_per_customer_and_conflicts_are_sentences(org: Org) -> None:
    app = org.app
    app.oncall.create_schedule(org.admin, schedule_in())
    with pytest.raises(Conflict, match="already has a schedule 'primary'"):
        app.oncall.create_schedule(org.admin, schedule_in())
    acme_agent, _ = make_user(app, org.admin, "agent@acme.test", Role.AGENT, "acme")
    made = app.oncall.create_schedule(
        org.admin,
        ScheduleIn.model_validate(
            {
                **schedule_in().model_dump(mode="json"),
                "customer": "acme",
                "layers": [
                    {
                        **schedule_in().model_dump(mode="json")["layers"][0],
                        "users": ["agent@acme.test", "agent@example.com"],
                    }
                ],
            }
        ),
    )
    assert made.customer == "acme"
    # acme's agent sees acme's "primary", never the provider's
    assert app.oncall.get_schedule(acme_agent, "primary").id == made.id
    assert [s.slug for s in app.oncall.list_schedules(acme_agent).items] == ["primary"]
    # the provider's staff, without a customer, are asked to name one... unless the
    # provider has its own, which they get
    assert app.oncall.get_schedule(org.agent, "primary").customer != "acme"
    assert app.oncall.get_schedule(org.agent, "primary", customer="acme").id == made.id
    app.oncall.delete_schedule(org.admin, "primary", customer=None)
    with pytest.raises(ValidationFailed, match="There is no schedule 'primary' for customer"):
        app.oncall.create_policy(
            org.admin,
            PolicyIn.model_validate(
                {
                    "name": "x",
                    "slug": "x",
                    "levels": [
                        {"delay_minutes": 0, "targets": [{"type": "schedule", "ref": "primary"}]}
                    ],
                }
            ),
        )
    with pytest.raises(PermissionDenied):
        app.oncall.list_schedules(org.requester)


def test_who_is_on_call_answers_each_schedule(org: Org) -> None:
    app = org.app
    app.oncall.create_schedule(org.admin, schedule_in())
    answer = app.oncall.on_call(org.agent, at=T0 + timedelta(days=1, hours=1))
    [item] = answer.items
    [who] = item.on_call
    assert who.user == "agent2@example.com"
    assert who.start == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert who.end == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
