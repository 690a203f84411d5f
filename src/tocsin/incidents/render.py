"""Turning incident rows into API objects, with referenced names looked up in batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from tocsin.auth.models import Customer, User
from tocsin.catalog.models import Category, Service, Team
from tocsin.incidents.lifecycle import HoldReason, ResolutionCode, State, allowed_actions
from tocsin.incidents.models import Incident, IncidentShare
from tocsin.incidents.schemas import IncidentOut, IncidentType
from tocsin.sla.schemas import SlaOut


def _names(session: Session, model: type[Any], attribute: str, ids: set[int]) -> dict[int, str]:
    """id -> name for the referenced rows. Rows the session already holds (the incident
    just written, say) cost nothing; the rest come in one query."""
    names: dict[int, str] = {}
    missing = set()
    for key in ids:
        row = session.identity_map.get(identity_key(model, key))
        if row is not None:
            names[key] = str(getattr(row, attribute))
        else:
            missing.add(key)
    if missing:
        column = getattr(model, attribute)
        rows = session.execute(select(model.id, column).where(model.id.in_(missing)))
        names.update({int(k): str(v) for k, v in rows})
    return names


def render_many(
    session: Session,
    incidents: Sequence[Incident],
    *,
    slas: Mapping[int, SlaOut] | None = None,
) -> list[IncidentOut]:
    """Render a page of incidents with one query per referenced table, not per row (the
    SLA clocks, read by the caller for the page, come in `slas`)."""
    if not incidents:
        return []
    user_ids = {i for inc in incidents for i in (inc.requester_id, inc.assignee_id) if i}
    ids = [inc.id for inc in incidents]
    shares: dict[int, list[int]] = {}
    for incident_id, user_id in session.execute(
        select(IncidentShare.incident_id, IncidentShare.user_id).where(
            IncidentShare.incident_id.in_(ids)
        )
    ):
        shares.setdefault(incident_id, []).append(user_id)
        user_ids.add(user_id)
    users = _names(session, User, "email", user_ids)
    customers = _names(session, Customer, "slug", {i.customer_id for i in incidents})
    teams = _names(session, Team, "slug", {i.team_id for i in incidents if i.team_id})
    services = _names(session, Service, "slug", {i.service_id for i in incidents if i.service_id})
    categories = _names(
        session,
        Category,
        "name",
        {c for i in incidents for c in (i.category_id, i.subcategory_id) if c},
    )

    def opt(mapping: dict[int, str], key: int | None) -> str | None:
        return mapping.get(key) if key else None

    out = []
    for inc in incidents:
        state = State(inc.state)
        out.append(
            IncidentOut(
                id=inc.id,
                number=inc.number,
                title=inc.title,
                description=inc.description,
                type=IncidentType(inc.type),
                category=opt(categories, inc.category_id),
                subcategory=opt(categories, inc.subcategory_id),
                service=opt(services, inc.service_id),
                customer=customers[inc.customer_id],
                requester=opt(users, inc.requester_id),
                team=opt(teams, inc.team_id),
                assignee=opt(users, inc.assignee_id),
                impact=inc.impact,
                urgency=inc.urgency,
                priority=inc.priority,
                priority_label=f"P{inc.priority}",
                priority_overridden=inc.priority_overridden,
                priority_reason=inc.priority_reason,
                tags=list(inc.tags or []),
                major=inc.major,
                state=state,
                hold_reason=HoldReason(inc.hold_reason) if inc.hold_reason else None,
                resolution_code=(
                    ResolutionCode(inc.resolution_code) if inc.resolution_code else None
                ),
                resolution_notes=inc.resolution_notes,
                cancel_reason=inc.cancel_reason,
                reopen_count=inc.reopen_count,
                reassignment_count=inc.reassignment_count,
                version=inc.version,
                opened_at=inc.opened_at,
                acknowledged_at=inc.acknowledged_at,
                resolved_at=inc.resolved_at,
                closed_at=inc.closed_at,
                updated_at=inc.updated_at,
                shared_with=sorted(users[u] for u in shares.get(inc.id, [])),
                allowed_actions=allowed_actions(state),
                sla=slas.get(inc.id) if slas else None,
            )
        )
    return out


def render_one(
    session: Session, incident: Incident, *, slas: Mapping[int, SlaOut] | None = None
) -> IncidentOut:
    return render_many(session, [incident], slas=slas)[0]
