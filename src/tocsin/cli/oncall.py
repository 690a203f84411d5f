"""`tocsin oncall`: who is on call now or at a time, on one schedule or every one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import acting_as, console, err_console, local_time, open_app
from tocsin.core.times import filter_time


def oncall(
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Schedule slug (default: every schedule)")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="ISO 8601 time, e.g. 2026-03-07T03:00+01:00 (default: now)"),
    ] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Customer slug, when several share the slug")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this user (e-mail)")] = None,
) -> None:
    """Who is on call: one row per schedule, with the shift's start and end in the
    schedule's own time zone."""
    moment = None
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            err_console.print(f"[red]Error:[/red] --at {at!r} is not an ISO 8601 time.")
            raise typer.Exit(2) from None
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        if moment is not None:
            moment = filter_time(moment, principal.time_zone, field="at")
        answer = tocsin.oncall.on_call(principal, schedule=schedule, at=moment, customer=customer)
    table = Table(title=f"On call at {local_time(answer.at, principal.time_zone)}")
    for column in ("Schedule", "Customer", "On call", "From", "Until"):
        table.add_column(column)
    for item in answer.items:
        if not item.on_call:
            table.add_row(item.schedule, item.customer, "[red]nobody[/red]", "-", "-")
        for who in item.on_call:
            table.add_row(
                item.schedule,
                item.customer,
                f"{who.name} <{who.user}>",
                local_time(who.start, item.time_zone),
                local_time(who.end, item.time_zone),
            )
    if not answer.items:
        console.print("There are no schedules.")
        return
    console.print(table)
