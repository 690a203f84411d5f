"""reporting index on incidents

Why: every report reads the incidents opened in a window, filtered and grouped by
customer, team, service, category or priority, and needs only their times and counters.
Without this index a report over the whole history read each row from a 1 GB table
(1,000,000 incidents: seconds on SQLite, most of it I/O); with these columns in one index
ordered by opened_at, the window is a range scan of the index alone (bench/reports.py).
The cost is one more index entry written per incident and per acknowledge / resolve.

Revision ID: 0024
Revises: 0020
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "opened_at",
    "customer_id",
    "team_id",
    "service_id",
    "category_id",
    "priority",
    "acknowledged_at",
    "resolved_at",
    "reopen_count",
    "reassignment_count",
]


def upgrade() -> None:
    op.create_index("ix_incidents_reporting", "incidents", COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_incidents_reporting", table_name="incidents")
