"""Alembic environment: runs against the connection handed in by tocsin.db.migrate."""

from __future__ import annotations

from alembic import context

from tocsin.migrations.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `tocsin db ...`, which passes the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
