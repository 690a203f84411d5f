"""`tocsin audit verify`."""

from __future__ import annotations

import typer

from tocsin.audit import service as audit
from tocsin.cli.context import console, err_console, open_app

app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Exit 0 when the chain is intact; otherwise exit 1 naming the first bad entry."""
    with open_app() as tocsin:
        result = audit.verify(tocsin.db)
    if result.problem is None:
        console.print(f"Audit chain intact: {result.entries} entries.")
        return
    err_console.print(f"Audit chain BROKEN at entry {result.problem.seq}: {result.problem.reason}")
    raise typer.Exit(1)
