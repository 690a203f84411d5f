"""problem_candidate_dismissals; the known-error scan's watermark

Why: recurring-incident clusters someone dismissed are not proposed again, and the
engine module that links new incidents to matching known errors remembers how far it
has looked (a counter row: the last incident id it checked).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "problem_candidate_dismissals",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_problem_candidate_dismissals_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["users.id"],
            name=op.f("fk_problem_candidate_dismissals_dismissed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_problem_candidate_dismissals")),
    )
    # Incidents that exist before the upgrade are history: the scan starts after them.
    op.execute(
        "INSERT INTO counters (name, value) "
        "SELECT 'known_error_scan', COALESCE(MAX(id), 0) FROM incidents"
    )


def downgrade() -> None:
    counters = sa.table("counters", sa.column("name"), sa.column("value"))
    op.execute(counters.delete().where(counters.c.name == "known_error_scan"))
    op.drop_table("problem_candidate_dismissals")
