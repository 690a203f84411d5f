"""duration indexes on incidents (time to acknowledge, time to resolve)

Why: MTTA and MTTR report a median and a 90th percentile. Without an index the database
(or Python) had to compute and sort every duration in the window: over the whole history
of 1,000,000 incidents, more than a second. With the durations in an index, in order, a
percentile is a walk of the index to its rank (bench/reports.py). The indexed expression
is written here as each database spells it; tocsin.db.durations renders the queries' and
the model's copy, and tests/integration/test_migrations.py checks that the two agree.

Partial indexes: an incident gets its entry when acknowledged / resolved, so opening an
incident (the ingest path) writes nothing more.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_incidents_ack_seconds": "acknowledged_at",
    "ix_incidents_resolve_seconds": "resolved_at",
}


def _seconds(dialect: str, end: str) -> str:
    if dialect == "sqlite":
        return f"CAST((julianday({end}) - julianday(opened_at)) * 86400.0 AS FLOAT)"
    return f"(CAST(EXTRACT(epoch FROM {end} - opened_at) AS FLOAT))"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, end in INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON incidents ({_seconds(dialect, end)}, opened_at, {end}, "
            f"customer_id, team_id, service_id, priority) WHERE {end} IS NOT NULL"
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="incidents")
