"""open-incident matrix index

Why: the dashboard counts open incidents by state and priority (with how many are
unassigned or major) on every view and every live refresh. Without this index each open
row was read from the table; with state, priority, customer, assignee and major in a
partial index of open incidents the count is answered from the index alone, in group
order, for a provider (every customer) and a customer-scoped agent alike.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('new', 'assigned', 'in_progress', 'on_hold')"


def upgrade() -> None:
    op.create_index(
        "ix_incidents_open_matrix",
        "incidents",
        ["state", "priority", "customer_id", "assignee_id", "major"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_open_matrix", table_name="incidents")
