"""Running Alembic migrations from Python (the CLI and `serve` call these)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

# tocsin/migrations: they import every domain's models, so they live above the domains.
MIGRATIONS = Path(__file__).parent.parent / "migrations"


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS / "versions"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def _run(engine: Engine, step: Callable[[Config], None]) -> None:
    """One transaction for the whole step. On SQLite a constraint change rebuilds the table
    (batch mode: copy, drop, rename), and dropping a table others point at fails, or
    cascades, while foreign keys are enforced; so, as SQLite documents for table rebuilds,
    they are off for the step (only outside a transaction can they be switched) and every
    key is checked before the commit (when the step changed anything: the check reads the
    whole database, and `serve` runs this at every start)."""
    config = _config()
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection if engine.dialect.name == "sqlite" else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                before = MigrationContext.configure(connection).get_current_revision()
                step(config)
                after = MigrationContext.configure(connection).get_current_revision()
                if driver is not None and after != before:
                    _check_foreign_keys(connection)
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        where = ", ".join(sorted({f"{row[0]} -> {row[2]}" for row in broken}))
        raise RuntimeError(
            f"After the migration, rows point at nothing ({where}); it was undone. "
            "Find them with `PRAGMA foreign_key_check`, fix or remove them, and migrate again."
        )


def crossed(before: str | None, revision: str) -> bool:
    """Whether an upgrade from `before` (None: an empty database) applied `revision`."""
    order = revisions()
    if before is None or revision not in order:
        return False
    return order.index(before) < order.index(revision)


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    head_revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert head_revision is not None
    return head_revision


def is_current(engine: Engine) -> bool:
    return current(engine) == head()


def revisions() -> list[str]:
    """All revisions, oldest first."""
    script = ScriptDirectory.from_config(_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]
