"""saved_views, and indexes for the queue's sorts

Why: the console's queue can be sorted by priority, state, number and last update as well
as by opening time, keyset-paged on (column, id); each sort needs an index starting with
its column to stay fast with 100,000 incidents (the open queue by priority has a partial
one, like the other open-queue indexes). Users keep named queues (filters and sort as a
query string) in saved_views, unique per user and name.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "state IN ('new', 'assigned', 'in_progress', 'on_hold')"
SORT_INDEXES = {
    "ix_incidents_priority": ["priority", "id"],
    "ix_incidents_state_id": ["state", "id"],
    "ix_incidents_updated": ["updated_at", "id"],
}


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_views_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_views_user_id")),
    )
    op.create_index(op.f("ix_saved_views_shared"), "saved_views", ["shared"], unique=False)
    op.create_index(
        "ix_incidents_open_priority",
        "incidents",
        ["priority", "id"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    for name, columns in SORT_INDEXES.items():
        op.create_index(name, "incidents", columns, unique=False)


def downgrade() -> None:
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="incidents")
    op.drop_index("ix_incidents_open_priority", table_name="incidents")
    op.drop_index(op.f("ix_saved_views_shared"), table_name="saved_views")
    op.drop_table("saved_views")
