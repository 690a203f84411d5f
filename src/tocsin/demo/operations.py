"""The demo's on-call and SLA set-up: what a service desk configures before its first
incident, so every console page has something real to show.

Each provider team with people gets a weekly rotation over its members (hand-off Monday
09:00 Berlin) and an escalation policy: the person on call first, the whole team after
15 minutes, one repeat. An office-hours calendar (Berlin, German holidays) carries the SLA
targets of P2 to P5; P1 runs round the clock. Two integrations show where alerts come in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import TeamPatch
from tocsin.core.times import zone
from tocsin.demo.people import TEAMS, members_of
from tocsin.oncall.schemas import LayerIn, LevelIn, PolicyIn, ScheduleIn, TargetIn
from tocsin.sla.schemas import CalendarIn, SlaPolicyIn

ZONE = "Europe/Berlin"
OFFICE = "office-hours"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

# priority: (response minutes, resolution minutes, calendar); business minutes on the
# office calendar (a working day is 10 hours), elapsed minutes round the clock for P1.
SLA_TARGETS: dict[int, tuple[int, int, str | None]] = {
    1: (15, 4 * 60, None),
    2: (30, 8 * 60, OFFICE),
    3: (4 * 60, 3 * 600, OFFICE),
    4: (8 * 60, 5 * 600, OFFICE),
    5: (2 * 600, 10 * 600, OFFICE),
}

INTEGRATIONS = (
    ("alertmanager", "Prometheus Alertmanager", "platform"),
    ("pagerduty", "Uptime checks (PagerDuty Events v2)", "network"),
)


def set_up_operations(demo: Tocsin, admin: Principal, start: datetime) -> None:
    """Create the calendar, SLA policies, schedules, escalation policies and integrations
    (their keys are not shown: create a new integration in the console to send alerts)."""
    demo.sla.calendars.create(
        admin,
        CalendarIn(
            slug=OFFICE,
            name="Office hours (Berlin)",
            time_zone=ZONE,
            hours={day: ["08:00", "18:00"] for day in WEEKDAYS},
            holidays="DE",
        ),
    )
    for priority, (respond, resolve, calendar) in SLA_TARGETS.items():
        demo.sla.policies.create(
            admin,
            SlaPolicyIn(
                name=f"P{priority} targets",
                slug=f"p{priority}",
                priority=priority,
                response_minutes=respond,
                resolution_minutes=resolve,
                calendar=calendar,
                escalate_on_breach=priority == 1,
            ),
        )
    first_handoff = _monday_before(start)
    for team in TEAMS:
        people = [p.email for p in members_of(team.slug)]
        if team.customer is not None or len(people) < 2:
            continue
        schedule = f"{team.slug}-oncall"
        demo.oncall.create_schedule(
            admin,
            ScheduleIn(
                name=f"{team.name} on call",
                slug=schedule,
                time_zone=ZONE,
                layers=[
                    LayerIn(
                        name="Weekly",
                        start=first_handoff,
                        rotation="weekly",
                        handoff="09:00",
                        users=people,
                    )
                ],
            ),
        )
        policy = f"{team.slug}-escalation"
        demo.oncall.create_policy(
            admin,
            PolicyIn(
                name=f"{team.name} escalation",
                slug=policy,
                repeat=1,
                levels=[
                    LevelIn(delay_minutes=15, targets=[TargetIn(type="schedule", ref=schedule)]),
                    LevelIn(delay_minutes=30, targets=[TargetIn(type="team", ref=team.slug)]),
                ],
            ),
        )
        demo.catalog.patch_team(admin, team.slug, TeamPatch(escalation_policy=policy))
    for kind, name, team_slug in INTEGRATIONS:
        demo.integrations.create(admin, IntegrationIn(type=kind, name=name, team=team_slug))


def _monday_before(moment: datetime) -> datetime:
    local = moment.astimezone(zone(ZONE))
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return monday if monday <= local else monday - timedelta(days=7)
