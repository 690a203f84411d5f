"""Paging's duties for the engine: read the outbox, step escalations, watch SLA clocks."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.service import default_customer
from tocsin.db.session import Database
from tocsin.incidents.models import Incident
from tocsin.incidents.service import IncidentService
from tocsin.notifications.deliveries import DeliveryService
from tocsin.paging.dispatcher import Dispatcher
from tocsin.paging.escalator import Escalator
from tocsin.paging.links import ActionLinks
from tocsin.paging.pages import Pager
from tocsin.sla.service import SlaService


@dataclass
class PagingService:
    db: Database
    incidents: IncidentService
    sla: SlaService
    deliveries: DeliveryService
    links: ActionLinks
    base_url: str
    _principal: Principal | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.pager = Pager(self.deliveries, self.links, self.base_url)
        self.escalator = Escalator(self.incidents, self.pager, self._engine_principal)
        self.dispatcher = Dispatcher(self.db, self.sla, self.escalator, self.pager, self.deliveries)

    def _engine_principal(self, session: Session) -> Principal:
        """The engine acts as a system administrator of the provider (what it does is
        its policies' doing, and the audit log names it "system:engine")."""
        if self._principal is None:
            self._principal = system_principal(
                default_customer_id=default_customer(session).id, name="engine"
            )
        return self._principal

    def dispatch(self) -> int:
        return self.dispatcher.dispatch()

    def escalate(self) -> int:
        with self.db.unit_of_work() as uow:
            return self.escalator.run_due(uow, self.db.clock.now())

    def watch_sla(self) -> int:
        """Warnings and breaches of SLA clocks become incident events (and so timeline
        entries, pages and channel messages)."""
        now = self.db.clock.now()
        with self.db.unit_of_work() as uow:
            crossings = self.sla.check(uow, now)
            for crossing in crossings:
                incident = uow.session.get(Incident, crossing.incident_id)
                if incident is None:
                    continue
                what = f"{crossing.target.capitalize()} SLA ({crossing.policy_slug})"
                due = crossing.due_at.isoformat(timespec="minutes")
                if crossing.kind == "warning":
                    kind, message = "sla_warning", f"{what} at risk: due {due}."
                else:
                    kind, message = "sla_breached", f"{what} breached: was due {due}."
                self.incidents.log(
                    uow,
                    self._engine_principal(uow.session),
                    incident,
                    kind=kind,
                    message=message,
                    extra={
                        "target": crossing.target,
                        "due_at": crossing.due_at.isoformat(),
                        "policy": crossing.policy_slug,
                        "escalate": crossing.escalate and crossing.kind == "breach",
                    },
                )
        return len(crossings)
