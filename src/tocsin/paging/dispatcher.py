"""The outbox's reader: every incident event, once committed, sets off what it should.

For each event, in order: the incident's SLA clocks move; an opened or reopened incident
starts its escalation run, an acknowledged or ended one stops it (and its delayed pages
are cancelled); a newly assigned person is paged; an SLA warning or breach pages the
assignee and may escalate; subscribed channels get a message. Then the outbox row is
marked delivered, in the same transaction, so an event is handled exactly once when all
goes well, and again (harmlessly: every step is idempotent) after a crash.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tocsin.audit.models import AuditEntry
from tocsin.db.session import Database, UnitOfWork
from tocsin.notifications.backoff import retry_delay
from tocsin.notifications.deliveries import DeliveryService
from tocsin.notifications.models import OutboxMessage
from tocsin.paging.escalator import Escalator
from tocsin.paging.messages import draft
from tocsin.paging.pages import Pager
from tocsin.paging.snapshot import IncidentSnapshot, load_snapshots
from tocsin.sla.events import IncidentEventView
from tocsin.sla.service import SlaService

log = logging.getLogger("tocsin.paging")
_RNG = random.Random()  # jitter for events that wait after a failure

_ENDED = {"resolved", "closed", "cancelled"}
# Events that tell the incident's people something; the others only move clocks and runs.
_PAGE_ASSIGNEE = {"incident.sla_warning", "incident.sla_breached"}


@dataclass(frozen=True, slots=True)
class Event:
    outbox_id: int
    incident_id: int
    action: str
    at: datetime
    actor: str
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.action.removeprefix("incident.")

    @property
    def changes(self) -> dict[str, list[Any]]:
        changes = self.data.get("changes") or {}
        return changes if isinstance(changes, dict) else {}

    def after(self, name: str) -> Any:
        pair = self.changes.get(name)
        return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


@dataclass
class Dispatcher:
    db: Database
    sla: SlaService
    escalator: Escalator
    pager: Pager
    deliveries: DeliveryService
    batch: int = 200

    def dispatch(self) -> int:
        """Handle the pending incident events; returns how many were handled."""
        now = self.db.clock.now()
        with self.db.read() as session:
            ids = list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.available_at <= now)
                    .order_by(OutboxMessage.id)
                    .limit(self.batch)
                )
            )
        if not ids:
            return 0
        try:
            with self.db.unit_of_work() as uow:
                self._handle(uow, ids, now)
        except Exception:
            # One bad event must not hold up the others: alone, it waits and is retried.
            log.exception("handling a batch of incident events failed; retrying one by one")
            for outbox_id in ids:
                self._handle_alone(outbox_id, now)
        return len(ids)

    def _handle_alone(self, outbox_id: int, now: datetime) -> None:
        try:
            with self.db.unit_of_work() as uow:
                self._handle(uow, [outbox_id], now)
        except Exception:
            log.exception("handling an incident event failed", extra={"outbox_id": outbox_id})
            with self.db.unit_of_work() as uow:
                row = uow.session.get(OutboxMessage, outbox_id)
                if row is not None:
                    row.attempts += 1
                    row.available_at = now + timedelta(seconds=retry_delay(row.attempts, _RNG))

    def _handle(self, uow: UnitOfWork, ids: list[int], now: datetime) -> None:
        session = uow.session
        events = _load_events(session, ids)
        snapshots = load_snapshots(session, {e.incident_id for e in events})
        for event in events:
            snapshot = snapshots.get(event.incident_id)
            if snapshot is not None:
                self._on_event(uow, event, snapshot)
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.delivered_at.is_(None))
            .values(delivered_at=now)
        )

    def _on_event(self, uow: UnitOfWork, event: Event, snapshot: IncidentSnapshot) -> None:
        self.sla.apply(uow, _view(event, snapshot))
        state = event.after("state")
        if event.action in {"incident.created", "incident.reopen"}:
            self.escalator.start(uow, snapshot, event.at)
        elif event.after("acknowledged_at") is not None or state in _ENDED:
            self.escalator.stop(uow, snapshot.id, _reason(event), event.at)
            self.deliveries.cancel_for_incident(uow, snapshot.id)
        self._page_people(uow, event, snapshot)
        message = draft(
            snapshot,
            kind=event.kind,
            base_url=self.pager.base_url,
            text=str(event.data.get("message") or ""),
            data={"changes": event.changes, "actor": event.actor},
        )
        self.pager.channels(uow, snapshot=snapshot, message=message, key=f"evt:{event.outbox_id}")

    def _page_people(self, uow: UnitOfWork, event: Event, snapshot: IncidentSnapshot) -> None:
        """Pages that are not escalation steps: a person newly made the assignee (unless
        they did it themselves), the assignee of an incident whose SLA is at risk."""
        text = str(event.data.get("message") or "")
        if event.action == "incident.assign" and snapshot.assignee_id is not None:
            assignee = event.after("assignee")
            if assignee and assignee == snapshot.assignee and assignee != event.actor:
                self._page(uow, event, snapshot, snapshot.assignee_id, text)
        elif event.action in _PAGE_ASSIGNEE:
            if event.data.get("escalate"):
                self.escalator.escalate_now(uow, snapshot, event.at)
            if snapshot.assignee_id is not None and snapshot.is_open:
                self._page(uow, event, snapshot, snapshot.assignee_id, text)

    def _page(
        self,
        uow: UnitOfWork,
        event: Event,
        snapshot: IncidentSnapshot,
        user_id: int,
        text: str,
    ) -> None:
        message = draft(snapshot, kind=event.kind, base_url=self.pager.base_url, text=text)
        self.pager.page(
            uow,
            user_id=user_id,
            snapshot=snapshot,
            message=message,
            dedupe_prefix=f"evt:{event.outbox_id}:{user_id}",
            at=event.at,
        )


def _reason(event: Event) -> str:
    state = event.after("state")
    return "acknowledged" if event.after("acknowledged_at") is not None else f"incident {state}"


def _view(event: Event, snapshot: IncidentSnapshot) -> IncidentEventView:
    state = event.after("state") or snapshot.state
    priority = event.after("priority")
    return IncidentEventView(
        incident_id=snapshot.id,
        action=event.action,
        at=event.at,
        changes=event.changes,
        customer_id=snapshot.customer_id,
        service_id=snapshot.service_id,
        priority=int(priority) if priority is not None else snapshot.priority,
        state=str(state),
        hold_reason=(
            event.after("hold_reason") if "hold_reason" in event.changes else snapshot.hold_reason
        ),
    )


def _load_events(session: Session, ids: list[int]) -> list[Event]:
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.object_id,
            AuditEntry.action,
            AuditEntry.at,
            AuditEntry.actor,
            AuditEntry.data,
        )
        .join(AuditEntry, AuditEntry.seq == OutboxMessage.audit_seq)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.id)
    )
    events = []
    for outbox_id, object_id, action, at, actor, data in rows:
        if object_id is None or not str(object_id).isdigit():
            continue
        events.append(
            Event(
                outbox_id=outbox_id,
                incident_id=int(object_id),
                action=action,
                at=at if at.tzinfo else at.replace(tzinfo=UTC),
                actor=actor,
                data=data if isinstance(data, dict) else {},
            )
        )
    return events
