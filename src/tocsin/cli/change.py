"""`tocsin change add | list`: record deploys and other changes from a terminal or a script."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from tocsin.changes.schemas import ChangeIn
from tocsin.cli.context import acting_as, console, err_console, local_time, open_app

app = typer.Typer(
    help="Changes: deploys, configuration and maintenance, shown on incidents of the service.",
    no_args_is_help=True,
)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (e-mail); default: the local administrator"),
]


def _fail(exc: ValidationError) -> None:
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "input"
        err_console.print(f"[red]Error:[/red] {field}: {error['msg']}")
    raise typer.Exit(2)


@app.command("add")
def add(
    summary: Annotated[str, typer.Option(help="What changed, in a line")],
    service: Annotated[str | None, typer.Option(help="Service slug")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer slug")] = None,
    source: Annotated[str, typer.Option(help="Who or what made it (a tool, a person)")] = "",
    link: Annotated[str | None, typer.Option(help="http(s) link to the deploy or ticket")] = None,
    at: Annotated[
        str | None, typer.Option(help="When it happened, ISO 8601 with its zone (default: now)")
    ] = None,
    as_user: AsOpt = None,
) -> None:
    """Record a change; prints its id as the last line."""
    try:
        data = ChangeIn.model_validate(
            {
                "summary": summary,
                "service": service,
                "customer": customer,
                "source": source,
                "link": link,
                "at": at,
            }
        )
    except ValidationError as exc:
        _fail(exc)
        return
    with open_app() as tocsin:
        change = tocsin.changes.record(acting_as(tocsin, as_user), data)
        err_console.print(
            f"Recorded change on {change.service or 'no service'} ({change.customer})."
        )
        print(change.id)


@app.command("list")
def list_changes(
    service: Annotated[str | None, typer.Option(help="Service slug")] = None,
    since: Annotated[
        datetime | None, typer.Option(help="Only changes at or after this time (ISO 8601)")
    ] = None,
    limit: int = 25,
    tz: Annotated[str, typer.Option("--tz", help="Show times in this zone")] = "UTC",
    as_user: AsOpt = None,
) -> None:
    """Changes, newest first."""
    if since is not None and since.utcoffset() is None:
        err_console.print("[red]Error:[/red] --since must carry its zone (e.g. 2026-03-02T09:00Z)")
        raise typer.Exit(2)
    with open_app() as tocsin:
        page = tocsin.changes.list(
            acting_as(tocsin, as_user), service=service, since=since, limit=limit
        )
        table = Table("Id", "At", "Service", "Summary", "Source", "Link")
        for c in page.items:
            table.add_row(
                str(c.id), local_time(c.at, tz), c.service or "-", c.summary, c.source, c.link or ""
            )
        console.print(table)
        console.print(f"{len(page.items)} of {page.total}")
