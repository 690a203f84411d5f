"""Problem candidates: recurring incidents without a problem, clustered (see
`clustering`), proposed to the people who manage problems; accept one to open a problem
with its incidents linked, or dismiss it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.catalog.models import Category, Service
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound
from tocsin.db.session import Database
from tocsin.db.upsert import insert_ignoring
from tocsin.incidents.changes import label
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import visible
from tocsin.problems.clustering import Cluster, Item, clusters
from tocsin.problems.models import ProblemCandidateDismissal, ProblemIncident
from tocsin.problems.queries import dedup_keys, incident_words
from tocsin.problems.schemas import CandidateIncidentOut, CandidateOut, ProblemIn, ProblemOut
from tocsin.problems.service import ProblemRecords

# Clustering looks at no more than this many recent incidents (the newest), to stay fast.
MAX_INCIDENTS = 5000


def _common(values: list[int | None]) -> int | None:
    """The value every incident has, or None."""
    distinct = set(values)
    return values[0] if len(distinct) == 1 else None


class Candidates:
    def __init__(
        self, db: Database, clock: Clock, records: ProblemRecords, *, days: int, minimum: int
    ) -> None:
        self.db = db
        self.clock = clock
        self.records = records
        self.days = days
        self.minimum = minimum

    def _found(self, s: Session, principal: Principal) -> list[tuple[Cluster, list[Incident]]]:
        since = self.clock.now() - timedelta(days=self.days)
        rows = list(
            s.scalars(
                select(Incident)
                .where(
                    Incident.opened_at >= since,
                    visible(principal),
                    ~Incident.id.in_(select(ProblemIncident.incident_id)),
                )
                .order_by(Incident.opened_at.desc(), Incident.id.desc())
                .limit(MAX_INCIDENTS)
            )
        )
        keys = dedup_keys(s, [i.id for i in rows])
        items = [
            Item(
                id=i.id,
                customer_id=i.customer_id,
                service_id=i.service_id,
                category_id=i.category_id,
                dedup_keys=keys[i.id],
                words=incident_words(i),
            )
            for i in rows
        ]
        by_id = {i.id: i for i in rows}
        found = clusters(items, minimum=self.minimum)
        dismissed = set(
            s.scalars(
                select(ProblemCandidateDismissal.key).where(
                    ProblemCandidateDismissal.key.in_([c.key for c in found])
                )
            )
        )
        return [
            (c, sorted((by_id[i] for i in c.ids), key=lambda i: (i.opened_at, i.id)))
            for c in found
            if c.key not in dismissed
        ]

    @staticmethod
    def _title(incidents: list[Incident]) -> str:
        """The title the incidents most often have (ties: the latest one's)."""
        counts = Counter(i.title for i in incidents)
        best = max(counts.values())
        return next(i.title for i in reversed(incidents) if counts[i.title] == best)

    def _render(self, s: Session, cluster: Cluster, incidents: list[Incident]) -> CandidateOut:
        return CandidateOut(
            key=cluster.key,
            customer=label(s, Customer, cluster.customer_id),
            title=self._title(incidents),
            service=label(s, Service, _common([i.service_id for i in incidents])),
            category=label(s, Category, _common([i.category_id for i in incidents])),
            incidents=[
                CandidateIncidentOut(id=i.id, number=i.number, title=i.title, opened_at=i.opened_at)
                for i in incidents
            ],
        )

    def search(self, principal: Principal) -> list[CandidateOut]:
        principal.require(Permission.PROBLEM_READ)
        with self.db.read() as s:
            return [self._render(s, c, i) for c, i in self._found(s, principal)]

    def _one(self, s: Session, principal: Principal, key: str) -> tuple[Cluster, list[Incident]]:
        for cluster, incidents in self._found(s, principal):
            if cluster.key == key:
                return cluster, incidents
        raise NotFound(
            f"There is no problem candidate {key!r}: it was accepted or dismissed, or its "
            "incidents changed (list the candidates again)."
        )

    def accept(self, principal: Principal, key: str) -> ProblemOut:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            cluster, incidents = self._one(s, principal, key)
            shown = self._render(s, cluster, incidents)
            problem = self.records.open(
                uow,
                principal,
                ProblemIn(
                    title=shown.title,
                    # what the incidents said: the known error's symptoms, later
                    description="\n".join(dict.fromkeys(i.title for i in incidents)),
                    customer=shown.customer,
                    services=[shown.service] if shown.service else [],
                    category=shown.category,
                ),
            )
            self.records.attach(uow, principal, problem, incidents, source="candidate")
            s.flush()
            return self.records.render(s, problem)

    def dismiss(self, principal: Principal, key: str) -> None:
        principal.require(Permission.PROBLEM_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            cluster, incidents = self._one(s, principal, key)
            now = self.clock.now()
            s.execute(
                insert_ignoring(s, ProblemCandidateDismissal.__table__).values(  # type: ignore[arg-type]
                    key=cluster.key,
                    customer_id=cluster.customer_id,
                    dismissed_at=now,
                    dismissed_by_id=principal.actor.user_id,
                )
            )
            uow.record(
                "problem_candidate.dismissed",
                "problem_candidate",
                cluster.key,
                actor=principal.actor,
                customer_id=cluster.customer_id,
                at=now,
                incidents=[i.number for i in incidents],
            )
