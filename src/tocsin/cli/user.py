"""`tocsin user create | list`."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.cli.context import acting_as, console, err_console, open_app, read_secret_from_stdin

app = typer.Typer(help="Users and their roles.", no_args_is_help=True)


@app.command()
def create(
    email: str,
    role: Annotated[Role, typer.Option(help="admin, manager, agent, requester or viewer")],
    customer: Annotated[
        str | None, typer.Option(help="Customer slug (default customer if omitted)")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
    time_zone: Annotated[str, typer.Option("--time-zone", help="e.g. Europe/Berlin")] = "UTC",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create a user. Without --password-stdin the user signs in with API tokens only.

    The password is the first line of standard input, exactly as typed: only the line
    ending is taken off."""
    password = read_secret_from_stdin() if password_stdin else None
    try:
        data = UserIn(
            email=email,
            role=role,
            customer=customer,
            name=name,
            time_zone=time_zone,
            password=password,
        )
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            err_console.print(f"[red]Error:[/red] {field}: {message}")
        raise typer.Exit(2) from None
    with open_app() as tocsin:
        user = tocsin.auth.create_user(acting_as(tocsin, None), data)
        console.print(
            f"Created {user.role.value} {user.email} (customer {user.customer}, id {user.id})."
        )


@app.command("list")
def list_users(
    role: Annotated[Role | None, typer.Option(help="Only this role")] = None,
    customer: Annotated[str | None, typer.Option(help="Only this customer (slug)")] = None,
) -> None:
    """List users."""
    with open_app() as tocsin:
        page = tocsin.auth.list_users(
            acting_as(tocsin, None), role=role, customer=customer, limit=200
        )
        table = Table("id", "email", "name", "role", "customer", "teams", "active")
        for u in page.items:
            table.add_row(
                str(u.id),
                u.email,
                u.name,
                u.role.value,
                u.customer,
                ", ".join(u.teams),
                "yes" if u.active else "no",
            )
        console.print(table)
        console.print(f"{page.total} users")
