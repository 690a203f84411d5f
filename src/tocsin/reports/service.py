"""The figures a dashboard or report shows, for one principal (role and customers checked
here, as every service does)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.clock import Clock
from tocsin.core.times import zone
from tocsin.db.session import Database
from tocsin.reports.queries import OPEN, open_counts, sla_watch_candidates, timing_rows
from tocsin.reports.runner import ReportResult, build, check_slugs, prepare
from tocsin.reports.timing import TimingTrend, timing_trend, window_start
from tocsin.sla.service import SlaService

PRIORITIES = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class OpenMatrix:
    """Open incidents by priority (rows) and state (columns, in lifecycle order)."""

    states: list[str]
    cells: dict[tuple[int, str], int]
    unassigned: int
    major: int

    def count(self, priority: int, state: str) -> int:
        return self.cells.get((priority, state), 0)

    def priority_total(self, priority: int) -> int:
        return sum(self.count(priority, s) for s in self.states)

    def state_total(self, state: str) -> int:
        return sum(self.count(p, state) for p in PRIORITIES)

    @property
    def total(self) -> int:
        return sum(self.cells.values())


@dataclass(frozen=True, slots=True)
class SlaWatchItem:
    number: str
    title: str
    priority: int
    state: str  # "warning" or "breached"
    due_at: datetime | None  # the earliest due time of a clock not yet met


@dataclass(frozen=True, slots=True)
class SlaWatch:
    at_risk: int
    breached: int
    items: list[SlaWatchItem]  # all of them, soonest (or longest overdue) first


class ReportService:
    def __init__(self, db: Database, clock: Clock, sla: SlaService) -> None:
        self.db = db
        self.clock = clock
        self.sla = sla

    def open_matrix(self, principal: Principal) -> OpenMatrix:
        principal.require(Permission.INCIDENT_READ)
        with self.db.read() as s:
            counts = open_counts(s, principal)
        return OpenMatrix(
            states=list(OPEN),
            cells={(c.priority, c.state): c.count for c in counts},
            unassigned=sum(c.unassigned for c in counts),
            major=sum(c.major for c in counts),
        )

    def sla_watch(self, principal: Principal) -> SlaWatch:
        """Open incidents whose SLA is at risk (warning) or breached."""
        principal.require(Permission.INCIDENT_READ)
        now = self.clock.now()
        with self.db.read() as s:
            candidates = sla_watch_candidates(s, principal, now)
            slas = self.sla.sla_of(s, [c[0] for c in candidates], now)
        items = []
        for ident, number, title, priority in candidates:
            sla = slas.get(ident)
            if sla is None or sla.state not in ("warning", "breached"):
                continue
            dues = [
                target.due_at
                for target in (sla.response, sla.resolution)
                if target.met_at is None and target.due_at is not None
            ]
            items.append(
                SlaWatchItem(
                    number=number,
                    title=title,
                    priority=priority,
                    state=sla.state,
                    due_at=min(dues) if dues else None,
                )
            )
        items.sort(key=lambda i: (i.due_at is None, i.due_at or now, i.number))
        return SlaWatch(
            at_risk=sum(1 for i in items if i.state == "warning"),
            breached=sum(1 for i in items if i.state == "breached"),
            items=items,
        )

    def timing(self, principal: Principal, *, days: int = 30) -> TimingTrend:
        """MTTA and MTTR per day of the last `days` days in the principal's time zone."""
        principal.require(Permission.INCIDENT_READ)
        now = self.clock.now()
        tz = zone(principal.time_zone)
        with self.db.read() as s:
            rows = timing_rows(s, principal, window_start(now, tz, days))
        return timing_trend(rows, now=now, tz=tz, days=days)

    def report(
        self, principal: Principal, name: str, params: Mapping[str, str | None]
    ) -> ReportResult:
        """The report `name` (see reports.definitions) with the filters in `params`, over
        what the principal's customers see. NotFound for an unknown report,
        ValidationFailed for bad filters."""
        principal.require(Permission.REPORTS_READ)
        now = self.clock.now()
        report, filters = prepare(name, params, now)
        with self.db.snapshot() as s:
            check_slugs(s, principal, filters)
            table = build(s, principal, report, filters, now)
        return ReportResult(report=report, filters=filters, table=table)
