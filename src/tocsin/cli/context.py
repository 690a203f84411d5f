"""What every command shares: settings, the built app, the acting principal, output helpers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.service import default_customer, principal_for
from tocsin.bootstrap import Tocsin, build
from tocsin.core.errors import TocsinError
from tocsin.db import migrate
from tocsin.logs import configure_logging
from tocsin.settings import Settings, load_settings

# Piped output (scripts, logs) gets wide tables instead of wrapped cells.
_WIDTH = None if sys.stdout.isatty() else 200
console = Console(width=_WIDTH)
err_console = Console(stderr=True, width=_WIDTH)


def settings_or_exit() -> Settings:
    """The configuration, or exit 2 with what is wrong in it."""
    try:
        return load_settings()
    except ValueError as exc:
        err_console.print(f"[red]Configuration error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


@contextmanager
def open_app(*, migrate_first: bool = True) -> Iterator[Tocsin]:
    settings = settings_or_exit()
    configure_logging(fmt=settings.log_format, level="WARNING")
    app = build(settings)
    try:
        if migrate_first and not migrate.is_current(app.db.engine):
            app.migrate()
        yield app
    except TocsinError as exc:
        err_console.print(f"[red]Error:[/red] {exc.detail}")
        raise typer.Exit(1) from None
    finally:
        app.dispose()


def acting_as(app: Tocsin, email: str | None) -> Principal:
    """The user a command acts for: --as EMAIL, or the local administrator (`system:cli`)."""
    with app.db.read() as session:
        if email is None:
            return system_principal(default_customer_id=default_customer(session).id)
        from sqlalchemy import select

        from tocsin.auth.models import User

        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            err_console.print(f"[red]Error:[/red] there is no user {email}")
            raise typer.Exit(1)
        return principal_for(session, user)


def local_time(value: datetime | None, zone: str) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def read_secret_from_stdin() -> str:
    """The first line of standard input without its line ending, and nothing else taken
    off: spaces at either end are part of a password."""
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")
