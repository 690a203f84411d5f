"""Use cases for incidents: open, read, edit, notes, timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import user_by_ref
from tocsin.catalog.models import Category, Service, Team
from tocsin.catalog.resolve import service_and_customer, service_by_slug
from tocsin.catalog.service import category_by_name
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, PermissionDenied, StaleVersion, ValidationFailed
from tocsin.core.paging import Page, check_limit
from tocsin.db.session import Database, UnitOfWork
from tocsin.incidents.assignment import apply_assignment, belongs
from tocsin.incidents.changes import ChangeSet, label
from tocsin.incidents.intake import Labels, NewIncident, open_incidents
from tocsin.incidents.lifecycle import State, is_open
from tocsin.incidents.models import Incident, IncidentNote, IncidentShare, TimelineEntry
from tocsin.incidents.priority import derive_priority
from tocsin.incidents.queries import (
    IncidentFilter,
    incident_by_ref,
    next_cursor,
    open_per_service,
    page_query,
    parse_sort,
)
from tocsin.incidents.render import render_many, render_one
from tocsin.incidents.schemas import (
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    NoteIn,
    NoteOut,
    TimelineEntryOut,
)
from tocsin.sla.schemas import SlaOut
from tocsin.sla.service import SlaService

# Fields a requester may fill when reporting an incident (the portal form).
REQUESTER_FIELDS = frozenset(
    {
        "title",
        "description",
        "type",
        "category",
        "subcategory",
        "service",
        "urgency",
        "shared_with",
        "customer",
    }
)


class IncidentService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        priority_matrix: Mapping[str, int],
        sla: SlaService | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.matrix = dict(priority_matrix)
        self.sla = sla

    def _slas(self, session: Session, incidents: Sequence[Incident]) -> dict[int, SlaOut]:
        """The SLA of a page of incidents, in one query."""
        if self.sla is None:
            return {}
        return self.sla.sla_of(session, [i.id for i in incidents], self.clock.now())

    # shared steps --------------------------------------------------------------------------

    def log(
        self,
        uow: UnitOfWork,
        principal: Principal,
        incident: Incident,
        *,
        kind: str,
        changes: ChangeSet | None = None,
        message: str = "",
        internal: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """One timeline entry and one domain event (hence one audit entry) per operation."""
        now = self.clock.now()
        actor = principal.actor
        data = dict(changes.changes) if changes else {}
        uow.session.add(
            TimelineEntry(
                incident_id=incident.id,
                at=now,
                actor_id=actor.user_id,
                actor_label=actor.describe(),
                kind=kind,
                changes=data,
                message=message,
                internal=internal,
            )
        )
        uow.record(
            f"incident.{kind}",
            "incident",
            incident.id,
            actor=actor,
            customer_id=incident.customer_id,
            at=now,
            number=incident.number,
            changes=data,
            message=message,
            **(extra or {}),
        )

    @staticmethod
    def check_version(incident: Incident, if_match: int | None) -> None:
        if if_match is not None and if_match != incident.version:
            raise StaleVersion(
                f"{incident.number} changed since you read it (you sent version {if_match}, "
                f"it is now at version {incident.version}); reload it and apply your change "
                "again."
            )

    def _category(
        self, session: Session, category: str | None, subcategory: str | None
    ) -> tuple[int | None, int | None]:
        if category is None:
            if subcategory is not None:
                raise ValidationFailed("A subcategory needs its category.", field="subcategory")
            return None, None
        parent = category_by_name(session, category, parent_id=None)
        if parent is None:
            known = ", ".join(
                session.scalars(
                    select(Category.name)
                    .where(Category.parent_id.is_(None))
                    .order_by(Category.name)
                )
            )
            raise ValidationFailed(
                f"There is no category {category!r}. Known categories: {known or 'none'}.",
                field="category",
            )
        if subcategory is None:
            return parent.id, None
        child = category_by_name(session, subcategory, parent_id=parent.id)
        if child is None:
            known = ", ".join(
                session.scalars(
                    select(Category.name)
                    .where(Category.parent_id == parent.id)
                    .order_by(Category.name)
                )
            )
            raise ValidationFailed(
                f"There is no subcategory {subcategory!r} under {parent.name}. "
                f"Known subcategories: {known or 'none'}.",
                field="subcategory",
            )
        return parent.id, child.id

    def _shares(
        self, session: Session, principal: Principal, incident: Incident, emails: list[str]
    ) -> list[int]:
        """Requesters of the incident's customer who may follow it (a requester may name
        colleagues, whom it cannot otherwise look up)."""
        ids = []
        for email in emails:
            user = session.scalar(select(User).where(User.email == email))
            if user is None or user.customer_id != incident.customer_id:
                raise ValidationFailed(
                    f"{email} is not a user of this incident's customer.", field="shared_with"
                )
            ids.append(user.id)
        return ids

    def _set_priority(
        self,
        principal: Principal,
        incident: Incident,
        changes: ChangeSet,
        override: int | None,
        reason: str | None,
        *,
        explicit: bool,
    ) -> None:
        matrix_value = derive_priority(
            self.matrix, impact=incident.impact, urgency=incident.urgency
        )
        if explicit and override is not None:
            principal.require(Permission.INCIDENT_WORK)
            if override != matrix_value and not reason:
                raise ValidationFailed(
                    f"Overriding the priority (matrix says P{matrix_value}, you chose "
                    f"P{override}) needs a priority_reason.",
                    field="priority_reason",
                )
            overridden = override != matrix_value
            new_priority = override
        elif explicit:  # priority: null -> back to the matrix
            overridden, new_priority, reason = False, matrix_value, None
        elif incident.priority_overridden:
            return  # an override stands until someone changes it
        else:
            overridden, new_priority, reason = False, matrix_value, None
        changes.record("priority", incident.priority, new_priority)
        changes.record("priority_overridden", incident.priority_overridden, overridden)
        if overridden:
            changes.record("priority_reason", incident.priority_reason, reason)
        incident.priority = new_priority
        incident.priority_overridden = overridden
        incident.priority_reason = reason if overridden else None

    # create ------------------------------------------------------------------------------

    def create(self, principal: Principal, data: IncidentIn) -> IncidentOut:
        principal.require(Permission.INCIDENT_CREATE)
        if principal.is_requester:
            refused = sorted(data.model_fields_set - REQUESTER_FIELDS)
            if refused:
                raise PermissionDenied(
                    f"Requesters cannot set {', '.join(refused)}; the service desk does."
                )
        if data.opened_at is not None:
            principal.require(Permission.INCIDENT_BACKDATE)
            if data.opened_at > self.clock.now() + timedelta(minutes=1):
                raise ValidationFailed("opened_at cannot be in the future.", field="opened_at")
        with self.db.unit_of_work() as uow:
            s = uow.session
            spec = self._new_incident(s, principal, data)
            ((incident_id, _),) = open_incidents(
                uow, [spec], now=self.clock.now(), matrix=self.matrix
            )
            incident = s.get(Incident, incident_id)
            assert incident is not None
            return render_one(s, incident)

    def _new_incident(self, s: Session, principal: Principal, data: IncidentIn) -> NewIncident:
        """The reported incident, its references resolved and checked: `open_incidents`
        writes it, as it writes the incidents alerts open."""
        service, customer_id = service_and_customer(s, principal, data.service, data.customer)
        if data.requester and not principal.is_requester:
            requester: User | None = user_by_ref(s, principal, data.requester)
        else:
            requester = s.get(User, principal.user_id)  # None for the CLI's system actor
        category_id, subcategory_id = self._category(s, data.category, data.subcategory)
        draft = self._draft(s, principal, data, customer_id, service, requester)
        return NewIncident(
            title=data.title,
            description=data.description,
            type=data.type.value,
            customer_id=customer_id,
            service_id=service.id if service else None,
            team_id=draft.team_id,
            impact=data.impact,
            urgency=data.urgency,
            tags=data.tags,
            principal=principal,
            labels=Labels(
                customer=label(s, Customer, customer_id),
                service=service.slug if service else None,
                requester=requester.email if requester else None,
                team=label(s, Team, draft.team_id),
                assignee=label(s, User, draft.assignee_id),
                category=label(s, Category, category_id),
                subcategory=label(s, Category, subcategory_id),
            ),
            requester_id=requester.id if requester else None,
            assignee_id=draft.assignee_id,
            category_id=category_id,
            subcategory_id=subcategory_id,
            priority=draft.priority if draft.priority_overridden else None,
            priority_reason=draft.priority_reason,
            major=data.major,
            opened_at=data.opened_at,
            shares=self._shares(s, principal, draft, data.shared_with),
        )

    def _draft(
        self,
        s: Session,
        principal: Principal,
        data: IncidentIn,
        customer_id: int,
        service: Service | None,
        requester: User | None,
    ) -> Incident:
        """A draft the rules of incidents check and fill (never added to the session):
        the customer's objects, the priority, the owner."""
        draft = Incident(
            customer_id=customer_id,
            team_id=None,
            assignee_id=None,
            impact=data.impact,
            urgency=data.urgency,
            priority_overridden=False,
            priority_reason=None,
            reassignment_count=0,
        )
        if service is not None and not belongs(s, service.customer_id, draft):
            raise ValidationFailed(
                f"Service {service.slug} belongs to another customer.", field="service"
            )
        if requester is not None and not belongs(s, requester.customer_id, draft):
            raise ValidationFailed(
                f"{requester.email} is not a user of this incident's customer.",
                field="requester",
            )
        given = data.model_fields_set
        explicit = "priority" in given
        self._set_priority(
            principal, draft, ChangeSet(), data.priority, data.priority_reason, explicit=explicit
        )
        if data.team is not None or data.assignee is not None:
            apply_assignment(
                s,
                principal,
                draft,
                ChangeSet(),
                team_ref=data.team,
                assignee_ref=data.assignee,
                set_team=data.team is not None,
                set_assignee=data.assignee is not None,
            )
        elif service is not None and service.team_id is not None:
            # Routing to the service's team is the system's doing, not the reporter's: a
            # requester may report against a service whose team it cannot see.
            draft.team_id = service.team_id
        return draft

    # read --------------------------------------------------------------------------------

    def get(self, principal: Principal, ref: str) -> IncidentOut:
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            return render_one(s, incident, slas=self._slas(s, [incident]))

    def list(
        self,
        principal: Principal,
        filters: IncidentFilter,
        *,
        limit: int = 25,
        cursor: str | None = None,
        with_total: bool = True,
        sort: str | None = None,
    ) -> Page[IncidentOut]:
        """A page of incidents; `sort` is a column of queries.SORT_COLUMNS, "-" first for
        descending (the newest first by default)."""
        principal.require(Permission.INCIDENT_READ)
        check_limit(limit)
        order = parse_sort(sort)
        with self.db.read() as s:
            page, count = page_query(s, principal, filters, limit=limit, cursor=cursor, sort=order)
            rows = list(s.scalars(page))
            total = int(s.scalar(count) or 0) if with_total else -1
            shown = rows[:limit]
            return Page(
                items=render_many(s, shown, slas=self._slas(s, shown)),
                total=total,
                next=next_cursor(rows, limit, order),
            )

    def open_per_service(self, principal: Principal) -> dict[int, int]:
        """Open incidents per service id, among those the principal may see."""
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            return open_per_service(s, principal)

    # edit --------------------------------------------------------------------------------

    def patch(
        self, principal: Principal, ref: str, data: IncidentPatch, *, if_match: int | None = None
    ) -> IncidentOut:
        principal.require(Permission.INCIDENT_WORK)
        given = data.model_fields_set
        with self.db.unit_of_work() as uow:
            s = uow.session
            incident = incident_by_ref(s, principal, ref, for_update=True)
            self.check_version(incident, if_match)
            if not is_open(State(incident.state)) and given - {"tags", "shared_with"}:
                raise Conflict(
                    f"{incident.number} is {incident.state}; only tags and sharing change "
                    "after an incident is resolved, closed or cancelled. Reopen it first."
                )
            changes = ChangeSet()
            for name in ("title", "description", "major", "tags"):
                if name in given and getattr(data, name) is not None:
                    changes.record(name, getattr(incident, name), getattr(data, name))
                    setattr(incident, name, getattr(data, name))
            if "type" in given and data.type is not None:
                changes.record("type", incident.type, data.type.value)
                incident.type = data.type.value
            if given & {"category", "subcategory"}:
                category = (
                    data.category
                    if "category" in given
                    else label(s, Category, incident.category_id)
                )
                subcategory = (
                    data.subcategory
                    if "subcategory" in given
                    else (
                        None if "category" in given else label(s, Category, incident.subcategory_id)
                    )
                )
                cat_id, sub_id = self._category(s, category, subcategory)
                changes.record(
                    "category", label(s, Category, incident.category_id), label(s, Category, cat_id)
                )
                changes.record(
                    "subcategory",
                    label(s, Category, incident.subcategory_id),
                    label(s, Category, sub_id),
                )
                incident.category_id, incident.subcategory_id = cat_id, sub_id
            if "service" in given:
                service = (
                    service_by_slug(
                        s,
                        principal,
                        data.service,
                        customer_id=incident.customer_id,
                        field="service",
                    )
                    if data.service
                    else None
                )
                if service is not None and not belongs(s, service.customer_id, incident):
                    raise ValidationFailed(
                        f"Service {service.slug} belongs to another customer.", field="service"
                    )
                changes.record(
                    "service",
                    label(s, Service, incident.service_id),
                    service.slug if service else None,
                )
                incident.service_id = service.id if service else None
            if "requester" in given:
                requester = user_by_ref(s, principal, data.requester) if data.requester else None
                if requester is not None and not belongs(s, requester.customer_id, incident):
                    raise ValidationFailed(
                        f"{requester.email} is not a user of this incident's customer.",
                        field="requester",
                    )
                changes.record(
                    "requester",
                    label(s, User, incident.requester_id),
                    requester.email if requester else None,
                )
                incident.requester_id = requester.id if requester else None
            for name in ("impact", "urgency"):
                value = getattr(data, name)
                if name in given and value is not None:
                    changes.record(name, getattr(incident, name), value)
                    setattr(incident, name, value)
            if given & {"impact", "urgency", "priority"}:
                self._set_priority(
                    principal,
                    incident,
                    changes,
                    data.priority,
                    data.priority_reason,
                    explicit="priority" in given,
                )
            elif "priority_reason" in given:
                raise ValidationFailed(
                    "priority_reason goes with priority.", field="priority_reason"
                )
            if given & {"team", "assignee"}:
                apply_assignment(
                    s,
                    principal,
                    incident,
                    changes,
                    team_ref=data.team,
                    assignee_ref=data.assignee,
                    set_team="team" in given,
                    set_assignee="assignee" in given,
                )
                if incident.state == State.NEW.value and (incident.team_id or incident.assignee_id):
                    changes.record("state", State.NEW.value, State.ASSIGNED.value)
                    incident.state = State.ASSIGNED.value
            if "shared_with" in given and data.shared_with is not None:
                before = render_one(s, incident).shared_with
                ids = self._shares(s, principal, incident, data.shared_with)
                s.execute(delete(IncidentShare).where(IncidentShare.incident_id == incident.id))
                s.add_all(IncidentShare(incident_id=incident.id, user_id=u) for u in ids)
                changes.record("shared_with", before, sorted(dict.fromkeys(data.shared_with)))
            if changes:
                incident.version += 1
                incident.updated_at = self.clock.now()
                self.log(uow, principal, incident, kind="updated", changes=changes)
            s.flush()
            return render_one(s, incident)

    # notes and timeline ------------------------------------------------------------------

    def add_note(self, principal: Principal, ref: str, data: NoteIn) -> NoteOut:
        if data.internal:
            if principal.is_requester:
                raise PermissionDenied(
                    'Requesters add comments, not work notes: send "internal": false.'
                )
            principal.require(Permission.INCIDENT_WORK)
        else:
            principal.require(Permission.INCIDENT_COMMENT)
        with self.db.unit_of_work() as uow:
            s = uow.session
            incident = incident_by_ref(s, principal, ref, for_update=True)
            now = self.clock.now()
            actor = principal.actor
            note = IncidentNote(
                incident_id=incident.id,
                author_id=actor.user_id,
                author_label=actor.describe(),
                body=data.body,
                internal=data.internal,
                created_at=now,
            )
            s.add(note)
            incident.updated_at = now
            s.flush()
            self.log(
                uow,
                principal,
                incident,
                kind="work_note" if data.internal else "comment",
                message=data.body,
                internal=data.internal,
                extra={"note_id": note.id},
            )
            return NoteOut(
                id=note.id,
                body=note.body,
                internal=note.internal,
                author=note.author_label,
                created_at=note.created_at,
            )

    def notes(self, principal: Principal, ref: str) -> Page[NoteOut]:
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            query = select(IncidentNote).where(IncidentNote.incident_id == incident.id)
            if principal.is_requester:
                query = query.where(IncidentNote.internal.is_(False))
            rows = s.scalars(query.order_by(IncidentNote.id)).all()
            items = [
                NoteOut(
                    id=n.id,
                    body=n.body,
                    internal=n.internal,
                    author=n.author_label,
                    created_at=n.created_at,
                )
                for n in rows
            ]
            return Page(items=items, total=len(items), next=None)

    def timeline(self, principal: Principal, ref: str) -> Page[TimelineEntryOut]:
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            query = select(TimelineEntry).where(TimelineEntry.incident_id == incident.id)
            if principal.is_requester:
                query = query.where(TimelineEntry.internal.is_(False))
            rows = s.scalars(query.order_by(TimelineEntry.at, TimelineEntry.id)).all()
            items = [
                TimelineEntryOut(
                    id=e.id,
                    at=e.at,
                    actor=e.actor_label,
                    kind=e.kind,
                    changes=e.changes,
                    message=e.message,
                    internal=e.internal,
                )
                for e in rows
            ]
            return Page(items=items, total=len(items), next=None)

    def count(self) -> int:
        with self.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(Incident)) or 0)
