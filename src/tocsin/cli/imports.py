"""`tocsin import servicenow-csv FILE`: bring another system's incidents in, with history."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tocsin.cli.context import acting_as, console, err_console, open_app
from tocsin.imports.service import ImportSummary

app = typer.Typer(help="Import incidents from other systems.", no_args_is_help=True)


def _print_summary(summary: ImportSummary, seconds: float) -> None:
    title = "Dry run: nothing was written" if summary.dry_run else "Import finished"
    table = Table(title=f"{title} ({seconds:.1f} s)", show_header=False, box=None)
    rows = [
        ("File", summary.file),
        ("Customer", summary.customer),
        ("Rows read", str(summary.rows_read)),
        (
            "Incidents created" if not summary.dry_run else "Incidents to create",
            str(summary.created),
        ),
        ("Incidents already present", str(summary.already_present)),
        ("Timeline entries", str(summary.timeline_entries)),
        ("Problems created", str(summary.problems_created)),
        ("Rows skipped", str(summary.rows_skipped)),
    ]
    rows += [(f"  skipped: {reason}", str(n)) for reason, n in sorted(summary.skipped.items())]
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    console.print(table)


@app.command("servicenow-csv")
def servicenow_csv(
    file: Annotated[Path, typer.Argument(help="The event log: a .csv file or a .zip holding one")],
    customer: Annotated[
        str | None, typer.Option(help="Customer (slug) the incidents belong to; default: yours")
    ] = None,
    time_zone: Annotated[
        str, typer.Option("--time-zone", help="Zone the file's times are written in")
    ] = "UTC",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read and check the file, count, write nothing")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Act as this user (e-mail); default: the local administrator"),
    ] = None,
) -> None:
    """Import a ServiceNow incident event log (one row per update of an incident): each
    incident once, with its timeline; numbers already in the database are left alone."""
    if not file.is_file():
        err_console.print(f"[red]Error:[/red] there is no file {file}")
        raise typer.Exit(2)
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        started = time.monotonic()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=False,
        ) as bar:
            reading = bar.add_task("Reading rows", total=None)
            writing = bar.add_task("Writing incidents", total=None, visible=False)

            def progress(stage: str, done: int, total: int) -> None:
                if stage == "reading":
                    bar.update(reading, completed=done)
                else:
                    bar.update(reading, total=bar.tasks[reading].completed or 1)
                    bar.update(writing, completed=done, total=total, visible=True)

            summary = tocsin.imports.run(
                principal,
                file,
                customer=customer,
                zone=time_zone,
                dry_run=dry_run,
                progress=progress,
            )
        _print_summary(summary, time.monotonic() - started)
