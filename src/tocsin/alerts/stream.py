"""Which alerts a reader asks for: the filter of the alert stream, as SQL conditions.

The API and the console filter alike through `conditions`, so a filter means the same
thing in a list, in its counts per status and in its CSV export."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.models import Alert, Integration
from tocsin.alerts.states import ALL as ALL_STATUSES
from tocsin.auth.principal import Principal
from tocsin.catalog.resolve import service_by_slug
from tocsin.core.errors import ValidationFailed
from tocsin.core.ids import as_id, is_number
from tocsin.core.times import filter_time
from tocsin.incidents.models import Incident
from tocsin.integrations.base import Severity

SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
MAX_SEARCH = 200


@dataclass(frozen=True)
class AlertFilter:
    """Every field narrows the stream; None or "" means "any"."""

    status: str | None = None
    severity: str | None = None
    integration: str | None = None  # name or id
    service: str | None = None  # slug: alerts of its integrations or of its incidents
    incident: str | None = None  # number or id
    dedup_key: str | None = None
    q: str | None = None  # text in the summary, the source or the dedup key
    since: datetime | None = None  # last seen at or after

    def without_status(self) -> AlertFilter:
        return replace(self, status=None)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _integration_id(session: Session, principal: Principal, ref: str) -> int:
    row = session.scalar(
        select(Integration).where(
            (Integration.name == ref) | (Integration.id == (as_id(ref) or -1))
        )
    )
    if row is None or not principal.sees_customer(row.customer_id):
        raise ValidationFailed(f"There is no integration {ref!r}.", field="integration")
    return row.id


def _incident_id(session: Session, ref: str) -> int:
    text = ref.strip().upper()
    ident = as_id(text)
    if ident is None and is_number(text):
        raise ValidationFailed(
            f"There is no incident {ref!r}; use its id or its number.", field="incident"
        )
    found = session.scalar(
        select(Incident.id).where(
            Incident.id == ident if ident is not None else Incident.number == text
        )
    )
    return found or -1


def conditions(session: Session, principal: Principal, f: AlertFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions for `f`, tenant included; ValidationFailed names a bad field."""
    out: list[ColumnElement[bool]] = []
    if not principal.all_customers:
        out.append(Alert.customer_id == principal.customer_id)
    if f.status:
        if f.status not in ALL_STATUSES:
            raise ValidationFailed(
                f"status must be one of {', '.join(sorted(ALL_STATUSES))}", field="status"
            )
        out.append(Alert.status == f.status)
    if f.severity:
        if f.severity not in SEVERITIES:
            raise ValidationFailed(
                f"severity must be one of {', '.join(SEVERITIES)}", field="severity"
            )
        out.append(Alert.severity == f.severity)
    if f.dedup_key:
        out.append(Alert.dedup_key == f.dedup_key)
    if f.integration:
        out.append(Alert.integration_id == _integration_id(session, principal, f.integration))
    if f.service:
        service = service_by_slug(session, principal, f.service, field="service")
        out.append(
            or_(
                Alert.integration_id.in_(
                    select(Integration.id).where(Integration.service_id == service.id)
                ),
                Alert.incident_id.in_(select(Incident.id).where(Incident.service_id == service.id)),
            )
        )
    if f.incident:
        out.append(Alert.incident_id == _incident_id(session, f.incident))
    if f.q and f.q.strip():
        like = _like(f.q.strip()[:MAX_SEARCH])
        out.append(
            or_(
                func.lower(Alert.summary).like(like, escape="\\"),
                func.lower(Alert.source).like(like, escape="\\"),
                func.lower(Alert.dedup_key).like(like, escape="\\"),
            )
        )
    if f.since is not None:
        out.append(Alert.last_seen_at >= filter_time(f.since, principal.time_zone, field="since"))
    return out
