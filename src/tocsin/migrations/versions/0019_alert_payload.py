"""alerts.payload: what the sender sent, as received

Why: the alert's page shows the raw payload (issue 16); until now only the parsed labels
and details were stored. Nullable text: alerts stored before have none, heartbeats send
none; ingest caps it at 64 KiB.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases (SQLite has dropped columns in place since 3.35): a
# batch copy of `alerts` would have to rebuild its partial unique index.


def upgrade() -> None:
    op.add_column("alerts", sa.Column("payload", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("alerts", "payload")
