"""open-queue indexes cover priority

Why: the console's default queue is "open incidents of a team, P1-P2, newest first" with a
total. With 1,000,000 incidents the count walked every open row of the team to check its
priority; with priority in the partial index both the page and the count are answered from
the index alone.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('new', 'assigned', 'in_progress', 'on_hold')"


def _rebuild(columns: dict[str, list[str]]) -> None:
    for name, cols in columns.items():
        op.drop_index(name, table_name="incidents")
        op.create_index(
            name,
            "incidents",
            cols,
            unique=False,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )


def upgrade() -> None:
    _rebuild(
        {
            "ix_incidents_open_team": ["team_id", "opened_at", "id", "priority"],
            "ix_incidents_open_customer": ["customer_id", "opened_at", "id", "priority"],
        }
    )


def downgrade() -> None:
    _rebuild(
        {
            "ix_incidents_open_team": ["team_id", "opened_at", "id"],
            "ix_incidents_open_customer": ["customer_id", "opened_at", "id"],
        }
    )
