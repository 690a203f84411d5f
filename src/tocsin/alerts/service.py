"""Use cases for alerts: ingest a batch, list alerts, maintenance windows."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.maintenance import Window
from tocsin.alerts.models import Alert, Integration, MaintenanceWindow
from tocsin.alerts.pipeline import Pipeline
from tocsin.alerts.probe import probe_alert
from tocsin.alerts.requests import RequestRecord, find_request, prune_requests, record_requests
from tocsin.alerts.schemas import (
    AlertDetail,
    AlertIncident,
    AlertOut,
    IntegrationActivity,
    MaintenanceWindowIn,
    MaintenanceWindowOut,
)
from tocsin.alerts.states import ALL as ALL_STATUSES
from tocsin.alerts.stream import AlertFilter, conditions
from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.catalog.models import Service
from tocsin.catalog.resolve import service_and_customer
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id
from tocsin.core.paging import Page, check_limit, encode_cursor, id_from
from tocsin.db.group_commit import BatchWriter, LoopBatcher
from tocsin.db.session import Database
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.models import Incident
from tocsin.integrations.base import NormalizedAlert, Severity

_WINDOWS_SECONDS = 5.0  # maintenance windows are re-read this often on the hot path


class AlertService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        actions: IncidentActions,
        *,
        matrix: Mapping[str, int],
        max_batch: int = 500,
    ) -> None:
        self.db = db
        self.clock = clock
        self.pipeline = Pipeline(actions, matrix=matrix)
        # Group commit (db/group_commit.py): the requests of a moment share a transaction.
        # `self.ingest` is looked up per batch, not bound here: tests put a failing one in.
        self.loop_writer: LoopBatcher[Item, Outcome] = LoopBatcher(
            lambda items: self.ingest(items), max_batch=max_batch
        )
        self.thread_writer: BatchWriter[Item, Outcome] = BatchWriter(
            lambda items: self.ingest(items), max_batch=max_batch
        )
        self._windows: tuple[float, list[Window]] = (-1e9, [])
        self._lock = threading.Lock()
        # What ingest committed since the start (reported by /metrics).
        self.batches = 0
        self.alerts_written = 0

    # ingest -------------------------------------------------------------------------------

    def windows(self) -> list[Window]:
        loaded_at, windows = self._windows
        if time.monotonic() - loaded_at < _WINDOWS_SECONDS:
            return windows
        now = self.clock.now()
        with self.db.read() as s:
            rows = s.scalars(
                select(MaintenanceWindow).where(
                    (MaintenanceWindow.recurrence != "none") | (MaintenanceWindow.ends_at > now)
                )
            ).all()
            fresh = [
                Window(r.customer_id, r.service_id, r.starts_at, r.ends_at, r.recurrence, r.until)
                for r in rows
            ]
        with self._lock:
            self._windows = (time.monotonic(), fresh)
        return fresh

    async def store(
        self,
        integration: IntegrationRef,
        alerts: Sequence[NormalizedAlert],
        payload: str | None = None,
        *,
        request_id: str | None = None,
    ) -> list[Outcome]:
        """Store a sender's alerts, on the caller's event loop (the web server's ingest
        routes), in one transaction with the other requests of the moment; answers after
        commit, one outcome per alert. `payload`: the request's body as stored
        (`payloads.payload_text`), kept with each of its alerts. `request_id`: the sender's
        request id, recorded with the outcome (`alerts.requests`)."""
        return await self.loop_writer.store(
            [Item(integration, alert, payload, request_id) for alert in alerts]
        )

    def submit(self, items: list[Item]) -> Future[list[Outcome]]:
        """The same, for callers on other threads (the syslog and SMTP receivers): the
        writer thread's future."""
        return self.thread_writer.submit(items)

    def stop(self) -> None:
        """Finish what the writer thread holds, then stop it."""
        self.thread_writer.stop()

    def ingest(self, items: list[Item]) -> list[Outcome]:
        """Process a batch in one transaction; answers after it committed."""
        windows = self.windows()
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            outcomes = self.pipeline.process(uow, items, now=now, windows=windows)
            if any(item.request_id is not None for item in items):
                # only then: the batch's hot path has no ORM session to spend on it
                record_requests(uow.session, items, outcomes, now)
        with self._lock:
            self.batches += 1
            self.alerts_written += len(items)
        return outcomes

    def request_status(self, integration: IntegrationRef, request_id: str) -> RequestRecord | None:
        """What became of one of `integration`'s tracked requests (None: unknown to it, or
        older than `alerts.requests.KEEP`). The sender's key is the credential: no
        principal."""
        with self.db.read() as s:
            return find_request(s, integration.id, request_id, self.clock.now())

    def prune_requests(self) -> int:
        """Forget tracked requests past their keeping time (the engine's duty)."""
        with self.db.unit_of_work() as uow:
            return prune_requests(uow.session, self.clock.now())

    def send_test(
        self, principal: Principal, integration: IntegrationRef, *, severity: Severity
    ) -> Outcome:
        """A test alert for `integration`, through the same pipeline as a sender's alerts
        (grouping, maintenance, paging), recorded in the audit trail as `principal`'s act."""
        principal.require(Permission.CATALOG_MANAGE)
        if not principal.sees_customer(integration.customer_id):
            raise NotFound(f"There is no integration {integration.id}.")
        if not integration.enabled:
            raise ValidationFailed(
                f"The integration {integration.name!r} is disabled; enable it to test it.",
                field="integration",
            )
        now = self.clock.now()
        alert, payload = probe_alert(
            integration, principal.email, now, secrets.token_hex(4), severity
        )
        windows = self.windows()
        with self.db.unit_of_work() as uow:
            (outcome,) = self.pipeline.process(
                uow, [Item(integration, alert, payload)], now=now, windows=windows
            )
            uow.record(
                "integration.tested",
                "integration",
                integration.id,
                actor=principal.actor,
                customer_id=integration.customer_id,
                dedup_key=alert.dedup_key,
                severity=severity.value,
                result=outcome.result,
                incident=outcome.incident_number,
            )
        return outcome

    # alerts -------------------------------------------------------------------------------

    def list(
        self,
        principal: Principal,
        *,
        dedup_key: str | None = None,
        integration: str | None = None,
        status: str | None = None,
        incident: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[AlertOut]:
        return self.stream(
            principal,
            AlertFilter(
                dedup_key=dedup_key, integration=integration, status=status, incident=incident
            ),
            limit=limit,
            cursor=cursor,
        )

    def stream(
        self, principal: Principal, f: AlertFilter, *, limit: int = 50, cursor: str | None = None
    ) -> Page[AlertOut]:
        """The alerts `f` selects, newest first, a page at a time."""
        principal.require(Permission.TEAMS_READ)
        check_limit(limit)
        with self.db.read() as s:
            query = select(Alert).where(*conditions(s, principal, f))
            total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
            if cursor:
                query = query.where(Alert.id < id_from(cursor))
            rows = s.scalars(query.order_by(Alert.id.desc()).limit(limit + 1)).all()
            items = [self._out(s, a) for a in rows[:limit]]
            return Page(
                items=items,
                total=total,
                next=encode_cursor([items[-1].id]) if len(rows) > limit else None,
            )

    def status_counts(self, principal: Principal, f: AlertFilter) -> dict[str, int]:
        """How many alerts `f` selects in each status (whatever status `f` names)."""
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            found = s.execute(
                select(Alert.status, func.count())
                .where(*conditions(s, principal, f.without_status()))
                .group_by(Alert.status)
            ).all()
        counts = dict.fromkeys(ALL_STATUSES, 0)
        counts.update({status: int(n) for status, n in found})
        return counts

    def get(self, principal: Principal, alert_id: int | str) -> AlertDetail:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            ident = as_id(alert_id)
            row = s.get(Alert, ident) if ident is not None else None
            if row is None or not principal.sees_customer(row.customer_id):
                raise NotFound(f"There is no alert {alert_id}.")
            integration = s.get(Integration, row.integration_id)
            customer = s.get(Customer, row.customer_id)
            return AlertDetail(
                **self._out(s, row).model_dump(),
                integration_id=row.integration_id,
                integration_type=integration.type if integration else "?",
                customer=customer.slug if customer else "?",
                group_value=row.group_value,
                payload=row.payload,
            )

    def activity(self, principal: Principal) -> dict[int, IntegrationActivity]:
        """Per integration id: how many alerts it has sent and when the last one came."""
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(
                Alert.integration_id, func.count(), func.max(Alert.last_seen_at)
            ).group_by(Alert.integration_id)
            if not principal.all_customers:
                query = query.where(Alert.customer_id == principal.customer_id)
            return {
                ident: IntegrationActivity(alerts=int(n), last_alert_at=last)
                for ident, n, last in s.execute(query).all()
            }

    @staticmethod
    def _out(s: Session, a: Alert) -> AlertOut:
        integration = s.get(Integration, a.integration_id)
        incident = s.get(Incident, a.incident_id) if a.incident_id else None
        return AlertOut(
            id=a.id,
            integration=integration.name if integration else "?",
            dedup_key=a.dedup_key,
            status=a.status,
            summary=a.summary,
            severity=a.severity,
            source=a.source,
            labels=a.labels,
            details=a.details,
            count=a.count,
            flap_count=a.flap_count,
            incident=AlertIncident(id=incident.id, number=incident.number) if incident else None,
            first_seen_at=a.first_seen_at,
            last_seen_at=a.last_seen_at,
            resolved_at=a.resolved_at,
        )

    # maintenance windows ------------------------------------------------------------------

    @staticmethod
    def _window_out(s: Session, w: MaintenanceWindow) -> MaintenanceWindowOut:
        customer = s.get(Customer, w.customer_id)
        service = s.get(Service, w.service_id) if w.service_id else None
        assert customer is not None
        return MaintenanceWindowOut(
            id=w.id,
            customer=customer.slug,
            service=service.slug if service else None,
            start=w.starts_at,
            end=w.ends_at,
            recurrence=w.recurrence,
            until=w.until,
            reason=w.reason,
            created_at=w.created_at,
        )

    def create_window(
        self, principal: Principal, data: MaintenanceWindowIn
    ) -> MaintenanceWindowOut:
        principal.require(Permission.INCIDENT_WORK)
        if data.end <= data.start:
            raise ValidationFailed("end must be after start.", field="end")
        if data.recurrence == "daily" and data.end - data.start >= timedelta(days=1):
            raise ValidationFailed("A daily window must be shorter than a day.", field="end")
        with self.db.unit_of_work() as uow:
            s = uow.session
            service, customer_id = service_and_customer(s, principal, data.service, data.customer)
            row = MaintenanceWindow(
                customer_id=customer_id,
                service_id=service.id if service else None,
                starts_at=data.start,
                ends_at=data.end,
                recurrence=data.recurrence,
                until=data.until,
                reason=data.reason,
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            uow.record(
                "maintenance.created",
                "maintenance_window",
                row.id,
                actor=principal.actor,
                customer_id=customer_id,
                service=data.service,
                start=data.start.isoformat(),
                end=data.end.isoformat(),
                recurrence=data.recurrence,
            )
            self._windows = (-1e9, [])
            return self._window_out(s, row)

    def list_windows(self, principal: Principal) -> Page[MaintenanceWindowOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc())
            if not principal.all_customers:
                query = query.where(MaintenanceWindow.customer_id == principal.customer_id)
            items = [self._window_out(s, w) for w in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def delete_window(self, principal: Principal, window_id: int) -> MaintenanceWindowOut:
        principal.require(Permission.INCIDENT_WORK)
        with self.db.unit_of_work() as uow:
            ident = as_id(window_id)
            row = uow.session.get(MaintenanceWindow, ident) if ident is not None else None
            if row is None or not principal.sees_customer(row.customer_id):
                raise NotFound(f"There is no maintenance window {window_id}.")
            out = self._window_out(uow.session, row)
            uow.session.delete(row)
            uow.record(
                "maintenance.deleted",
                "maintenance_window",
                window_id,
                actor=principal.actor,
                customer_id=row.customer_id,
            )
            self._windows = (-1e9, [])
            return out
