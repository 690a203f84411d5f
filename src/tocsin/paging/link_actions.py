"""What opening and confirming an action link does: the page shows the incident and
changes nothing; the confirmation acts through the incident actions the API uses, as the
link's user (or, for a shared channel's link, as whoever is signed in), checking role and
tenant, and marks the link used in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal, principal_for
from tocsin.auth.roles import Permission
from tocsin.core.errors import Conflict, NotAuthenticated, PermissionDenied
from tocsin.db.session import Database
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.lifecycle import Action, ResolutionCode, State, plan
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref
from tocsin.incidents.render import render_one
from tocsin.incidents.schemas import ActionIn, IncidentOut
from tocsin.paging.link_models import ActionLinkUse
from tocsin.paging.links import ActionLinks, LinkClaim, LinkGone, when

RESOLUTION_NOTES = "Resolved from a notification"
TIMELINE_MESSAGES = {
    Action.ACKNOWLEDGE: "Acknowledged from a notification link",
    Action.RESOLVE: "Resolved from a notification link",
}
SHARED_SIGN_IN = (
    "This link was sent to a shared channel, so it acts as the person who uses it: sign in "
    "to Tocsin, then open the link again and confirm."
)


@dataclass(frozen=True, slots=True)
class LinkPage:
    """What the confirm page shows. `acting_as` is None when nobody is known yet (a shared
    channel's link opened without signing in); `done` is why there is nothing left to do."""

    claim: LinkClaim
    incident: IncidentOut
    acting_as: Principal | None
    done: str
    confirm: str


def done_sentence(incident: Incident, action: Action) -> str:
    """Why the action has nothing left to do on this incident; "" when it can be taken."""
    state = State(incident.state)
    if plan(state, action) is not None:
        return ""
    if state in (State.RESOLVED, State.CLOSED):
        return f"{incident.number} is already {state.value}: there is nothing left to do."
    if state is State.CANCELLED:
        return f"{incident.number} was cancelled: there is nothing left to do."
    acknowledged = f" on {when(incident.acknowledged_at)}" if incident.acknowledged_at else ""
    return f"{incident.number} was already acknowledged{acknowledged}; it is {state.value}."


class LinkActions:
    def __init__(self, db: Database, links: ActionLinks, actions: IncidentActions) -> None:
        self.db = db
        self.links = links
        self.actions = actions
        self.clock = actions.clock

    def view(self, token: str, *, signed_in: Principal | None) -> LinkPage:
        """The confirm page's content; reads only."""
        claim = self.links.read(token)
        with self.db.read() as s:
            self._check_unused(s, claim)
            principal = self._acting_as(s, claim, signed_in, required=False)
            if principal is None:
                incident = s.get(Incident, claim.incident_id)
                if incident is None:
                    raise LinkGone("The incident this link was for no longer exists.")
            else:
                incident = incident_by_ref(s, principal, str(claim.incident_id))
            return LinkPage(
                claim=claim,
                incident=render_one(s, incident),
                acting_as=principal,
                done=done_sentence(incident, claim.action),
                confirm=self.links.confirm_code(token),
            )

    def perform(self, token: str, *, confirm: str, signed_in: Principal | None) -> IncidentOut:
        """Act as the link says, once; the incident as it is afterwards."""
        claim = self.links.read(token)
        if not self.links.confirm_ok(token, confirm):
            raise PermissionDenied(
                "This confirmation did not come from the link's own page, so nothing was "
                "changed. Open the link again and press the button there."
            )
        try:
            with self.db.unit_of_work() as uow:
                s = uow.session
                principal = self._acting_as(s, claim, signed_in, required=True)
                assert principal is not None
                incident = incident_by_ref(s, principal, str(claim.incident_id), for_update=True)
                # After the incident's lock: a request that used the link meanwhile committed.
                self._check_unused(s, claim)
                done = done_sentence(incident, claim.action)
                if done:
                    raise Conflict(done)
                data = (
                    ActionIn(
                        resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
                        resolution_notes=RESOLUTION_NOTES,
                    )
                    if claim.action is Action.RESOLVE
                    else ActionIn()
                )
                self.actions.apply(
                    uow,
                    principal,
                    incident,
                    claim.action,
                    data,
                    message=TIMELINE_MESSAGES[claim.action],
                )
                s.add(
                    ActionLinkUse(
                        link_id=claim.link_id,
                        used_at=self.clock.now(),
                        incident_id=incident.id,
                        user_id=principal.user_id,
                        action=claim.action.value,
                        delivery_id=claim.delivery_id,
                    )
                )
                s.flush()
                return render_one(s, incident)
        except (IntegrityError, Conflict):
            # The unit of work answers a unique key taken meanwhile as a Conflict: another
            # request used the link at the same moment; its action stands, ours rolled back.
            with self.db.read() as s:
                self._check_unused(s, claim)
            raise

    def _check_unused(self, s: Session, claim: LinkClaim) -> None:
        used = s.get(ActionLinkUse, claim.link_id, populate_existing=True)
        if used is not None:
            raise LinkGone(f"This link was already used on {when(used.used_at)}.")

    def _acting_as(
        self, s: Session, claim: LinkClaim, signed_in: Principal | None, *, required: bool
    ) -> Principal | None:
        """Who the link acts as, allowed to work incidents; None only when not `required`
        and a shared channel's link is opened by nobody signed in."""
        if claim.user_id is None:
            if signed_in is None:
                if required:
                    raise NotAuthenticated(SHARED_SIGN_IN)
                return None
            principal = signed_in
        else:
            user = s.get(User, claim.user_id)
            if user is None or not user.active:
                raise PermissionDenied(
                    "The account this link was sent to is deactivated, so it cannot act."
                )
            principal = principal_for(s, user)
        principal.require(Permission.INCIDENT_WORK)
        return principal
