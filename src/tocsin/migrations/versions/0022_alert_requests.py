"""alert_requests: what became of a sender's tracked requests (Opsgenie request ids)

Why: Opsgenie's clients ask `GET /v2/alerts/requests/{requestId}` after a create, close or
acknowledge to learn the alert's id and whether the request succeeded; the answer needs
the request's outcome, written with the alert in one transaction and kept seven days.

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-05 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("dedup_key", sa.Text(), nullable=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_alert_requests_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_requests")),
    )
    with op.batch_alter_table("alert_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_requests_key", ["integration_id", "request_id"], unique=True
        )
        batch_op.create_index("ix_alert_requests_processed", ["processed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_requests_processed")
        batch_op.drop_index("ix_alert_requests_key")
    op.drop_table("alert_requests")
