"""The known-error database: record, search and edit known errors; which of them a given
incident matches (computed on read), and the engine duty that links new incidents to the
problem of the known error they match, once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import default_customer, named_customer_id, owning_customer_id
from tocsin.catalog.models import Category, Service
from tocsin.catalog.resolve import service_by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import StaleVersion, ValidationFailed
from tocsin.core.paging import Page, check_limit, encode_cursor, id_from
from tocsin.db import counters
from tocsin.db.counters import Counter
from tocsin.db.session import Database, UnitOfWork
from tocsin.db.upsert import insert_ignoring
from tocsin.incidents.changes import ChangeSet, label
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import incident_by_ref
from tocsin.incidents.service import IncidentService
from tocsin.problems.matching import (
    IncidentFacts,
    KnownErrorFacts,
    Match,
    common_fingerprint,
    matches,
)
from tocsin.problems.models import KnownError, Problem, ProblemIncident, ProblemService
from tocsin.problems.queries import (
    dedup_keys,
    incident_words,
    known_error_by_ref,
    problem_by_ref,
    scoped,
    top_category_id,
)
from tocsin.problems.schemas import (
    KnownErrorIn,
    KnownErrorMatchOut,
    KnownErrorOut,
    KnownErrorPatch,
)
from tocsin.problems.similarity import tokens

# the counter row holding the last incident id the scan has checked (migration 0021)
SCAN_COUNTER = "known_error_scan"
# Incident ids are taken before their transactions commit, so an incident with a lower id
# can appear after a higher one: the scan looks this far back behind its watermark.
SCAN_LOOKBACK = 100
SCAN_BATCH = 500


def format_number(value: int) -> str:
    return f"KE{value:07d}"


def _audit(
    uow: UnitOfWork, principal: Principal, known: KnownError, kind: str, at: datetime, **data: Any
) -> None:
    uow.record(
        f"known_error.{kind}",
        "known_error",
        known.id,
        actor=principal.actor,
        customer_id=known.customer_id,
        at=at,
        number=known.number,
        **data,
    )


def record_for_problem(
    uow: UnitOfWork, principal: Principal, problem: Problem, *, now: datetime
) -> KnownError:
    """Create or update the known error of a problem entering Known error: its title,
    first service, category and workaround; its fingerprint the alert key its incidents
    share, when they share one."""
    s = uow.session
    service_id = s.scalar(
        select(ProblemService.service_id)
        .where(ProblemService.problem_id == problem.id)
        .order_by(ProblemService.service_id)
        .limit(1)
    )
    known = s.scalar(
        select(KnownError).where(KnownError.problem_id == problem.id).order_by(KnownError.id)
    )
    if known is None:
        incident_ids = list(
            s.scalars(
                select(ProblemIncident.incident_id).where(ProblemIncident.problem_id == problem.id)
            )
        )
        known = KnownError(
            number=format_number(counters.take(uow.raw, "known_error")),
            customer_id=problem.customer_id,
            problem_id=problem.id,
            title=problem.title,
            service_id=service_id,
            category_id=problem.category_id,
            symptoms=problem.description,
            workaround=problem.workaround,
            fingerprint=common_fingerprint(dedup_keys(s, incident_ids).values()),
            active=True,
            version=1,
            created_at=now,
            updated_at=now,
            created_by_id=principal.actor.user_id,
        )
        s.add(known)
        s.flush()
        _audit(uow, principal, known, "created", now, problem=problem.number)
        return known
    changes = ChangeSet()
    for name, value in (
        ("title", problem.title),
        ("service_id", service_id),
        ("category_id", problem.category_id),
        ("workaround", problem.workaround),
        ("active", True),
    ):
        changes.record(name, getattr(known, name), value)
        setattr(known, name, value)
    if changes:
        known.version += 1
        known.updated_at = now
        _audit(uow, principal, known, "updated", now, changes=changes.changes)
    return known


def render(s: Session, known: KnownError) -> KnownErrorOut:
    problem = s.get(Problem, known.problem_id) if known.problem_id else None
    return KnownErrorOut(
        id=known.id,
        number=known.number,
        title=known.title,
        customer=label(s, Customer, known.customer_id),
        service=label(s, Service, known.service_id),
        category=label(s, Category, known.category_id),
        symptoms=known.symptoms,
        workaround=known.workaround,
        fingerprint=known.fingerprint,
        problem=problem.number if problem else None,
        active=known.active,
        version=known.version,
        created_at=known.created_at,
        updated_at=known.updated_at,
    )


def facts(known: KnownError) -> KnownErrorFacts:
    return KnownErrorFacts(
        id=known.id,
        customer_id=known.customer_id,
        service_id=known.service_id,
        category_id=known.category_id,
        fingerprint=known.fingerprint,
        active=known.active,
        words=tokens(f"{known.title} {known.symptoms}"),
    )


def incident_facts(incident: Incident, keys: frozenset[str]) -> IncidentFacts:
    return IncidentFacts(
        customer_id=incident.customer_id,
        service_id=incident.service_id,
        category_id=incident.category_id,
        dedup_keys=keys,
        words=incident_words(incident),
    )


def active_of(s: Session, customer_ids: set[int]) -> dict[int, list[KnownError]]:
    """The active known errors of some customers, per customer."""
    found: dict[int, list[KnownError]] = {c: [] for c in customer_ids}
    for known in s.scalars(
        select(KnownError).where(
            KnownError.active.is_(True), KnownError.customer_id.in_(customer_ids)
        )
    ):
        found[known.customer_id].append(known)
    return found


def match_incident(s: Session, incident: Incident) -> list[tuple[KnownError, Match]]:
    known = active_of(s, {incident.customer_id})[incident.customer_id]
    by_id = {k.id: k for k in known}
    keys = dedup_keys(s, [incident.id])[incident.id]
    found = matches(incident_facts(incident, keys), [facts(k) for k in known])
    return [(by_id[m.known_error_id], m) for m in found]


def match_out(s: Session, known: KnownError, found: Match) -> KnownErrorMatchOut:
    problem = s.get(Problem, known.problem_id) if known.problem_id else None
    return KnownErrorMatchOut(
        id=known.id,
        number=known.number,
        title=known.title,
        workaround=known.workaround,
        problem=problem.number if problem else None,
        reason=found.reason,
        score=round(found.score, 3),
    )


class KnownErrors:
    def __init__(self, db: Database, clock: Clock, incidents: IncidentService) -> None:
        self.db = db
        self.clock = clock
        self.incidents = incidents

    @staticmethod
    def _service_id(
        s: Session, principal: Principal, slug: str | None, customer_id: int
    ) -> int | None:
        if not slug:
            return None
        service = service_by_slug(s, principal, slug, customer_id=customer_id, field="service")
        if service.customer_id != customer_id:
            raise ValidationFailed(
                f"Service {slug} belongs to another customer than the known error.",
                field="service",
            )
        return service.id

    def create(self, principal: Principal, data: KnownErrorIn) -> KnownErrorOut:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            problem = None
            if data.problem:
                problem = problem_by_ref(s, principal, data.problem)
            service = None
            if data.service:
                service = service_by_slug(
                    s,
                    principal,
                    data.service,
                    customer_id=named_customer_id(s, principal, data.customer),
                    field="service",
                )
            customer_id = (
                problem.customer_id
                if problem is not None and not data.customer
                else owning_customer_id(
                    s,
                    principal,
                    slug=data.customer,
                    service_customer_id=service.customer_id if service else None,
                )
            )
            if problem is not None and problem.customer_id != customer_id:
                raise ValidationFailed(
                    f"{problem.number} belongs to another customer.", field="problem"
                )
            now = self.clock.now()
            known = KnownError(
                number=format_number(counters.take(uow.raw, "known_error")),
                customer_id=customer_id,
                problem_id=problem.id if problem else None,
                title=data.title,
                service_id=self._service_id(s, principal, data.service, customer_id),
                category_id=top_category_id(s, data.category),
                symptoms=data.symptoms,
                workaround=data.workaround,
                fingerprint=data.fingerprint,
                active=data.active,
                version=1,
                created_at=now,
                updated_at=now,
                created_by_id=principal.actor.user_id,
            )
            s.add(known)
            s.flush()
            _audit(uow, principal, known, "created", now)
            return render(s, known)

    def get(self, principal: Principal, ref: str) -> KnownErrorOut:
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            return render(s, known_error_by_ref(s, principal, ref))

    def search(
        self,
        principal: Principal,
        *,
        q: str | None = None,
        service: str | None = None,
        category: str | None = None,
        active: bool | None = None,
        customer: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[KnownErrorOut]:
        principal.require(Permission.PROBLEM_READ)
        check_limit(limit)
        with self.db.read() as s:
            conditions = [scoped(KnownError.customer_id, principal)]
            customer_id = named_customer_id(s, principal, customer)
            if customer_id is not None:
                conditions.append(KnownError.customer_id == customer_id)
            if service:
                found = service_by_slug(s, principal, service, customer_id=customer_id)
                conditions.append(KnownError.service_id == found.id)
            if category:
                conditions.append(KnownError.category_id == top_category_id(s, category))
            if active is not None:
                conditions.append(KnownError.active.is_(active))
            if q and q.strip():
                escaped = (
                    q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                )
                pattern = f"%{escaped}%"
                conditions.append(
                    or_(
                        *(
                            func.lower(column).like(pattern, escape="\\")
                            for column in (
                                KnownError.title,
                                KnownError.symptoms,
                                KnownError.workaround,
                            )
                        ),
                        KnownError.number == q.strip().upper(),
                    )
                )
            total = int(
                s.scalar(select(func.count()).select_from(KnownError).where(*conditions)) or 0
            )
            page = select(KnownError).where(*conditions)
            if cursor:
                page = page.where(KnownError.id < id_from(cursor))
            rows = list(s.scalars(page.order_by(KnownError.id.desc()).limit(limit + 1)))
            shown = rows[:limit]
            return Page(
                items=[render(s, k) for k in shown],
                total=total,
                next=encode_cursor([shown[-1].id]) if len(rows) > limit else None,
            )

    def patch(
        self,
        principal: Principal,
        ref: str,
        data: KnownErrorPatch,
        *,
        if_match: int | None = None,
    ) -> KnownErrorOut:
        principal.require(Permission.PROBLEM_MANAGE)
        given = data.model_fields_set - {"version"}
        with self.db.unit_of_work() as uow:
            s = uow.session
            known = known_error_by_ref(s, principal, ref, for_update=True)
            expected = if_match if if_match is not None else data.version
            if expected is not None and expected != known.version:
                raise StaleVersion(
                    f"{known.number} changed since you read it (you sent version {expected}, "
                    f"it is now at version {known.version}); reload it and apply your change "
                    "again."
                )
            changes = ChangeSet()
            for name in ("title", "symptoms", "workaround", "active"):
                value = getattr(data, name)
                if name in given and value is not None:
                    changes.record(name, getattr(known, name), value)
                    setattr(known, name, value)
            if "fingerprint" in given:
                changes.record("fingerprint", known.fingerprint, data.fingerprint)
                known.fingerprint = data.fingerprint
            if "service" in given:
                service_id = self._service_id(s, principal, data.service, known.customer_id)
                changes.record(
                    "service", label(s, Service, known.service_id), label(s, Service, service_id)
                )
                known.service_id = service_id
            if "category" in given:
                category_id = top_category_id(s, data.category)
                changes.record(
                    "category",
                    label(s, Category, known.category_id),
                    label(s, Category, category_id),
                )
                known.category_id = category_id
            if changes:
                now = self.clock.now()
                known.version += 1
                known.updated_at = now
                _audit(uow, principal, known, "updated", now, changes=changes.changes)
            s.flush()
            return render(s, known)

    # matching ----------------------------------------------------------------------------

    def for_incident(self, principal: Principal, ref: str) -> list[KnownErrorMatchOut]:
        """The known errors the incident matches now, best first (computed on read)."""
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            incident = incident_by_ref(s, principal, ref)
            return [match_out(s, k, m) for k, m in match_incident(s, incident)]

    def record_matches(self) -> int:
        """Engine duty: link incidents opened since the last run to the problem of the best
        known error they match, when they have no problem yet; answer how many it linked.
        Idempotent: the link's key is the incident (an incident has one problem), written
        with INSERT ... ON CONFLICT DO NOTHING, so a second worker adds nothing."""
        linked = 0
        with self.db.unit_of_work() as uow:
            s = uow.session
            watermark = int(
                s.scalar(select(Counter.value).where(Counter.name == SCAN_COUNTER)) or 0
            )
            rows = list(
                s.scalars(
                    select(Incident)
                    .where(
                        Incident.id > watermark - SCAN_LOOKBACK,
                        ~Incident.id.in_(select(ProblemIncident.incident_id)),
                    )
                    .order_by(Incident.id)
                    .limit(SCAN_BATCH)
                )
            )
            if not rows:
                return 0
            known = active_of(s, {i.customer_id for i in rows})
            keys = dedup_keys(s, [i.id for i in rows])
            robot = system_principal(
                default_customer_id=default_customer(s).id, name="known-errors"
            )
            now = self.clock.now()
            for incident in rows:
                candidates = [k for k in known[incident.customer_id] if k.problem_id]
                found = matches(
                    incident_facts(incident, keys[incident.id]), [facts(k) for k in candidates]
                )
                if not found:
                    continue
                best = next(k for k in candidates if k.id == found[0].known_error_id)
                # RETURNING answers a row only when this transaction wrote the link
                inserted = s.scalar(
                    insert_ignoring(s, ProblemIncident.__table__)  # type: ignore[arg-type]
                    .values(
                        incident_id=incident.id,
                        problem_id=best.problem_id,
                        source="known_error",
                        linked_at=now,
                        linked_by_id=None,
                    )
                    .returning(ProblemIncident.incident_id)
                )
                if inserted is None:
                    continue
                problem = s.get(Problem, best.problem_id)
                assert problem is not None
                self.incidents.log(
                    uow,
                    robot,
                    incident,
                    kind="problem_linked",
                    message=f"Matches known error {best.number} ({found[0].reason}); linked "
                    f"to problem {problem.number}. Workaround: {best.workaround}",
                    internal=True,
                    extra={"problem": problem.number, "known_error": best.number},
                )
                linked += 1
            high = max(i.id for i in rows)
            s.execute(
                update(Counter)
                .where(Counter.name == SCAN_COUNTER, Counter.value < high)
                .values(value=high)
            )
        return linked
