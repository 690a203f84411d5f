"""`tocsin db upgrade | downgrade REV | current`."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.cli.context import console, open_app
from tocsin.db import migrate

app = typer.Typer(help="Database migrations.", no_args_is_help=True)


@app.command()
def upgrade() -> None:
    """Apply every pending migration."""
    with open_app(migrate_first=False) as tocsin:
        tocsin.migrate()
        console.print(f"Database at revision {migrate.current(tocsin.db.engine)} (head).")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision, or 'base'")]) -> None:
    """Step back to REVISION (destroys what later migrations added)."""
    with open_app(migrate_first=False) as tocsin:
        migrate.downgrade(tocsin.db.engine, revision)
        console.print(f"Database at revision {migrate.current(tocsin.db.engine) or 'base'}.")


@app.command()
def current() -> None:
    """Show the database's revision and whether it is current."""
    with open_app(migrate_first=False) as tocsin:
        rev = migrate.current(tocsin.db.engine)
        state = "current" if rev == migrate.head() else f"behind head {migrate.head()}"
        console.print(f"{rev or 'base'} ({state})")
