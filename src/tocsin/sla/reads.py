"""An incident's SLA as the API shows it: policy, state, due times, what is left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.sla.models import BusinessCalendar, IncidentSla, SlaPolicy
from tocsin.sla.rows import EPSILON, TARGETS, CalendarCache, clock_of
from tocsin.sla.schemas import SlaOut, SlaTargetOut

State = Literal["ok", "warning", "breached", "paused", "met"]


def sla_of(
    session: Session,
    cache: CalendarCache,
    incident_ids: Sequence[int],
    now: datetime,
    *,
    default_share: float,
) -> dict[int, SlaOut]:
    """One query for a page of incidents; those without clocks are left out."""
    if not incident_ids:
        return {}
    rows = session.execute(
        select(IncidentSla, SlaPolicy, BusinessCalendar)
        .join(SlaPolicy, SlaPolicy.id == IncidentSla.policy_id)
        .outerjoin(BusinessCalendar, BusinessCalendar.id == SlaPolicy.calendar_id)
        .where(IncidentSla.incident_id.in_(list(incident_ids)))
    ).all()
    out: dict[int, SlaOut] = {}
    for row, policy, calendar_row in rows:
        calendar = cache.of(calendar_row)
        share = policy.warn_at if policy.warn_at is not None else default_share
        targets: dict[str, SlaTargetOut] = {}
        breached = warning = False
        for target in TARGETS:
            clock = clock_of(row, target)
            elapsed = clock.elapsed(calendar, now)
            live = clock.running and clock.met_at is None
            is_breached = clock.breached or (live and elapsed >= clock.target_seconds - EPSILON)
            breached = breached or is_breached
            warning = (
                warning
                or clock.warned_at is not None
                or (live and elapsed >= share * clock.target_seconds - EPSILON)
            )
            targets[target] = SlaTargetOut(
                due_at=getattr(row, f"{target}_due_at"),
                met_at=clock.met_at,
                breached=is_breached,
                remaining_seconds=round(clock.target_seconds - elapsed, 3),
            )
        state: State
        if breached:
            state = "breached"
        elif row.resolution_met_at is not None:
            state = "met"
        elif row.paused_since is not None:
            state = "paused"
        elif warning:
            state = "warning"
        else:
            state = "ok"
        out[row.incident_id] = SlaOut(
            policy=policy.slug,
            state=state,
            response=targets["response"],
            resolution=targets["resolution"],
            made_sla=row.made_sla,
        )
    return out
