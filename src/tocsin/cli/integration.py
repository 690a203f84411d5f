"""`tocsin integration create TYPE NAME | list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.alerts.schemas import IntegrationIn
from tocsin.cli.context import acting_as, console, err_console, open_app
from tocsin.integrations import registry

app = typer.Typer(
    help="Integrations: where monitoring and security tools send alerts.", no_args_is_help=True
)


@app.command()
def create(
    type_: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help=", ".join(registry.names()),  # every registered sender type
        ),
    ],
    name: str,
    service: Annotated[str | None, typer.Option(help="Service slug the alerts concern")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer slug")] = None,
    team: Annotated[str | None, typer.Option(help="Default team slug")] = None,
) -> None:
    """Create an integration; its key is the last line of output (shown once)."""
    if type_ not in registry.names():
        err_console.print(
            f"[red]Error:[/red] unknown type {type_!r}; use one of {', '.join(registry.names())}"
        )
        raise typer.Exit(2)
    with open_app() as tocsin:
        created = tocsin.integrations.create(
            acting_as(tocsin, None),
            IntegrationIn(type=type_, name=name, service=service, customer=customer, team=team),
        )
        err_console.print(
            f"Created {created.type} integration {created.name!r} (id {created.id}"
            f", customer {created.customer}). Its key is shown once:"
        )
        print(created.key)


@app.command("list")
def list_integrations() -> None:
    """List integrations."""
    with open_app() as tocsin:
        table = Table("id", "type", "name", "key", "customer", "service", "team", "enabled")
        for i in tocsin.integrations.list_all(acting_as(tocsin, None)).items:
            table.add_row(
                str(i.id),
                i.type,
                i.name,
                i.key_prefix + "...",
                i.customer,
                i.service or "-",
                i.team or "-",
                "yes" if i.enabled else "no",
            )
        console.print(table)
