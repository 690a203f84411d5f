"""`tocsin token create EMAIL [--name NAME]`."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from tocsin.auth.schemas import TokenIn
from tocsin.cli.context import acting_as, err_console, open_app

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command()
def create(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for")] = "cli",
) -> None:
    """Create an API token for EMAIL; the token is the last line of output (shown once)."""
    try:
        data = TokenIn(name=name)  # the API's rules for a token's name
    except ValidationError as exc:
        for error in exc.errors():
            err_console.print(f"[red]Error:[/red] --name: {error['msg']}")
        raise typer.Exit(2) from None
    with open_app() as tocsin:
        token = tocsin.auth.create_token(acting_as(tocsin, None), email=email, name=data.name)
        err_console.print(
            f"Token {token.prefix}... created for {email}. Store it now: it is not shown again."
        )
        print(token.token)
