"""Who may own an incident: the checks and the reassignment count."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import ASSIGNABLE_ROLES, Role
from tocsin.auth.service import default_customer, user_by_ref
from tocsin.catalog.models import Team, TeamMember
from tocsin.catalog.resolve import team_by_slug
from tocsin.core.errors import ValidationFailed
from tocsin.incidents.changes import ChangeSet, label
from tocsin.incidents.models import Incident


def _is_member(session: Session, team_id: int, user_id: int) -> bool:
    return session.get(TeamMember, (team_id, user_id)) is not None


def _has_members(session: Session, team_id: int) -> bool:
    return (
        session.scalar(select(TeamMember.user_id).where(TeamMember.team_id == team_id).limit(1))
        is not None
    )


def belongs(session: Session, customer_id: int, incident: Incident) -> bool:
    """Provider-side objects (default customer) serve every customer; others only their own."""
    return customer_id in (incident.customer_id, default_customer(session).id)


def check_assignee(session: Session, incident: Incident, user: User) -> None:
    if Role(user.role) not in ASSIGNABLE_ROLES or not user.active:
        raise ValidationFailed(
            f"{user.email} cannot be assigned incidents (role {user.role}"
            f"{'' if user.active else ', deactivated'}); assign an agent, manager or admin.",
            field="assignee",
        )
    if not belongs(session, user.customer_id, incident):
        raise ValidationFailed(
            f"{user.email} works for another customer than this incident's.", field="assignee"
        )


def apply_assignment(
    session: Session,
    principal: Principal,
    incident: Incident,
    changes: ChangeSet,
    *,
    team_ref: str | None,
    assignee_ref: str | None,
    set_team: bool,
    set_assignee: bool,
) -> None:
    """Change team and/or assignee; count a reassignment when an existing owner changes."""
    old_team, old_assignee = incident.team_id, incident.assignee_id
    team_id = old_team
    if set_team:
        team: Team | None = (
            team_by_slug(
                session, principal, team_ref, customer_id=incident.customer_id, field="team"
            )
            if team_ref
            else None
        )
        if team is not None and not belongs(session, team.customer_id, incident):
            raise ValidationFailed(
                f"Team {team.slug} works for another customer than this incident's.",
                field="team",
            )
        team_id = team.id if team else None
    assignee_id = old_assignee
    if set_assignee:
        user = user_by_ref(session, principal, assignee_ref) if assignee_ref else None
        if user is not None:
            check_assignee(session, incident, user)
        assignee_id = user.id if user else None
    if (
        team_id is not None
        and assignee_id is not None
        and _has_members(session, team_id)
        and not _is_member(session, team_id, assignee_id)
    ):
        if set_assignee:
            raise ValidationFailed(
                f"{label(session, User, assignee_id)} is not a member of team "
                f"{label(session, Team, team_id)}.",
                field="assignee",
            )
        assignee_id = None  # the new team picks its own owner
    if team_id == old_team and assignee_id == old_assignee:
        return
    changes.record("team", label(session, Team, old_team), label(session, Team, team_id))
    changes.record(
        "assignee", label(session, User, old_assignee), label(session, User, assignee_id)
    )
    incident.team_id, incident.assignee_id = team_id, assignee_id
    if (team_id != old_team and old_team is not None) or (
        assignee_id != old_assignee and old_assignee is not None
    ):
        changes.record(
            "reassignment_count", incident.reassignment_count, incident.reassignment_count + 1
        )
        incident.reassignment_count += 1
