"""`tocsin integration create TYPE NAME | list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.alerts.schemas import IntegrationConfig, IntegrationIn
from tocsin.cli.context import acting_as, console, err_console, open_app
from tocsin.integrations import registry
from tocsin.integrations.heartbeat import minutes_of

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
    interval: Annotated[
        str | None,
        typer.Option(help="heartbeat: a ping is expected this often (e.g. 5m, 1h, 1d)"),
    ] = None,
    grace: Annotated[
        str | None,
        typer.Option(help="heartbeat: how late a ping may be (default: a tenth of the interval)"),
    ] = None,
) -> None:
    """Create an integration; its key is the last line of output (shown once)."""
    if type_ not in registry.names():
        err_console.print(
            f"[red]Error:[/red] unknown type {type_!r}; use one of {', '.join(registry.names())}"
        )
        raise typer.Exit(2)
    config = _schedule(interval, grace) if interval is not None or grace is not None else None
    with open_app() as tocsin:
        created = tocsin.integrations.create(
            acting_as(tocsin, None),
            IntegrationIn(
                type=type_,
                name=name,
                service=service,
                customer=customer,
                team=team,
                config=config,
            ),
        )
        err_console.print(
            f"Created {created.type} integration {created.name!r} (id {created.id}"
            f", customer {created.customer}). Its key is shown once:"
        )
        if created.ping_url is not None:
            err_console.print(f"Ping URL: {created.ping_url}")
        print(created.key)


def _schedule(interval: str | None, grace: str | None) -> IntegrationConfig:
    """A heartbeat's configuration from `--interval` and `--grace` (the service checks it)."""
    try:
        return IntegrationConfig(
            interval_minutes=minutes_of(interval) if interval is not None else None,
            grace_minutes=minutes_of(grace) if grace is not None else None,
        )
    except ValueError as exc:  # a ValidationError is one
        err_console.print(f"[red]Error:[/red] {_first_error(exc)}")
        raise typer.Exit(2) from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"--{str(first['loc'][0]).removesuffix('_minutes')}: {first['msg']} (minutes)"
    return str(exc)


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
