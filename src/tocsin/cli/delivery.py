"""`tocsin delivery list [--status failed] [--incident INC...]` and `tocsin delivery retry ID`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import acting_as, console, local_time, open_app
from tocsin.notifications.queue_admin import DeliveryStatus

app = typer.Typer(help="The notification delivery queue.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (e-mail); default: the local administrator"),
]


@app.command("list")
def list_deliveries(
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="pending, delivered, failed, skipped, cancelled")
    ] = None,
    incident: Annotated[str | None, typer.Option(help="Incident number or id")] = None,
    limit: int = 50,
    as_user: AsOpt = None,
) -> None:
    """List deliveries, newest first."""
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        page = tocsin.deliveries.list(
            principal,
            status=status.value if status else None,
            incident_id=incident,
            limit=limit,
        )
        zone = principal.time_zone
        table = Table("id", "status", "topic", "to", "tries", "due", "last error")
        for d in page.items:
            table.add_row(
                d.id,
                d.status.value,
                d.topic,
                f"{d.kind} {d.address}",
                str(d.attempts),
                local_time(d.available_at, zone),
                (d.last_error or "-")[:80],
            )
        console.print(table)
        console.print(f"{len(page.items)} of {page.total}")


@app.command()
def retry(delivery_id: str, as_user: AsOpt = None) -> None:
    """Send a failed delivery again now (it keeps its id)."""
    with open_app() as tocsin:
        out = tocsin.deliveries.retry(acting_as(tocsin, as_user), delivery_id)
        console.print(f"Delivery {out.id} is pending again; the engine sends it shortly.")
