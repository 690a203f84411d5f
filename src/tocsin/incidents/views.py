"""Saved views: a user's named queues (the console queue's filters and sort), private or
shared with the staff of their customer."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, StringConstraints
from sqlalchemy import or_, select

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, PermissionDenied, ValidationFailed
from tocsin.core.schemas import StrictModel
from tocsin.db.session import Database
from tocsin.incidents.models import SavedView
from tocsin.incidents.queries import parse_sort

# The query-string keys of the console's queue, in the order its form shows them; a saved
# view may hold only these (a cursor or a notice is a moment, not a view).
QUEUE_KEYS = ("state", "priority", "customer", "team", "assignee", "service", "q", "sort")
MAX_QUERY = 1000
MAX_VIEWS = 200  # listed per user: their own and the shared ones


class SavedViewIn(StrictModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    query: str = ""
    shared: bool = False


class SavedViewOut(BaseModel):
    id: int
    name: str
    query: str
    shared: bool
    owner: str
    mine: bool


def normal_query(query: str) -> str:
    """The query string with known keys only, blanks dropped, in QUEUE_KEYS order."""
    if len(query) > MAX_QUERY:
        raise ValidationFailed(
            f"A saved view's filters must be under {MAX_QUERY} characters.", field="query"
        )
    pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    unknown = sorted(set(pairs) - set(QUEUE_KEYS))
    if unknown:
        raise ValidationFailed(
            f"A saved view holds only the queue's filters and sort ({', '.join(QUEUE_KEYS)}); "
            f"remove {', '.join(repr(k[:40]) for k in unknown)}.",
            field="query",
        )
    if pairs.get("sort"):
        parse_sort(pairs["sort"])
    return urlencode([(k, pairs[k].strip()) for k in QUEUE_KEYS if pairs.get(k, "").strip()])


class SavedViews:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    @staticmethod
    def _user_id(principal: Principal) -> int:
        principal.require(Permission.INCIDENT_READ)
        if not principal.is_staff or not principal.user_id:
            raise PermissionDenied("Saved views belong to signed-in staff members.")
        return principal.user_id

    def list(self, principal: Principal) -> list[SavedViewOut]:
        """The user's own views, then those others shared in their customer, by name."""
        me = self._user_id(principal)
        with self.db.read() as s:
            rows = s.execute(
                select(SavedView, User.email)
                .join(User, User.id == SavedView.user_id)
                .where(
                    or_(
                        SavedView.user_id == me,
                        SavedView.shared.is_(True) & (User.customer_id == principal.customer_id),
                    )
                )
                .order_by((SavedView.user_id != me), SavedView.name, SavedView.id)
                .limit(MAX_VIEWS)
            ).all()
            return [_out(view, email, me) for view, email in rows]

    def create(self, principal: Principal, data: SavedViewIn) -> SavedViewOut:
        me = self._user_id(principal)
        if data.shared and not principal.can(Permission.VIEWS_SHARE):
            raise PermissionDenied(
                "Only managers and administrators can share a view with everyone; save it "
                "for yourself instead."
            )
        query = normal_query(data.query)
        with self.db.unit_of_work() as uow:
            s = uow.session
            taken = s.scalar(
                select(SavedView.id).where(SavedView.user_id == me, SavedView.name == data.name)
            )
            if taken is not None:
                raise ValidationFailed(
                    f"You already have a view named {data.name!r}; choose another name or "
                    "delete that one first.",
                    field="name",
                )
            view = SavedView(
                user_id=me,
                name=data.name,
                query=query,
                shared=data.shared,
                created_at=self.clock.now(),
            )
            s.add(view)
            s.flush()
            uow.record(
                "saved_view.created",
                "saved_view",
                view.id,
                actor=principal.actor,
                customer_id=principal.customer_id,
                name=view.name,
                query=query,
                shared=view.shared,
            )
            return _out(view, principal.email, me)

    def delete(self, principal: Principal, view_id: int) -> None:
        me = self._user_id(principal)
        with self.db.unit_of_work() as uow:
            s = uow.session
            view = s.get(SavedView, view_id, with_for_update=True)
            if view is None or view.user_id != me:
                # Another's view, shared or not, is not theirs to delete (nor to probe).
                raise NotFound(f"You have no saved view {view_id}.")
            s.delete(view)
            uow.record(
                "saved_view.deleted",
                "saved_view",
                view_id,
                actor=principal.actor,
                customer_id=principal.customer_id,
                name=view.name,
            )


def _out(view: SavedView, owner: str, me: int) -> SavedViewOut:
    return SavedViewOut(
        id=view.id,
        name=view.name,
        query=view.query,
        shared=view.shared,
        owner=owner,
        mine=view.user_id == me,
    )
