"""escalation_runs: where each incident stands in its escalation policy

Why: an escalation must survive restarts and run once across several processes. Each
step (page a level, move to the next) is one transaction on this row, together with the
deliveries it enqueues; the partial index is the escalation module's queue.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status = 'active'"


def upgrade() -> None:
    op.create_table(
        "escalation_runs",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.String(length=64), nullable=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_escalation_runs_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_escalation_runs_policy_id_escalation_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_escalation_runs")),
    )
    with op.batch_alter_table("escalation_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_escalation_runs_due",
            ["next_at"],
            unique=False,
            sqlite_where=sa.text(_ACTIVE),
            postgresql_where=sa.text(_ACTIVE),
        )
        batch_op.create_index(
            batch_op.f("ix_escalation_runs_policy_id"), ["policy_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("escalation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalation_runs_policy_id"))
        batch_op.drop_index("ix_escalation_runs_due")
    op.drop_table("escalation_runs")
