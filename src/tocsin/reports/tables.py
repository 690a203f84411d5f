"""From the rows a statement returned to the report's table and total (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.reports.statistics import AGE_BUCKETS, Summary, share, summarise

Cell = str | int | float | None
PROBLEM_STATES = ("new", "assessed", "root_cause_analysis", "known_error", "resolved", "closed")
ALL = "all"
NONE_LABEL = "(none)"


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[dict[str, Cell]]
    total: dict[str, Cell]
    # the chart: one bar (or point) per row, labelled by `label`, measuring `value`
    label: str = "group"
    value: str = "count"
    notes: dict[str, Cell] = field(default_factory=dict)


def group_label(key: Any, by: str | None) -> str:
    if by is None:
        return ALL
    if key is None:
        return NONE_LABEL
    if by == "priority":
        return f"P{int(key)}"
    return str(key)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _summary_cells(summary: Summary) -> dict[str, Cell]:
    return {
        "count": summary.count,
        "skipped": summary.skipped,
        "mean_seconds": _seconds(summary.mean),
        "median_seconds": _seconds(summary.median),
        "p90_seconds": _seconds(summary.p90),
    }


def duration_table(
    groups: Iterable[Sequence[Any]], total: Iterable[Sequence[Any]], by: str | None
) -> Table:
    """groups, total: (count, skipped, mean, median, p90, group key) as the database
    computed them (see reports.sql.durations); total has one row or none."""

    def cells(row: Sequence[Any] | None) -> dict[str, Cell]:
        if row is None:
            return _summary_cells(Summary(count=0, skipped=0, mean=None, median=None, p90=None))
        count, skipped, mean, median, p90 = row[:5]
        return _summary_cells(
            Summary(
                count=int(count or 0),
                skipped=int(skipped or 0),
                mean=None if mean is None else float(mean),
                median=None if median is None else float(median),
                p90=None if p90 is None else float(p90),
            )
        )

    out = sorted(
        ({"group": group_label(row[-1], by), **cells(row)} for row in groups),
        key=lambda r: str(r["group"]),
    )
    totals = list(total)
    if by is None and not out:
        out = [{"group": ALL, **cells(None)}]
    columns = ["group", "count", "skipped", "mean_seconds", "median_seconds", "p90_seconds"]
    return Table(columns, out, cells(totals[0] if totals else None), value="mean_seconds")


def _sum_rows(rows: Iterable[Sequence[Any]], by: str | None, width: int) -> dict[str, list[int]]:
    """Integer aggregates per group label (the key is the last column)."""
    groups: dict[str, list[int]] = {}
    for row in rows:
        label = group_label(row[-1], by)
        sums = groups.setdefault(label, [0] * width)
        for i in range(width):
            sums[i] += int(row[i] or 0)
    if by is None:
        groups.setdefault(ALL, [0] * width)
    return dict(sorted(groups.items()))


def sla_table(rows: Iterable[Sequence[Any]], by: str | None) -> Table:
    """rows: (clocks, response met, breached, resolution met, breached, key)."""

    def cells(clocks: int, rm: int, rb: int, sm: int, sb: int) -> dict[str, Cell]:
        return {
            "response_met": rm,
            "response_breached": rb,
            "response_pending": clocks - rm - rb,
            "response_compliance": share(rm, rm + rb),
            "resolution_met": sm,
            "resolution_breached": sb,
            "resolution_pending": clocks - sm - sb,
            "resolution_compliance": share(sm, sm + sb),
        }

    groups = _sum_rows(rows, by, 5)
    out = [{"group": g, **cells(*v)} for g, v in groups.items()]
    totals = [sum(v[i] for v in groups.values()) for i in range(5)]
    columns = ["group", *cells(0, 0, 0, 0, 0)]
    return Table(columns, out, cells(*totals), value="resolution_compliance")


def reopen_table(rows: Iterable[Sequence[Any]], by: str | None) -> Table:
    """rows: (incidents, reopened, resolved, reassignments, reassigned, key)."""

    def cells(reopened: int, resolved: int) -> dict[str, Cell]:
        return {
            "resolved": resolved,
            "reopened": reopened,
            "reopen_rate": share(reopened, resolved),
        }

    groups = _sum_rows(rows, by, 5)
    out = [{"group": g, **cells(v[1], v[2])} for g, v in groups.items()]
    total = cells(sum(v[1] for v in groups.values()), sum(v[2] for v in groups.values()))
    return Table(["group", "resolved", "reopened", "reopen_rate"], out, total, value="reopen_rate")


def reassignment_table(rows: Iterable[Sequence[Any]], by: str | None) -> Table:
    """rows: (incidents, reopened, resolved, reassignments, reassigned, key)."""

    def cells(incidents: int, reassignments: int, reassigned: int) -> dict[str, Cell]:
        mean = None if incidents == 0 else round(reassignments / incidents, 2)
        return {
            "incidents": incidents,
            "mean_reassignments": mean,
            "reassigned": reassigned,
            "reassigned_share": share(reassigned, incidents),
        }

    groups = _sum_rows(rows, by, 5)
    out = [{"group": g, **cells(v[0], v[3], v[4])} for g, v in groups.items()]
    sums = [sum(v[i] for v in groups.values()) for i in range(5)]
    columns = ["group", "incidents", "mean_reassignments", "reassigned", "reassigned_share"]
    return Table(columns, out, cells(sums[0], sums[3], sums[4]), value="mean_reassignments")


def backlog_table(rows: Iterable[Sequence[Any]], at: datetime) -> Table:
    """rows: (age bucket, count, oldest opened_at)."""
    counts = {label: 0 for label, _ in AGE_BUCKETS}
    oldest: datetime | None = None
    for bucket, count, first in rows:
        counts[str(bucket)] += int(count)
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    out: list[dict[str, Cell]] = [{"age": k, "count": v} for k, v in counts.items()]
    total: dict[str, Cell] = {
        "count": sum(counts.values()),
        "at": at.isoformat(),
        "oldest_opened_at": oldest.isoformat() if oldest else None,
        "oldest_age_days": round((at - oldest).total_seconds() / 86400, 1) if oldest else None,
    }
    return Table(["age", "count"], out, total, label="age")


def volume_table(rows: Iterable[Sequence[Any]], by: str | None) -> Table:
    """rows: (bucket, count, key)."""
    out: list[dict[str, Cell]] = []
    total = 0
    for bucket, count, key in sorted(rows, key=lambda r: (str(r[0]), group_label(r[2], by))):
        row: dict[str, Cell] = {"period": str(bucket)}
        if by is not None:
            row["group"] = group_label(key, by)
        row["count"] = int(count)
        out.append(row)
        total += int(count)
    columns = ["period", *(["group"] if by is not None else []), "count"]
    return Table(columns, out, {"count": total}, label="period")


def categories_table(rows: Iterable[Sequence[Any]]) -> Table:
    """rows: (count, category name)."""
    counted = sorted(
        ((int(c), NONE_LABEL if name is None else str(name)) for c, name in rows),
        key=lambda r: (-r[0], r[1]),
    )
    whole = sum(c for c, _ in counted)
    out: list[dict[str, Cell]] = [
        {"category": name, "count": c, "share": share(c, whole)} for c, name in counted
    ]
    return Table(["category", "count", "share"], out, {"count": whole}, label="category")


def problems_table(rows: Iterable[Sequence[Any]], by: str | None) -> Table:
    """rows: (state, seconds to root cause or None, linked incidents, key), one a problem."""
    groups: dict[str, list[tuple[str, float | None, int]]] = defaultdict(list)
    for state, seconds, linked, key in rows:
        groups[group_label(key, by)].append(
            (str(state), None if seconds is None else float(seconds), int(linked or 0))
        )
    if by is None:
        groups.setdefault(ALL, [])

    def cells(items: list[tuple[str, float | None, int]]) -> dict[str, Cell]:
        rca = summarise(s for _, s, _ in items if s is not None)
        result: dict[str, Cell] = {"problems": len(items)}
        for state in PROBLEM_STATES:
            result[state] = sum(1 for s, _, _ in items if s == state)
        result["root_cause_count"] = rca.count
        result["root_cause_mean_seconds"] = _seconds(rca.mean)
        result["root_cause_median_seconds"] = _seconds(rca.median)
        linked = sum(n for _, _, n in items)
        result["incidents_per_problem"] = round(linked / len(items), 2) if items else None
        return result

    out = [{"group": g, **cells(v)} for g, v in sorted(groups.items())]
    total = cells([item for v in groups.values() for item in v])
    return Table(["group", *cells([])], out, total, value="problems")
