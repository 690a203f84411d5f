"""Where a process learns what changed: the outbox tailed by id (incidents), and a watermark
of the alerts table (alerts write no outbox rows; a repeat writes no event at all).

Both are read once per tick of the process's bus, never per open stream, and both are
index range reads: the outbox by its primary key, the alerts by id and by `last_seen_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tocsin.alerts.models import Alert
from tocsin.incidents.models import Incident
from tocsin.live.changes import Change, gaps
from tocsin.notifications.models import OutboxMessage

OUTBOX_BATCH = 500  # outbox rows read per query; a tick reads again while it fills them
GAP_TICKS = 20  # how many ticks an outbox gap is looked at again (see changes.gaps)
GAP_LIMIT = 1000  # a jump wider than this is not a commit race (a sequence cache): ignored
ALERT_TOPIC = "alert.changed"


@dataclass(frozen=True, slots=True)
class AlertMark:
    """How far the alerts table had moved: its newest id and its latest sighting."""

    max_id: int
    last_seen: datetime | None


def alert_mark(session: Session) -> AlertMark:
    max_id, last_seen = session.execute(
        select(func.max(Alert.id), func.max(Alert.last_seen_at))
    ).one()
    return AlertMark(max_id or 0, last_seen)


def alert_changes(session: Session, since: AlertMark) -> tuple[AlertMark, list[Change]]:
    """One `alerts` change per customer whose alerts moved since `since` (new, repeated,
    acknowledged, resolved: each sets `last_seen_at`, a new one also takes a new id)."""
    now = alert_mark(session)
    if now == since:
        return since, []
    moved = Alert.id > since.max_id
    if since.last_seen is not None:
        moved = or_(moved, Alert.last_seen_at > since.last_seen)
    customers = session.scalars(select(Alert.customer_id).where(moved).distinct()).all()
    return now, [Change("alerts", None, ALERT_TOPIC, customer) for customer in sorted(customers)]


def latest_outbox_id(session: Session) -> int:
    return session.scalar(select(func.max(OutboxMessage.id))) or 0


@dataclass(slots=True)
class OutboxTail:
    """The outbox read past `last` id, with the gaps below it looked at again for a while."""

    last: int
    _gaps: dict[int, int] = field(default_factory=dict)  # id -> ticks left

    def read(self, session: Session) -> tuple[list[Change], bool]:
        """The changes of the rows committed since the last read, and whether more rows
        wait (the batch was full)."""
        wanted = OutboxMessage.id > self.last
        if self._gaps:
            wanted = or_(wanted, OutboxMessage.id.in_(list(self._gaps)))
        rows = session.execute(
            select(
                OutboxMessage.id,
                OutboxMessage.topic,
                OutboxMessage.object_id,
                OutboxMessage.customer_id,
            )
            .where(wanted)
            .order_by(OutboxMessage.id)
            .limit(OUTBOX_BATCH)
        ).all()
        self._age_gaps(found={row.id for row in rows})
        fresh = [row.id for row in rows if row.id > self.last]
        if fresh:
            missing = gaps(self.last, fresh)
            if len(missing) <= GAP_LIMIT:
                self._gaps.update(dict.fromkeys(missing, GAP_TICKS))
            self.last = fresh[-1]
        numbers = _numbers(session, {row.object_id for row in rows})
        changes = [
            Change("incident", numbers.get(row.object_id or ""), row.topic, row.customer_id)
            for row in rows
        ]
        return changes, len(rows) == OUTBOX_BATCH

    def _age_gaps(self, found: set[int]) -> None:
        for gap in list(self._gaps):
            left = self._gaps.pop(gap) - 1
            if gap not in found and left > 0:
                self._gaps[gap] = left


def _numbers(session: Session, object_ids: set[str | None]) -> dict[str, str]:
    """Incident numbers by the ids the outbox names (it stores the incident's id)."""
    ids = {int(value) for value in object_ids if value and value.isdigit()}
    if not ids:
        return {}
    rows = session.execute(select(Incident.id, Incident.number).where(Incident.id.in_(ids)))
    return {str(row.id): row.number for row in rows}
