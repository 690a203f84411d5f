"""One report for one principal: validate the filters, run its statement, shape its table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.core.errors import ValidationFailed
from tocsin.incidents.models import Incident
from tocsin.reports import sql, tables
from tocsin.reports.definitions import Filters, ReportDefinition, definition, parse_filters
from tocsin.reports.tables import Table


@dataclass(frozen=True, slots=True)
class ReportResult:
    report: ReportDefinition
    filters: Filters
    table: Table

    def as_json(self) -> dict[str, object]:
        return {
            "report": self.report.name,
            "filters": self.filters.as_dict(),
            "definition": self.report.sentence,
            "columns": self.table.columns,
            "rows": self.table.rows,
            "total": self.table.total,
        }


def prepare(
    name: str, params: Mapping[str, str | None], now: datetime
) -> tuple[ReportDefinition, Filters]:
    report = definition(name)
    return report, parse_filters(report, params, now)


def check_slugs(session: Session, principal: Principal, filters: Filters) -> None:
    for kind, slug in (
        ("customer", filters.customer),
        ("team", filters.team),
        ("service", filters.service),
    ):
        if slug is not None and not sql.slug_exists(session, principal, kind, slug):
            raise ValidationFailed(f"There is no {kind} {slug!r}.", field=kind)


def build(
    session: Session,
    principal: Principal,
    report: ReportDefinition,
    filters: Filters,
    now: datetime,
) -> Table:
    by = filters.by
    name = report.name
    if name in ("mtta", "mttr"):
        end = Incident.acknowledged_at if name == "mtta" else Incident.resolved_at
        groups = sql.durations(session, principal, filters, end, by=by)
        total = groups if by is None else sql.durations(session, principal, filters, end, by=None)
        return tables.duration_table(groups, total, by)
    if name == "sla-compliance":
        return tables.sla_table(sql.sla_counts(session, principal, filters), by)
    if name == "reopen-rate":
        return tables.reopen_table(sql.incident_counts(session, principal, filters), by)
    if name == "reassignment":
        return tables.reassignment_table(sql.incident_counts(session, principal, filters), by)
    if name == "backlog":
        at = min(filters.end, now)
        return tables.backlog_table(sql.backlog(session, principal, filters, at, now), at)
    if name == "volume":
        return tables.volume_table(sql.volume(session, principal, filters), by)
    if name == "top-categories":
        return tables.categories_table(sql.categories(session, principal, filters))
    if name == "problems":
        return tables.problems_table(sql.problems(session, principal, filters), by)
    raise AssertionError(f"report {name} has no builder")
