"""The alert pipeline: deduplicate, suppress, reopen, group or open an incident, resolve and
acknowledge — for a batch of alerts inside one transaction (the caller's unit of work)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from tocsin.alerts.bulk import trigger_run
from tocsin.alerts.grouping import group_value
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.maintenance import Window, in_maintenance
from tocsin.alerts.models import LIVE_ALERT_SQL, Alert
from tocsin.alerts.repeats import CHANGE_KIND, change_message, repeat_changes, repeated_summary
from tocsin.auth.models import User
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.service import default_customer, principal_for
from tocsin.core.ids import as_id
from tocsin.db.session import UnitOfWork
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.intake import NewIncident, open_incidents
from tocsin.incidents.lifecycle import OPEN_STATES, Action, ResolutionCode, State
from tocsin.incidents.models import Incident, IncidentNote, TimelineEntry
from tocsin.incidents.schemas import ActionIn
from tocsin.integrations.base import AlertAction, NormalizedAlert

LIVE = ("triggered", "acknowledged")
OPEN = tuple(s.value for s in OPEN_STATES)


@dataclass(frozen=True, slots=True)
class Item:
    integration: IntegrationRef
    alert: NormalizedAlert


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one alert: created, deduplicated, grouped, reopened, suppressed,
    resolved, acknowledged, commented (a mail reply), or unknown (a resolve / acknowledge
    for no live alert)."""

    result: str
    dedup_key: str | None
    incident_id: int | None = None
    incident_number: str | None = None
    alert_id: int | None = None


def _insert_ignore_live(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Alert).on_conflict_do_nothing(
        index_elements=["integration_id", "dedup_key"], index_where=text(LIVE_ALERT_SQL)
    )


class Pipeline:
    def __init__(self, actions: IncidentActions, *, matrix: Mapping[str, int]) -> None:
        self.actions = actions
        self.matrix = dict(matrix)
        self._provider: int | None = None
        self._robots: dict[tuple[int, str], Principal] = {}

    @property
    def dialect(self) -> str:
        return self.actions.db.dialect

    def process(
        self, uow: UnitOfWork, items: list[Item], *, now: datetime, windows: list[Window]
    ) -> list[Outcome]:
        """Consecutive plain triggers go through the set-based path together; resolves,
        acknowledges and mail replies one by one, in order, between them."""
        outcomes: list[Outcome] = []
        run: list[Item] = []
        for item in items:
            if item.alert.action is AlertAction.TRIGGER and not item.alert.reply_to:
                run.append(item)
                continue
            if run:
                outcomes += trigger_run(self, uow, run, now=now, windows=windows)
                run = []
            uow.flush()
            outcomes.append(self._one(uow, item, now, windows))
        if run:
            outcomes += trigger_run(self, uow, run, now=now, windows=windows)
        return outcomes

    # one alert -------------------------------------------------------------------------

    def _one(self, uow: UnitOfWork, item: Item, now: datetime, windows: list[Window]) -> Outcome:
        alert, integration = item.alert, item.integration
        if alert.action is AlertAction.TRIGGER:
            return self.trigger_one(uow, item, now, windows)
        live = self._live(uow, integration, alert)
        if live is None:
            return Outcome("unknown", alert.dedup_key)
        if alert.action is AlertAction.RESOLVE:
            return self._resolve(uow, integration, live, now)
        return self._acknowledge(uow, integration, live, now)

    def _live(
        self, uow: UnitOfWork, integration: IntegrationRef, alert: NormalizedAlert
    ) -> Alert | None:
        query = select(Alert).where(Alert.integration_id == integration.id, Alert.status.in_(LIVE))
        if alert.alert_id is not None:
            ident = as_id(alert.alert_id)
            if ident is None:
                return None
            query = query.where(Alert.id == ident)
        elif alert.dedup_key is not None:
            query = query.where(Alert.dedup_key == alert.dedup_key)
        else:
            return None
        return uow.session.scalar(query.with_for_update())

    def robot(self, integration: IntegrationRef) -> Principal:
        """The principal an integration acts as (built once per integration and name)."""
        key = (integration.customer_id, integration.name)
        robot = self._robots.get(key)
        if robot is None:
            robot = self._robots[key] = system_principal(
                default_customer_id=integration.customer_id,
                name=f"integration:{integration.name}",
            )
        return robot

    def trigger_one(
        self,
        uow: UnitOfWork,
        item: Item,
        now: datetime,
        windows: list[Window],
        *,
        key: str | None = None,
    ) -> Outcome:
        """One trigger on its own: mail replies, flaps, and keys another writer claimed."""
        integration, alert = item.integration, item.alert
        s = uow.session
        reporter = self._reporter(uow, integration, alert)
        if alert.reply_to:
            replied = self._comment(uow, integration, alert, reporter, now)
            if replied is not None:
                return replied
        key = key or alert.dedup_key or uuid.uuid4().hex
        live = self._live(uow, integration, NormalizedAlert(action=alert.action, dedup_key=key))
        if live is not None:
            return self._repeat(uow, integration, live, alert, now)
        service_id = integration.service_id
        suppressed = in_maintenance(
            windows, customer_id=integration.customer_id, service_id=service_id, at=now
        )
        summary = alert.summary[:2000] or key
        grouping = group_value(
            alert, integration.config.group_by, service_slug=integration.service_slug
        )
        values: dict[str, Any] = {
            "integration_id": integration.id,
            "customer_id": integration.customer_id,
            "dedup_key": key,
            "summary": summary,
            "severity": alert.severity.value,
            "source": (alert.source or "")[:255] or None,
            "group_value": grouping,
            "labels": alert.labels,
            "details": {
                **alert.details,
                **({"evidence": alert.evidence} if alert.evidence else {}),
                **({"links": alert.links} if alert.links else {}),
            },
            "count": 1,
            "flap_count": 0,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
            "incident_id": None,
        }
        if suppressed:
            alert_id = s.execute(
                insert(Alert).returning(Alert.id), [{**values, "status": "suppressed"}]
            ).scalar_one()
            self.emit(uow, integration, "alert.suppressed", alert_id, now, key)
            return Outcome("suppressed", key, alert_id=int(alert_id))
        flapped = self._flapping(uow, integration, key, alert, now)
        if flapped is not None:
            return flapped
        # Claim the key first: if another writer holds it, this is a repeat, and no
        # incident is opened for nothing.
        inserted = s.execute(
            _insert_ignore_live(self.actions.db.dialect)
            .values(**values, status="triggered")
            .returning(Alert.id)
        )
        claimed = inserted.scalar_one_or_none()
        if claimed is None:
            live = self._live(uow, integration, NormalizedAlert(action=alert.action, dedup_key=key))
            assert live is not None
            return self._repeat(uow, integration, live, alert, now)
        alert_id = int(claimed)
        grouped = self._group_target(uow, integration, grouping, now)
        if grouped is not None:
            incident_id, number = grouped
            s.execute(update(Alert).where(Alert.id == alert_id).values(incident_id=incident_id))
            s.execute(
                insert(TimelineEntry),
                [
                    {
                        "incident_id": incident_id,
                        "at": now,
                        "actor_id": None,
                        "actor_label": self.robot(integration).actor.describe(),
                        "kind": "alert_grouped",
                        "changes": {"alerts": [None, key]},
                        "message": f"Alert joined: {summary}",
                        "internal": False,
                    }
                ],
            )
            self.emit(uow, integration, "alert.grouped", alert_id, now, key, incident_id)
            return Outcome("grouped", key, incident_id, number, int(alert_id))
        ((incident_id, number),) = open_incidents(
            uow,
            [self.incident_for(item, key=key, summary=summary, reporter=reporter)],
            now=now,
            matrix=self.matrix,
        )
        s.execute(update(Alert).where(Alert.id == alert_id).values(incident_id=incident_id))
        self.emit(uow, integration, "alert.triggered", alert_id, now, key, incident_id)
        return Outcome("created", key, incident_id, number, int(alert_id))

    def incident_for(
        self, item: Item, *, key: str, summary: str, reporter: User | None
    ) -> NewIncident:
        """What an alert's new incident looks like: from the integration's routing and
        severity map, reported by the robot of the integration."""
        integration, alert = item.integration, item.alert
        levels = integration.config.severity_map[alert.severity]
        return NewIncident(
            title=summary,
            description=alert.description,
            type=alert.incident_type,
            customer_id=integration.customer_id,
            service_id=integration.service_id,
            team_id=integration.team_id,
            impact=levels.impact,
            urgency=levels.urgency,
            tags=[integration.type],
            principal=self.robot(integration),
            message=f"Opened by {integration.type} alert {key}",
            requester_id=reporter.id if reporter else None,
            requester_label=reporter.email if reporter else None,
            service_label=integration.service_slug,
            team_label=integration.team_slug,
            customer_label=integration.customer_slug,
        )

    def _reporter(
        self, uow: UnitOfWork, integration: IntegrationRef, alert: NormalizedAlert
    ) -> User | None:
        if not alert.reporter:
            return None
        user = uow.session.scalar(select(User).where(User.email == alert.reporter.lower()))
        return self.reporter_for(integration, user)

    def _provider_id(self) -> int:
        if self._provider is None:
            with self.actions.db.read() as session:
                self._provider = default_customer(session).id
        return self._provider

    def reporter_for(self, integration: IntegrationRef, user: User | None) -> User | None:
        """The user who sent a mail, when active and of the integration's customer or the
        provider's staff."""
        if user is None or not user.active:
            return None
        if user.customer_id == integration.customer_id:
            return user
        return (
            user if user.customer_id == self._provider_id() and user.role != "requester" else None
        )

    def _comment(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        alert: NormalizedAlert,
        reporter: User | None,
        now: datetime,
    ) -> Outcome | None:
        """A reply naming an incident of this customer becomes a comment on it."""
        s = uow.session
        incident = s.scalar(
            select(Incident)
            .where(
                Incident.number == alert.reply_to, Incident.customer_id == integration.customer_id
            )
            .with_for_update()
        )
        if incident is None:
            return None  # unknown or another customer's number: treat as a new report
        principal = principal_for(s, reporter) if reporter else self.robot(integration)
        body = alert.description.strip() or alert.summary
        author = principal.actor
        note = IncidentNote(
            incident_id=incident.id,
            author_id=author.user_id,
            author_label=author.describe(),
            body=body,
            internal=False,
            created_at=now,
        )
        s.add(note)
        incident.updated_at = now
        s.flush()
        self.actions.incidents.log(
            uow,
            principal,
            incident,
            kind="comment",
            message=body,
            extra={"note_id": note.id, "via": integration.name},
        )
        return Outcome("commented", alert.dedup_key, incident.id, incident.number)

    def _repeat(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        live: Alert,
        alert: NormalizedAlert,
        now: datetime,
    ) -> Outcome:
        changes = repeat_changes(summary=live.summary, severity=live.severity, alert=alert)
        live.count += 1
        live.last_seen_at = now
        live.summary = repeated_summary(live.summary, alert)
        live.severity = alert.severity.value
        if changes:
            self.alert_changed(
                uow, integration, live.id, live.dedup_key, live.incident_id, changes, now
            )
        number = self._number(uow, live.incident_id)
        return Outcome("deduplicated", live.dedup_key, live.incident_id, number, live.id)

    def alert_changed(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        alert_id: int,
        key: str,
        incident_id: int | None,
        changes: dict[str, list[str]],
        now: datetime,
    ) -> None:
        """A repeat changed its alert: on the alert's history, and on its incident's
        timeline (rare: one statement each, from either write path)."""
        self.emit(
            uow, integration, "alert.updated", alert_id, now, key, incident_id, changes=changes
        )
        if incident_id is None:
            return
        uow.session.execute(
            insert(TimelineEntry),
            [
                {
                    "incident_id": incident_id,
                    "at": now,
                    "actor_id": None,
                    "actor_label": self.robot(integration).actor.describe(),
                    "kind": CHANGE_KIND,
                    "changes": changes,
                    "message": change_message(key, changes),
                    "internal": False,
                }
            ],
        )

    def _flapping(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        key: str,
        alert: NormalizedAlert,
        now: datetime,
    ) -> Outcome | None:
        window = integration.config.flap_window_minutes
        if not window:
            return None
        s = uow.session
        recent = s.scalar(
            select(Alert)
            .where(
                Alert.integration_id == integration.id,
                Alert.dedup_key == key,
                Alert.status == "resolved",
                Alert.resolved_at >= now - timedelta(minutes=window),
            )
            .order_by(Alert.resolved_at.desc())
            .limit(1)
            .with_for_update()
        )
        if recent is None or recent.incident_id is None:
            return None
        incident = s.get(Incident, recent.incident_id, with_for_update=True)
        if incident is None or incident.state not in (*OPEN, State.RESOLVED.value):
            return None  # closed or cancelled: a new occurrence, a new incident
        assert recent.resolved_at is not None
        minutes = max(1, round((now - recent.resolved_at).total_seconds() / 60))
        recent.status = "triggered"
        recent.count += 1
        recent.flap_count += 1
        recent.last_seen_at = now
        recent.resolved_at = None
        if incident.state == State.RESOLVED.value:
            self.actions.apply(
                uow,
                self.robot(integration),
                incident,
                Action.REOPEN,
                ActionIn(
                    reason=f"Alert {key} fired again {minutes} min after it resolved (flapping)"
                ),
            )
        self.emit(uow, integration, "alert.flapped", recent.id, now, key, incident.id)
        return Outcome("reopened", key, incident.id, incident.number, recent.id)

    def _group_target(
        self, uow: UnitOfWork, integration: IntegrationRef, value: str | None, now: datetime
    ) -> tuple[int, str] | None:
        if value is None:
            return None
        since = now - timedelta(minutes=integration.config.group_window_minutes)
        row = uow.session.execute(
            select(Incident.id, Incident.number)
            .join(Alert, and_(Alert.incident_id == Incident.id))
            .where(
                Alert.integration_id == integration.id,
                Alert.group_value == value,
                Alert.last_seen_at >= since,
                Incident.state.in_(OPEN),
            )
            .order_by(Alert.last_seen_at.desc())
            .limit(1)
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    def _resolve(
        self, uow: UnitOfWork, integration: IntegrationRef, live: Alert, now: datetime
    ) -> Outcome:
        s = uow.session
        live.status = "resolved"
        live.resolved_at = now
        live.last_seen_at = now
        s.flush()
        self.emit(
            uow, integration, "alert.resolved", live.id, now, live.dedup_key, live.incident_id
        )
        number = None
        if live.incident_id is not None:
            incident = s.get(Incident, live.incident_id, with_for_update=True)
            assert incident is not None
            number = incident.number
            others = s.scalar(
                select(Alert.id)
                .where(Alert.incident_id == incident.id, Alert.status.in_(LIVE))
                .limit(1)
            )
            if integration.config.auto_resolve and others is None and incident.state in OPEN:
                self.actions.apply(
                    uow,
                    self.robot(integration),
                    incident,
                    Action.RESOLVE,
                    ActionIn(
                        resolution_code=ResolutionCode.AUTO_RESOLVED,
                        resolution_notes=f"Resolved automatically: {integration.name} "
                        "resolved every alert of this incident.",
                    ),
                )
        return Outcome("resolved", live.dedup_key, live.incident_id, number, live.id)

    def _acknowledge(
        self, uow: UnitOfWork, integration: IntegrationRef, live: Alert, now: datetime
    ) -> Outcome:
        s = uow.session
        live.status = "acknowledged"
        live.last_seen_at = now
        number = None
        if live.incident_id is not None:
            incident = s.get(Incident, live.incident_id, with_for_update=True)
            assert incident is not None
            number = incident.number
            if incident.state in (State.NEW.value, State.ASSIGNED.value):
                self.actions.apply(
                    uow,
                    self.robot(integration),
                    incident,
                    Action.ACKNOWLEDGE,
                    ActionIn(),
                    message=f"Acknowledged in {integration.name}",
                )
        self.emit(
            uow, integration, "alert.acknowledged", live.id, now, live.dedup_key, live.incident_id
        )
        return Outcome("acknowledged", live.dedup_key, live.incident_id, number, live.id)

    def _number(self, uow: UnitOfWork, incident_id: int | None) -> str | None:
        if incident_id is None:
            return None
        incident = uow.session.get(Incident, incident_id)
        return incident.number if incident else None

    def emit(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        action: str,
        alert_id: int,
        now: datetime,
        key: str,
        incident_id: int | None = None,
        **data: Any,
    ) -> None:
        uow.record(
            action,
            "alert",
            alert_id,
            actor=self.robot(integration).actor,
            customer_id=integration.customer_id,
            at=now,
            dedup_key=key,
            integration=integration.name,
            incident_id=incident_id,
            **data,
        )
