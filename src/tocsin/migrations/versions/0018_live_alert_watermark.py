"""alerts.last_seen_at indexed: the live updates' watermark of the alerts table

Why: alerts write no outbox rows and a repeat records no event, so each process's live
bus notices alert changes by the table's newest id and latest `last_seen_at`, read every
tick; with this index both are one index look-up instead of a scan of every alert.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 12:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_last_seen", ["last_seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_last_seen")
