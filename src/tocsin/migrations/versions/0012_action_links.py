"""action links: which signed acknowledge / resolve links in notifications were used

Why: a link in an e-mail or chat message is single use; the row written by the transaction
that acted makes a second use (or two at once, through the primary key) fail.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "action_links_used",
        sa.Column("link_id", sa.String(length=32), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_action_links_used_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_action_links_used_user_id_users")
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_action_links_used")),
    )
    with op.batch_alter_table("action_links_used", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_action_links_used_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("action_links_used", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_links_used_incident_id"))
    op.drop_table("action_links_used")
