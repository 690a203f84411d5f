"""The SLA clocks still running that are at risk or breached, for the console's overview."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.sla.models import IncidentSla
from tocsin.sla.reads import sla_of
from tocsin.sla.rows import CalendarCache
from tocsin.sla.schemas import SlaOut

# Incidents sit above the SLA package in the layers: the one column read here is named as
# a plain table so that sla does not import them.
INCIDENTS = sa.table("incidents", sa.column("id"), sa.column("number"))


@dataclass(frozen=True, slots=True)
class AtRisk:
    number: str
    sla: SlaOut


@dataclass(slots=True)
class SlaNow:
    """Running clocks past their warning share (`warning`) or past a target (`breached`),
    soonest due first."""

    warning: list[AtRisk] = field(default_factory=list)
    breached: list[AtRisk] = field(default_factory=list)


def sla_now(
    session: Session,
    cache: CalendarCache,
    now: datetime,
    *,
    customer_id: int | None,
    default_share: float,
) -> SlaNow:
    """The running clocks (of one customer, or of all when `customer_id` is None) whose
    state, as an incident's answer shows it, is "warning" or "breached"."""
    query = select(IncidentSla.incident_id, INCIDENTS.c.number).join(
        INCIDENTS, INCIDENTS.c.id == IncidentSla.incident_id
    )
    query = query.where(
        IncidentSla.stopped_at.is_(None),
        IncidentSla.policy_id.is_not(None),
        IncidentSla.resolution_met_at.is_(None),
    )
    if customer_id is not None:
        query = query.where(IncidentSla.customer_id == customer_id)
    numbers: dict[int, str] = {ident: str(number) for ident, number in session.execute(query)}
    found = sla_of(session, cache, list(numbers), now, default_share=default_share)
    out = SlaNow()
    for incident_id, sla in found.items():
        item = AtRisk(number=numbers[incident_id], sla=sla)
        if sla.state == "breached":
            out.breached.append(item)
        elif sla.state == "warning":
            out.warning.append(item)
    out.warning.sort(key=lambda x: (x.sla.resolution.remaining_seconds, x.number))
    out.breached.sort(key=lambda x: x.number)
    return out
