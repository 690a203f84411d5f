"""The alert pipeline: deduplicate, suppress, reopen, group or open an incident, resolve and
acknowledge — for a batch of alerts inside one transaction (the caller's unit of work).

Triggers go through `triggers.trigger_run`, a run at a time; resolves, acknowledges and
mail replies one by one, in order, between the runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from tocsin.alerts.context import Context
from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.maintenance import Window
from tocsin.alerts.models import Alert
from tocsin.alerts.states import LIVE, OPEN_INCIDENT, AlertStatus
from tocsin.alerts.triggers import trigger_run
from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import principal_for
from tocsin.core.ids import as_id
from tocsin.db.session import UnitOfWork
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.lifecycle import Action, ResolutionCode, State, plan
from tocsin.incidents.models import Incident, IncidentNote
from tocsin.incidents.schemas import ActionIn
from tocsin.integrations.base import AlertAction, NormalizedAlert

# A mail reply's command (integrations.email) -> the action, and the outcome it answers.
REPLY_ACTIONS: dict[object, tuple[Action, str]] = {
    "acknowledge": (Action.ACKNOWLEDGE, "acknowledged"),
    "resolve": (Action.RESOLVE, "resolved"),
}


class Pipeline:
    def __init__(self, actions: IncidentActions, *, matrix: Mapping[str, int]) -> None:
        self.ctx = Context(actions, matrix=matrix)

    def process(
        self, uow: UnitOfWork, items: list[Item], *, now: datetime, windows: list[Window]
    ) -> list[Outcome]:
        """Consecutive plain triggers go through the run path together; resolves,
        acknowledges and mail replies one by one, in order, between them."""
        outcomes: list[Outcome] = []
        run: list[Item] = []
        for item in items:
            if item.alert.action is AlertAction.TRIGGER and not item.alert.reply_to:
                run.append(item)
                continue
            if run:
                outcomes += trigger_run(self.ctx, uow, run, now=now, windows=windows)
                run = []
            uow.flush()
            outcomes.append(self._one(uow, item, now, windows))
        if run:
            outcomes += trigger_run(self.ctx, uow, run, now=now, windows=windows)
        return outcomes

    def _one(self, uow: UnitOfWork, item: Item, now: datetime, windows: list[Window]) -> Outcome:
        alert, integration = item.alert, item.integration
        if alert.action is AlertAction.TRIGGER:  # a mail reply
            replied = self._comment(uow, integration, alert, now)
            if replied is not None:
                return replied
            (outcome,) = trigger_run(self.ctx, uow, [item], now=now, windows=windows)
            return outcome
        live = self._live(uow, integration, alert)
        if live is None:
            return Outcome("unknown", alert.dedup_key)
        if item.payload is not None:  # the page shows the sender's latest word on it
            live.payload = item.payload
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

    def _comment(
        self, uow: UnitOfWork, integration: IntegrationRef, alert: NormalizedAlert, now: datetime
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
        reporter = self._reporter(uow, integration, alert)
        principal = principal_for(s, reporter) if reporter else self.ctx.robot(integration)
        if reporter is not None:
            acted = self._reply_action(uow, integration, alert, incident, principal)
            if acted is not None:
                return acted
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
        self.ctx.actions.incidents.log(
            uow,
            principal,
            incident,
            kind="comment",
            message=body,
            extra={"note_id": note.id, "via": integration.name},
        )
        return Outcome("commented", alert.dedup_key, incident.id, incident.number)

    def _reply_action(
        self,
        uow: UnitOfWork,
        integration: IntegrationRef,
        alert: NormalizedAlert,
        incident: Incident,
        principal: Principal,
    ) -> Outcome | None:
        """A reply whose first line is "ack" or "resolve", from someone who may work the
        incident, acts as them; None (a comment, then) when it asks nothing they can do."""
        command = alert.details.get("command")
        if command not in REPLY_ACTIONS or not principal.can(Permission.INCIDENT_WORK):
            return None
        action, result = REPLY_ACTIONS[command]
        if not principal.sees_customer(incident.customer_id):
            return None
        if plan(State(incident.state), action) is None:
            return None
        data = (
            ActionIn(
                resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
                resolution_notes="Resolved by e-mail reply",
            )
            if action is Action.RESOLVE
            else ActionIn()
        )
        verb = "Acknowledged" if action is Action.ACKNOWLEDGE else "Resolved"
        self.ctx.actions.apply(
            uow,
            principal,
            incident,
            action,
            data,
            message=f"{verb} by e-mail reply (to {integration.name})",
        )
        return Outcome(result, alert.dedup_key, incident.id, incident.number)

    def _reporter(
        self, uow: UnitOfWork, integration: IntegrationRef, alert: NormalizedAlert
    ) -> User | None:
        if not alert.reporter:
            return None
        user = uow.session.scalar(select(User).where(User.email == alert.reporter.lower()))
        return self.ctx.reporter_for(integration, user)

    def _resolve(
        self, uow: UnitOfWork, integration: IntegrationRef, live: Alert, now: datetime
    ) -> Outcome:
        s = uow.session
        live.status = AlertStatus.RESOLVED.value
        live.resolved_at = now
        live.last_seen_at = now
        s.flush()
        self.ctx.emit(
            uow, integration, "alert.resolved", live.id, now, live.dedup_key, live.incident_id
        )
        if live.incident_id is None:
            return Outcome("resolved", live.dedup_key, None, None, live.id)
        incident = s.get(Incident, live.incident_id, with_for_update=True)
        assert incident is not None
        others = s.scalar(
            select(Alert.id)
            .where(Alert.incident_id == incident.id, Alert.status.in_(LIVE))
            .limit(1)
        )
        if integration.config.auto_resolve and others is None and incident.state in OPEN_INCIDENT:
            self.ctx.actions.apply(
                uow,
                self.ctx.robot(integration),
                incident,
                Action.RESOLVE,
                ActionIn(
                    resolution_code=ResolutionCode.AUTO_RESOLVED,
                    resolution_notes=f"Resolved automatically: {integration.name} "
                    "resolved every alert of this incident.",
                ),
            )
        return Outcome("resolved", live.dedup_key, live.incident_id, incident.number, live.id)

    def _acknowledge(
        self, uow: UnitOfWork, integration: IntegrationRef, live: Alert, now: datetime
    ) -> Outcome:
        s = uow.session
        live.status = AlertStatus.ACKNOWLEDGED.value
        live.last_seen_at = now
        number = None
        if live.incident_id is not None:
            incident = s.get(Incident, live.incident_id, with_for_update=True)
            assert incident is not None
            number = incident.number
            if incident.state in (State.NEW.value, State.ASSIGNED.value):
                self.ctx.actions.apply(
                    uow,
                    self.ctx.robot(integration),
                    incident,
                    Action.ACKNOWLEDGE,
                    ActionIn(),
                    message=f"Acknowledged in {integration.name}",
                )
        self.ctx.emit(
            uow, integration, "alert.acknowledged", live.id, now, live.dedup_key, live.incident_id
        )
        return Outcome("acknowledged", live.dedup_key, live.incident_id, number, live.id)
