"""Use cases for problems: record, read, edit, move through the lifecycle, link the
incidents they cause."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id, owning_customer_id, user_by_ref
from tocsin.catalog.models import Category, Service
from tocsin.catalog.resolve import service_by_slug
from tocsin.changes.models import Change
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, NotFound, StaleVersion, ValidationFailed
from tocsin.core.paging import Page, check_limit, encode_cursor, id_from
from tocsin.db import counters
from tocsin.db.session import Database, UnitOfWork
from tocsin.incidents.changes import ChangeSet, label
from tocsin.incidents.lifecycle import OPEN_STATE_VALUES
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref
from tocsin.incidents.service import IncidentService
from tocsin.problems import known_errors
from tocsin.problems.impact import Occurrence, impact
from tocsin.problems.lifecycle import ProblemState, allowed, may_move, missing_for
from tocsin.problems.models import KnownError, Problem, ProblemIncident, ProblemService
from tocsin.problems.queries import problem_by_ref, scoped, top_category_id
from tocsin.problems.schemas import (
    ImpactOut,
    ProblemIn,
    ProblemIncidentOut,
    ProblemOut,
    ProblemPatch,
)

# Fields a PATCH copies as they come (text, the priority, the five whys).
PLAIN_FIELDS = (
    "title",
    "description",
    "priority",
    "root_cause",
    "contributing_factors",
    "five_whys",
    "workaround",
    "permanent_fix",
)


def format_number(value: int) -> str:
    return f"PRB{value:07d}"


def like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ProblemRecords:
    """Problems and the incidents linked to them; each write is one transaction with an
    audit entry (and a timeline entry on each incident it links or unlinks)."""

    def __init__(self, db: Database, clock: Clock, incidents: IncidentService) -> None:
        self.db = db
        self.clock = clock
        self.incidents = incidents

    # shared steps ------------------------------------------------------------------------

    def _audit(
        self,
        uow: UnitOfWork,
        principal: Principal,
        problem: Problem,
        kind: str,
        **data: Any,
    ) -> None:
        uow.record(
            f"problem.{kind}",
            "problem",
            problem.id,
            actor=principal.actor,
            customer_id=problem.customer_id,
            at=self.clock.now(),
            number=problem.number,
            **data,
        )

    @staticmethod
    def check_version(problem: Problem, if_match: int | None) -> None:
        if if_match is not None and if_match != problem.version:
            raise StaleVersion(
                f"{problem.number} changed since you read it (you sent version {if_match}, "
                f"it is now at version {problem.version}); reload it and apply your change "
                "again."
            )

    @staticmethod
    def _services(
        s: Session, principal: Principal, slugs: Sequence[str], customer_id: int
    ) -> list[Service]:
        found = []
        for slug in dict.fromkeys(slugs):
            service = service_by_slug(s, principal, slug, customer_id=customer_id, field="services")
            if service.customer_id != customer_id:
                raise ValidationFailed(
                    f"Service {slug} belongs to another customer than the problem.",
                    field="services",
                )
            found.append(service)
        return found

    @staticmethod
    def _owner_id(
        s: Session, principal: Principal, ref: str | None, customer_id: int
    ) -> int | None:
        if ref is None:
            return None
        try:
            user = user_by_ref(s, principal, ref)
        except NotFound:
            raise ValidationFailed(f"There is no user {ref!r}.", field="owner") from None
        customer = s.get(Customer, user.customer_id)
        if user.customer_id != customer_id and not (customer and customer.is_default):
            raise ValidationFailed(
                f"{user.email} cannot own a problem of another customer.", field="owner"
            )
        return user.id

    @staticmethod
    def _change_id(s: Session, change_id: int | None, customer_id: int) -> int | None:
        if change_id is None:
            return None
        change = s.get(Change, change_id)
        if change is None or change.customer_id != customer_id:
            raise ValidationFailed(
                f"There is no change {change_id} of this problem's customer.", field="fix_change"
            )
        return change.id

    def _set_services(self, s: Session, problem: Problem, services: Sequence[Service]) -> None:
        s.execute(delete(ProblemService).where(ProblemService.problem_id == problem.id))
        s.add_all(ProblemService(problem_id=problem.id, service_id=x.id) for x in services)

    # render ------------------------------------------------------------------------------

    def render(self, s: Session, problem: Problem) -> ProblemOut:
        services = list(
            s.scalars(
                select(Service.slug)
                .join(ProblemService, ProblemService.service_id == Service.id)
                .where(ProblemService.problem_id == problem.id)
                .order_by(Service.slug)
            )
        )
        known = s.scalar(
            select(KnownError.number)
            .where(KnownError.problem_id == problem.id)
            .order_by(KnownError.id)
            .limit(1)
        )
        occurrences = [
            Occurrence(opened_at=o, resolved_at=r, open=state in OPEN_STATE_VALUES)
            for o, r, state in s.execute(
                select(Incident.opened_at, Incident.resolved_at, Incident.state)
                .join(ProblemIncident, ProblemIncident.incident_id == Incident.id)
                .where(ProblemIncident.problem_id == problem.id)
            )
        ]
        figures = impact(occurrences, self.clock.now())
        state = ProblemState(problem.state)
        return ProblemOut(
            id=problem.id,
            number=problem.number,
            title=problem.title,
            description=problem.description,
            state=state,
            allowed_states=list(allowed(state)),
            customer=label(s, Customer, problem.customer_id),
            services=services,
            priority=problem.priority,
            category=label(s, Category, problem.category_id),
            owner=label_user(s, problem.owner_id),
            root_cause=problem.root_cause,
            root_cause_at=problem.root_cause_at,
            contributing_factors=problem.contributing_factors,
            five_whys=list(problem.five_whys),
            workaround=problem.workaround,
            permanent_fix=problem.permanent_fix,
            fix_change=problem.fix_change_id,
            known_error=known,
            impact=ImpactOut(
                incidents=figures.incidents,
                open=figures.open,
                downtime_seconds=figures.downtime_seconds,
                first_at=figures.first_at,
                last_at=figures.last_at,
            ),
            version=problem.version,
            opened_at=problem.opened_at,
            resolved_at=problem.resolved_at,
            closed_at=problem.closed_at,
            updated_at=problem.updated_at,
        )

    # create ------------------------------------------------------------------------------

    def create(self, principal: Principal, data: ProblemIn) -> ProblemOut:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            problem = self.open(uow, principal, data)
            return self.render(uow.session, problem)

    def open(self, uow: UnitOfWork, principal: Principal, data: ProblemIn) -> Problem:
        """Write a new problem in the caller's transaction (candidates accept through it)."""
        s = uow.session
        first = None
        if data.services:
            first = service_by_slug(
                s,
                principal,
                data.services[0],
                customer_id=named_customer_id(s, principal, data.customer),
                field="services",
            )
        customer_id = owning_customer_id(
            s,
            principal,
            slug=data.customer,
            service_customer_id=first.customer_id if first else None,
        )
        services = self._services(s, principal, data.services, customer_id)
        now = self.clock.now()
        number = format_number(counters.take(uow.raw, "problem"))
        problem = Problem(
            number=number,
            customer_id=customer_id,
            title=data.title,
            description=data.description,
            state=ProblemState.NEW.value,
            priority=data.priority,
            category_id=top_category_id(s, data.category),
            owner_id=self._owner_id(s, principal, data.owner, customer_id),
            root_cause=data.root_cause,
            contributing_factors=data.contributing_factors,
            five_whys=list(data.five_whys),
            workaround=data.workaround,
            permanent_fix=data.permanent_fix,
            fix_change_id=self._change_id(s, data.fix_change, customer_id),
            version=1,
            opened_at=now,
            root_cause_at=now if data.root_cause.strip() else None,
            updated_at=now,
            created_by_id=principal.actor.user_id,
        )
        s.add(problem)
        s.flush()
        self._set_services(s, problem, services)
        self._audit(uow, principal, problem, "created", title=problem.title)
        return problem

    # read --------------------------------------------------------------------------------

    def get(self, principal: Principal, ref: str) -> ProblemOut:
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            return self.render(s, problem_by_ref(s, principal, ref))

    def search(
        self,
        principal: Principal,
        *,
        state: str | None = None,
        service: str | None = None,
        customer: str | None = None,
        q: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[ProblemOut]:
        """Problems, the newest first (keyset on id)."""
        principal.require(Permission.PROBLEM_READ)
        check_limit(limit)
        with self.db.read() as s:
            conditions = [scoped(Problem.customer_id, principal)]
            if state:
                states: list[ProblemState] = []
                for part in state.split(","):
                    name = part.strip().lower()
                    if name == "open":
                        states.extend(
                            ProblemState(v)
                            for v in ("new", "assessed", "root_cause_analysis", "known_error")
                        )
                        continue
                    try:
                        states.append(ProblemState(name))
                    except ValueError:
                        names = ", ".join(["open", *(x.value for x in ProblemState)])
                        raise ValidationFailed(
                            f"state {name!r} is unknown; use one or more (comma-separated) "
                            f"of {names}.",
                            field="state",
                        ) from None
                conditions.append(Problem.state.in_([x.value for x in states]))
            customer_id = named_customer_id(s, principal, customer)
            if customer_id is not None:
                conditions.append(Problem.customer_id == customer_id)
            if service:
                found = service_by_slug(s, principal, service, customer_id=customer_id)
                conditions.append(
                    Problem.id.in_(
                        select(ProblemService.problem_id).where(
                            ProblemService.service_id == found.id
                        )
                    )
                )
            if q and q.strip():
                text = q.strip()
                if text.upper().startswith("PRB") and text[3:].isdecimal():
                    conditions.append(Problem.number == text.upper())
                else:
                    pattern = like_pattern(text)
                    conditions.append(
                        or_(
                            func.lower(Problem.title).like(pattern, escape="\\"),
                            func.lower(Problem.description).like(pattern, escape="\\"),
                            func.lower(Problem.root_cause).like(pattern, escape="\\"),
                        )
                    )
            total = int(s.scalar(select(func.count()).select_from(Problem).where(*conditions)) or 0)
            page = select(Problem).where(*conditions)
            if cursor:
                page = page.where(Problem.id < id_from(cursor))
            rows = list(s.scalars(page.order_by(Problem.id.desc()).limit(limit + 1)))
            shown = rows[:limit]
            return Page(
                items=[self.render(s, p) for p in shown],
                total=total,
                next=encode_cursor([shown[-1].id]) if len(rows) > limit else None,
            )

    # edit and move -----------------------------------------------------------------------

    def patch(
        self, principal: Principal, ref: str, data: ProblemPatch, *, if_match: int | None = None
    ) -> ProblemOut:
        principal.require(Permission.PROBLEM_MANAGE)
        given = data.model_fields_set - {"version"}
        with self.db.unit_of_work() as uow:
            s = uow.session
            problem = problem_by_ref(s, principal, ref, for_update=True)
            self.check_version(problem, if_match if if_match is not None else data.version)
            now = self.clock.now()
            changes = ChangeSet()
            for name in PLAIN_FIELDS:
                value = getattr(data, name)
                if name in given and value is not None:
                    changes.record(name, getattr(problem, name), value)
                    setattr(problem, name, list(value) if name == "five_whys" else value)
            if "category" in given:
                category_id = top_category_id(s, data.category)
                changes.record(
                    "category",
                    label(s, Category, problem.category_id),
                    label(s, Category, category_id),
                )
                problem.category_id = category_id
            if "owner" in given:
                owner_id = self._owner_id(s, principal, data.owner, problem.customer_id)
                changes.record("owner", label_user(s, problem.owner_id), label_user(s, owner_id))
                problem.owner_id = owner_id
            if "fix_change" in given:
                change_id = self._change_id(s, data.fix_change, problem.customer_id)
                changes.record("fix_change", problem.fix_change_id, change_id)
                problem.fix_change_id = change_id
            if "services" in given and data.services is not None:
                before = self.render(s, problem).services
                services = self._services(s, principal, data.services, problem.customer_id)
                self._set_services(s, problem, services)
                changes.record("services", before, sorted(x.slug for x in services))
            if problem.root_cause.strip() and problem.root_cause_at is None:
                problem.root_cause_at = now
            if data.state is not None and data.state.value != problem.state:
                self._move(uow, principal, problem, data.state, changes)
            if changes:
                problem.version += 1
                problem.updated_at = now
                self._audit(uow, principal, problem, "updated", changes=changes.changes)
            s.flush()
            return self.render(s, problem)

    def _move(
        self,
        uow: UnitOfWork,
        principal: Principal,
        problem: Problem,
        target: ProblemState,
        changes: ChangeSet,
    ) -> None:
        source = ProblemState(problem.state)
        if not may_move(source, target):
            names = ", ".join(x.value for x in allowed(source)) or "none (it is closed)"
            raise Conflict(
                f"{problem.number} cannot move from {source.value} to {target.value}. "
                f"States allowed from {source.value}: {names}.",
                field="state",
            )
        missing = missing_for(
            target,
            root_cause=problem.root_cause,
            workaround=problem.workaround,
            permanent_fix=problem.permanent_fix,
        )
        if missing:
            raise ValidationFailed(
                f"A problem becomes {target.value.replace('_', ' ')} only with "
                f"{' and '.join(missing)} recorded; fill {'them' if len(missing) > 1 else 'it'} "
                "in (in the same request, if you like).",
                field=missing[0],
            )
        now = self.clock.now()
        changes.record("state", source.value, target.value)
        problem.state = target.value
        if target is ProblemState.RESOLVED:
            problem.resolved_at = now
        elif target is ProblemState.CLOSED:
            problem.closed_at = now
        elif problem.resolved_at is not None:  # a fix that did not hold
            problem.resolved_at = None
        if target is ProblemState.KNOWN_ERROR:
            s = uow.session
            s.flush()
            known_errors.record_for_problem(uow, principal, problem, now=now)

    # incidents ---------------------------------------------------------------------------

    def linked(self, principal: Principal, ref: str) -> list[ProblemIncidentOut]:
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            return incidents_of(s, problem_by_ref(s, principal, ref))

    def of_incident(self, principal: Principal, incident_ref: str) -> ProblemOut | None:
        """The problem an incident is linked to, if any."""
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, incident_ref)
            problem = problem_of_incident(s, incident.id)
            return self.render(s, problem) if problem is not None else None

    def link(self, principal: Principal, ref: str, refs: Sequence[str]) -> list[ProblemIncidentOut]:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            problem = problem_by_ref(s, principal, ref, for_update=True)
            found = []
            for incident_ref in dict.fromkeys(r.upper() for r in refs):
                try:
                    incident = incident_by_ref(s, principal, incident_ref)
                except NotFound:
                    raise ValidationFailed(
                        f"There is no incident {incident_ref!r} you can link; check the number.",
                        field="incidents",
                    ) from None
                if incident.customer_id != problem.customer_id:
                    raise ValidationFailed(
                        f"{incident.number} belongs to another customer than {problem.number}.",
                        field="incidents",
                    )
                found.append(incident)
            self.attach(uow, principal, problem, found, source="manual")
            s.flush()
            return incidents_of(s, problem)

    def attach(
        self,
        uow: UnitOfWork,
        principal: Principal,
        problem: Problem,
        incidents: Sequence[Incident],
        *,
        source: str,
    ) -> None:
        """Link incidents (none linked to another problem) in the caller's transaction."""
        s = uow.session
        ids = sorted({i.id for i in incidents})
        # Lock the incidents first: two people linking one incident to two problems wait
        # for each other, and the second then sees the first's link.
        s.execute(
            select(Incident.id).where(Incident.id.in_(ids)).order_by(Incident.id).with_for_update()
        )
        existing: dict[int, str] = dict(
            s.execute(
                select(ProblemIncident.incident_id, Problem.number)
                .join(Problem, Problem.id == ProblemIncident.problem_id)
                .where(ProblemIncident.incident_id.in_(ids))
            ).all()
        )
        taken = sorted(
            f"{i.number} ({existing[i.id]})"
            for i in incidents
            if i.id in existing and existing[i.id] != problem.number
        )
        if taken:
            raise Conflict(
                f"An incident has at most one problem, and these are linked to another: "
                f"{', '.join(taken)}. Unlink them there first.",
                field="incidents",
            )
        now = self.clock.now()
        added = [i for i in incidents if i.id not in existing]
        for incident in added:
            s.add(
                ProblemIncident(
                    incident_id=incident.id,
                    problem_id=problem.id,
                    source=source,
                    linked_at=now,
                    linked_by_id=principal.actor.user_id,
                )
            )
            incident.updated_at = now
            self.incidents.log(
                uow,
                principal,
                incident,
                kind="problem_linked",
                message=f"Linked to problem {problem.number}: {problem.title}",
                internal=True,
                extra={"problem": problem.number, "source": source},
            )
        if added:
            problem.updated_at = now
            self._audit(
                uow,
                principal,
                problem,
                "incidents_linked",
                incidents=[i.number for i in added],
                source=source,
            )

    def unlink(self, principal: Principal, ref: str, incident_ref: str) -> None:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            problem = problem_by_ref(s, principal, ref, for_update=True)
            incident = incident_by_ref(s, principal, incident_ref, for_update=True)
            link = s.get(ProblemIncident, incident.id)
            if link is None or link.problem_id != problem.id:
                raise NotFound(f"{incident.number} is not linked to {problem.number}.")
            s.delete(link)
            now = self.clock.now()
            incident.updated_at = problem.updated_at = now
            self.incidents.log(
                uow,
                principal,
                incident,
                kind="problem_unlinked",
                message=f"Unlinked from problem {problem.number}.",
                internal=True,
                extra={"problem": problem.number},
            )
            self._audit(uow, principal, problem, "incident_unlinked", incident=incident.number)


def label_user(s: Session, user_id: int | None) -> str | None:
    return label(s, User, user_id)


def incidents_of(s: Session, problem: Problem) -> list[ProblemIncidentOut]:
    rows = s.execute(
        select(Incident, ProblemIncident)
        .join(ProblemIncident, ProblemIncident.incident_id == Incident.id)
        .where(ProblemIncident.problem_id == problem.id)
        .order_by(Incident.opened_at, Incident.id)
    ).all()
    return [
        ProblemIncidentOut(
            id=i.id,
            number=i.number,
            title=i.title,
            state=i.state,
            priority=i.priority,
            opened_at=i.opened_at,
            resolved_at=i.resolved_at,
            source=link.source,
            linked_at=link.linked_at,
        )
        for i, link in rows
    ]


def problem_of_incident(s: Session, incident_id: int) -> Problem | None:
    return s.scalar(
        select(Problem)
        .join(ProblemIncident, ProblemIncident.problem_id == Problem.id)
        .where(ProblemIncident.incident_id == incident_id)
    )
