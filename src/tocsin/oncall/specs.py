"""What the paging engine reads of on-call: a service's or team's escalation policy as
plain frozen values, who is on call on a schedule, and a policy's id from its slug."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.core.errors import ValidationFailed
from tocsin.db.memo import per_transaction
from tocsin.oncall.models import EscalationPolicy, Schedule, ScheduleOverride
from tocsin.oncall.refs import (
    SERVICES,
    TEAMS,
    customer_slug,
    owned_by,
    team_slugs,
)
from tocsin.oncall.rotation import on_call_at
from tocsin.oncall.stored import stored_schedule


@dataclass(frozen=True, slots=True)
class TargetSpec:
    type: str  # "user" | "schedule" | "team"
    id: int
    label: str  # the user's e-mail, or the schedule's or team's slug


@dataclass(frozen=True, slots=True)
class LevelSpec:
    delay_minutes: int
    targets: tuple[TargetSpec, ...]


@dataclass(frozen=True, slots=True)
class PolicySpec:
    id: int
    slug: str
    name: str
    repeat: int
    levels: tuple[LevelSpec, ...]


def policy_spec(session: Session, policy: EscalationPolicy) -> PolicySpec:
    labels = target_labels(session, [policy])
    return PolicySpec(
        id=policy.id,
        slug=policy.slug,
        name=policy.name,
        repeat=policy.repeat,
        levels=tuple(
            LevelSpec(
                delay_minutes=int(level["delay_minutes"]),
                targets=tuple(
                    TargetSpec(
                        type=t["type"],
                        id=int(t["id"]),
                        label=labels.get((t["type"], int(t["id"])), f"#{t['id']}"),
                    )
                    for t in level["targets"]
                ),
            )
            for level in policy.levels
        ),
    )


def target_labels(session: Session, policies: list[EscalationPolicy]) -> dict[tuple[str, int], str]:
    """(type, id) -> e-mail or slug, for every target of `policies`, in three queries."""
    wanted: dict[str, set[int]] = {"user": set(), "schedule": set(), "team": set()}
    for policy in policies:
        for level in policy.levels:
            for target in level["targets"]:
                wanted[target["type"]].add(int(target["id"]))
    labels: dict[tuple[str, int], str] = {}
    if wanted["user"]:
        for uid, email in session.execute(
            select(User.id, User.email).where(User.id.in_(wanted["user"]))
        ):
            labels["user", uid] = email
    if wanted["schedule"]:
        for sid, slug in session.execute(
            select(Schedule.id, Schedule.slug).where(Schedule.id.in_(wanted["schedule"]))
        ):
            labels["schedule", sid] = slug
    for tid, slug in team_slugs(session, wanted["team"]).items():
        labels["team", tid] = slug
    return labels


def policy_for(
    session: Session, *, service_id: int | None, team_id: int | None
) -> PolicySpec | None:
    """The escalation policy that pages for an incident: its service's, else its team's."""
    return per_transaction(
        session,
        ("policy_for", service_id, team_id),
        lambda: _policy_for(session, service_id=service_id, team_id=team_id),
    )


def _policy_for(
    session: Session, *, service_id: int | None, team_id: int | None
) -> PolicySpec | None:
    policy_id = None
    if service_id is not None:
        policy_id = session.scalar(
            select(SERVICES.c.escalation_policy_id).where(SERVICES.c.id == service_id)
        )
    if policy_id is None and team_id is not None:
        policy_id = session.scalar(
            select(TEAMS.c.escalation_policy_id).where(TEAMS.c.id == team_id)
        )
    if policy_id is None:
        return None
    policy = session.get(EscalationPolicy, policy_id)
    return policy_spec(session, policy) if policy is not None else None


def on_call_user_ids(session: Session, schedule_id: int, at: datetime) -> list[int]:
    """The ids of the users on call on a schedule at `at` (empty in a gap, or when the
    schedule is gone)."""
    return per_transaction(
        session, ("on_call", schedule_id, at), lambda: _on_call_user_ids(session, schedule_id, at)
    )


def _on_call_user_ids(session: Session, schedule_id: int, at: datetime) -> list[int]:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None:
        return []
    overrides = session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.start_at <= at,
            ScheduleOverride.end_at > at,
        )
        .order_by(ScheduleOverride.id)
    ).all()
    return on_call_at(stored_schedule(schedule, overrides), at)


def policy_id_by_slug(session: Session, slug: str, *, customer_id: int) -> int:
    """The policy a service or team of `customer_id` names: its customer's own, else the
    provider's (which serves every customer)."""
    found = dict(
        session.execute(
            select(EscalationPolicy.customer_id, EscalationPolicy.id).where(
                EscalationPolicy.slug == slug,
                EscalationPolicy.customer_id.in_(owned_by(session, customer_id)),
            )
        ).all()
    )
    policy_id = found.get(customer_id) or next(iter(found.values()), None)
    if policy_id is None:
        raise ValidationFailed(
            f"There is no escalation policy {slug!r} for customer "
            f"{customer_slug(session, customer_id)}.",
            field="escalation_policy",
        )
    return policy_id
