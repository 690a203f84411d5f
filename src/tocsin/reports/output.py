"""A report's table as CSV and as aligned text for a terminal (pure)."""

from __future__ import annotations

import csv
import io

from tocsin.reports.tables import Cell, Table

# Columns holding seconds are shown as durations in text; CSV and JSON keep seconds.
_SECONDS_SUFFIX = "_seconds"


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def to_csv(table: Table) -> str:
    """The rows, then a row named "total" with the total's figures under the same columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_text(row.get(c)) for c in table.columns])
    first = table.columns[0]
    total = {first: "total", **{k: v for k, v in table.total.items() if k in table.columns}}
    writer.writerow([_text(total.get(c)) for c in table.columns])
    return out.getvalue()


def duration_text(seconds: float) -> str:
    """1d 2h, 3h 04m, 12m 30s, 45s."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def display(column: str, value: Cell) -> str:
    if value is None:
        return "-"
    if column.endswith(_SECONDS_SUFFIX) and isinstance(value, int | float):
        return duration_text(float(value))
    if column.endswith(("_compliance", "_rate", "_share", "share")) and isinstance(
        value, int | float
    ):
        return f"{value}%"
    return str(value)


def heading(column: str) -> str:
    return column.removesuffix(_SECONDS_SUFFIX).replace("_", " ")


def to_text(table: Table) -> str:
    """Aligned columns with a heading line and the total last."""
    first = table.columns[0]
    total = {first: "total", **table.total}
    lines = [[heading(c) for c in table.columns]]
    lines += [[display(c, row.get(c)) for c in table.columns] for row in [*table.rows, total]]
    widths = [max(len(line[i]) for line in lines) for i in range(len(table.columns))]

    def render(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [render(line) for line in lines]
    return "\n".join([body[0], rule, *body[1:-1], rule, body[-1]]) + "\n"
