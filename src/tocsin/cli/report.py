"""`tocsin report NAME`: MTTA, MTTR, SLA compliance and the other reports in a terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tocsin.cli.context import acting_as, console, open_app
from tocsin.reports.definitions import REPORTS
from tocsin.reports.output import to_csv, to_text

Opt = Annotated[str | None, typer.Option()]


def report(
    name: Annotated[str, typer.Argument(help="One of: " + ", ".join(REPORTS))],
    start: Annotated[
        str | None, typer.Option("--from", help="Window start (ISO date or time, UTC)")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="Window end, exclusive")] = None,
    period: Annotated[
        str | None, typer.Option(help="last-quarter, this-quarter, last-month, ...")
    ] = None,
    customer: Opt = None,
    team: Opt = None,
    service: Opt = None,
    priority: Annotated[str | None, typer.Option(help="1-5 or P1-P5")] = None,
    by: Annotated[
        str | None, typer.Option(help="team, service, customer, category, priority, month, week")
    ] = None,
    interval: Annotated[str | None, typer.Option(help="volume: day, week or month")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json")] = "table",
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Report as this user (e-mail); default: the local administrator"),
    ] = None,
) -> None:
    """Run a report (default window: the last 30 days). Definitions: docs/reports.md."""
    if output not in ("table", "csv", "json"):
        raise typer.BadParameter("--format is table, csv or json.")
    params = {
        "from": start,
        "to": to,
        "period": period,
        "customer": customer,
        "team": team,
        "service": service,
        "priority": priority,
        "by": by,
        "interval": interval,
    }
    with open_app() as tocsin:
        result = tocsin.reports.report(acting_as(tocsin, as_user), name, params)
    if output == "json":
        typer.echo(json.dumps(result.as_json(), indent=2))
    elif output == "csv":
        typer.echo(to_csv(result.table), nl=False)
    else:
        filters = result.filters
        console.print(
            f"{result.report.name}: {filters.start:%Y-%m-%d %H:%M} to "
            f"{filters.end:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )
        console.print(result.report.sentence, highlight=False, style="dim")
        typer.echo(to_text(result.table), nl=False)
