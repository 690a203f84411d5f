"""Who a level of an escalation policy pages at a given time: its users, whoever is on
call in its schedules, every active member of its teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.catalog.models import TeamMember
from tocsin.db.memo import per_transaction
from tocsin.oncall.specs import LevelSpec, on_call_user_ids


@dataclass(frozen=True, slots=True)
class Recipients:
    """The users to page (each once, in target order) and the targets that had nobody
    (an empty schedule, a team without active members) for the timeline to say so."""

    users: list[tuple[int, str]]  # (id, e-mail)
    empty: list[str]


def recipients(session: Session, level: LevelSpec, at: datetime) -> Recipients:
    return per_transaction(
        session, ("recipients", level, at), lambda: _recipients(session, level, at)
    )


def _recipients(session: Session, level: LevelSpec, at: datetime) -> Recipients:
    wanted: list[int] = []
    empty: list[str] = []
    for target in level.targets:
        if target.type == "user":
            found = [target.id]
        elif target.type == "schedule":
            found = on_call_user_ids(session, target.id, at)
        else:
            found = list(
                session.scalars(
                    select(TeamMember.user_id)
                    .where(TeamMember.team_id == target.id)
                    .order_by(TeamMember.user_id)
                )
            )
        if not found:
            empty.append(f"{target.type} {target.label}")
        wanted.extend(found)
    unique = list(dict.fromkeys(wanted))
    rows = session.execute(
        select(User.id, User.email).where(User.id.in_(unique), User.active.is_(True))
    )
    emails = {row[0]: row[1] for row in rows.all()}
    return Recipients(users=[(uid, emails[uid]) for uid in unique if uid in emails], empty=empty)
