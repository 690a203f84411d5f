"""Lifecycle actions on incidents (acknowledge, assign, hold, resolve, ...) and auto-close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import ASSIGNABLE_ROLES, Permission
from tocsin.auth.service import default_customer
from tocsin.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from tocsin.db.session import UnitOfWork
from tocsin.incidents.assignment import apply_assignment
from tocsin.incidents.changes import ChangeSet
from tocsin.incidents.lifecycle import Action, HoldReason, State, allowed_actions, plan
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref
from tocsin.incidents.render import render_one
from tocsin.incidents.schemas import ActionIn, IncidentOut
from tocsin.incidents.service import IncidentService

# Which fields each action takes; anything else in the body is a mistake worth naming.
ACTION_FIELDS: dict[Action, frozenset[str]] = {
    Action.ACKNOWLEDGE: frozenset(),
    Action.START: frozenset(),
    Action.ASSIGN: frozenset({"team", "assignee"}),
    Action.HOLD: frozenset({"reason"}),
    Action.RESUME: frozenset(),
    Action.RESOLVE: frozenset({"resolution_code", "resolution_notes"}),
    Action.CLOSE: frozenset(),
    Action.REOPEN: frozenset({"reason"}),
    Action.CANCEL: frozenset({"reason"}),
}


def check_body(action: Action, data: ActionIn) -> None:
    """Whether `data` is what `action` takes (also checked once before a bulk action)."""
    extra = sorted(data.model_fields_set - ACTION_FIELDS[action])
    if extra:
        takes = ", ".join(sorted(ACTION_FIELDS[action])) or "no fields"
        raise ValidationFailed(f"{action.value} takes {takes}; remove {', '.join(extra)}.")
    if action is Action.ASSIGN and not data.model_fields_set & {"team", "assignee"}:
        raise ValidationFailed("assign needs a team, an assignee or both.")
    if action is Action.HOLD:
        choices = ", ".join(r.value for r in HoldReason)
        if data.reason not in {r.value for r in HoldReason}:
            raise ValidationFailed(f"hold needs a reason, one of: {choices}.", field="reason")
    if action is Action.RESOLVE:
        missing = [f for f in ("resolution_code", "resolution_notes") if not getattr(data, f)]
        if missing:
            raise ValidationFailed(f"resolve needs {' and '.join(missing)}.", field=missing[0])
    if action in (Action.REOPEN, Action.CANCEL) and not data.reason:
        raise ValidationFailed(f"{action.value} needs a reason.", field="reason")


class IncidentActions:
    def __init__(self, incidents: IncidentService, *, auto_close_days: float) -> None:
        self.incidents = incidents
        self.db = incidents.db
        self.clock = incidents.clock
        self.auto_close_after = timedelta(days=auto_close_days)

    def perform(
        self,
        principal: Principal,
        ref: str,
        action: Action,
        data: ActionIn,
        *,
        if_match: int | None = None,
    ) -> IncidentOut:
        principal.require(
            Permission.INCIDENT_REOPEN if action is Action.REOPEN else Permission.INCIDENT_WORK
        )
        check_body(action, data)
        with self.db.unit_of_work() as uow:
            incident = incident_by_ref(uow.session, principal, ref, for_update=True)
            self.incidents.check_version(incident, if_match)
            self.apply(uow, principal, incident, action, data)
            uow.session.flush()
            return render_one(uow.session, incident)

    def apply(
        self,
        uow: UnitOfWork,
        principal: Principal,
        incident: Incident,
        action: Action,
        data: ActionIn,
        *,
        message: str = "",
    ) -> None:
        """Move a loaded (and locked) incident through `action` inside the caller's unit of
        work: the shared step of the API, the CLI and the alert pipeline."""
        s = uow.session
        state = State(incident.state)
        transition = plan(state, action)
        if transition is None:
            raise InvalidTransition(
                action.value, state.value, [a.value for a in allowed_actions(state)]
            )
        now = self.clock.now()
        changes = ChangeSet()
        if action is Action.ASSIGN:
            apply_assignment(
                s,
                principal,
                incident,
                changes,
                team_ref=data.team,
                assignee_ref=data.assignee,
                set_team="team" in data.model_fields_set,
                set_assignee="assignee" in data.model_fields_set,
            )
            if not changes and transition.target == state:
                raise ValidationFailed("The incident already has that team and assignee.")
        elif transition.first_response and incident.assignee_id is None:
            self._take_ownership(principal, incident, changes)
        if transition.first_response and incident.acknowledged_at is None:
            changes.record("acknowledged_at", None, now.isoformat())
            incident.acknowledged_at = now
        message = self._action_fields(
            principal,
            incident,
            action,
            data,
            changes,
            now,
            message,
            leaving=state,
            target=transition.target,
        )
        changes.record("state", state.value, transition.target.value)
        incident.state = transition.target.value
        incident.version += 1
        incident.updated_at = now
        self.incidents.log(
            uow, principal, incident, kind=action.value, changes=changes, message=message
        )

    @staticmethod
    def _action_fields(
        principal: Principal,
        incident: Incident,
        action: Action,
        data: ActionIn,
        changes: ChangeSet,
        now: datetime,
        message: str,
        *,
        leaving: State,
        target: State,
    ) -> str:
        """The fields an action sets besides the state; answers the timeline's message."""
        if action is Action.HOLD:
            changes.record("hold_reason", incident.hold_reason, data.reason)
            incident.hold_reason = data.reason
        elif leaving is State.ON_HOLD and target is not State.ON_HOLD:
            changes.record("hold_reason", incident.hold_reason, None)
            incident.hold_reason = None
        if action is Action.RESOLVE:
            assert data.resolution_code is not None
            changes.record("resolution_code", incident.resolution_code, data.resolution_code.value)
            changes.record("resolution_notes", incident.resolution_notes, data.resolution_notes)
            incident.resolution_code = data.resolution_code.value
            incident.resolution_notes = data.resolution_notes
            incident.resolved_at = now
            message = message or data.resolution_notes or ""
        elif action is Action.CLOSE:
            incident.closed_at = now
        elif action is Action.REOPEN:
            if principal.is_requester and incident.requester_id != principal.user_id:
                raise PermissionDenied("Only the requester of record can reopen it.")
            changes.record("reopen_count", incident.reopen_count, incident.reopen_count + 1)
            changes.record("resolution_code", incident.resolution_code, None)
            incident.reopen_count += 1
            incident.resolved_at = None
            incident.resolution_code = None
            incident.resolution_notes = None
            message = message or data.reason or ""
        elif action is Action.CANCEL:
            incident.cancel_reason = data.reason
            message = message or data.reason or ""
        return message

    @staticmethod
    def _take_ownership(principal: Principal, incident: Incident, changes: ChangeSet) -> None:
        """Acknowledging an unowned incident makes the acknowledger its owner."""
        if principal.role not in ASSIGNABLE_ROLES or not principal.user_id:
            return
        changes.record("assignee", None, principal.email)
        incident.assignee_id = principal.user_id

    def close_expired(self, *, batch: int = 200) -> int:
        """Close incidents resolved longer ago than the auto-close period; returns how many."""
        cutoff = self.clock.now() - self.auto_close_after
        closed = 0
        with self.db.unit_of_work() as uow:
            s = uow.session
            query = (
                select(Incident)
                .where(Incident.state == State.RESOLVED.value, Incident.resolved_at <= cutoff)
                .order_by(Incident.resolved_at)
                .limit(batch)
            )
            if self.db.dialect == "postgresql":
                query = query.with_for_update(skip_locked=True)
            robot = system_principal(default_customer_id=default_customer(s).id, name="auto-close")
            for incident in s.scalars(query).all():
                now = self.clock.now()
                changes = ChangeSet()
                changes.record("state", incident.state, State.CLOSED.value)
                incident.state = State.CLOSED.value
                incident.closed_at = now
                incident.version += 1
                incident.updated_at = now
                days = self.auto_close_after.total_seconds() / 86400
                self.incidents.log(
                    uow,
                    robot,
                    incident,
                    kind="close",
                    changes=changes,
                    message=f"Closed automatically {days:g} days after resolution.",
                )
                closed += 1
        return closed
