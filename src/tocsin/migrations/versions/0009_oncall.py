"""on-call: schedules, their overrides, escalation policies; services and teams name one

Why: paging needs to know who is on call (schedules of rotating layers, with overrides)
and whom to page next when nobody acknowledges (escalation policies). A service's policy
decides how its incidents page; a team's policy is used for incidents without one.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ATTACHED = ("services", "teams")


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("layers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_schedules_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("customer_id", "slug", name="uq_schedules_customer_id_slug"),
    )
    op.create_index(op.f("ix_schedules_customer_id"), "schedules", ["customer_id"])
    op.create_table(
        "schedule_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedules.id"],
            name=op.f("fk_schedule_overrides_schedule_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_schedule_overrides_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_schedule_overrides_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_overrides")),
    )
    op.create_index(
        op.f("ix_schedule_overrides_schedule_id"), "schedule_overrides", ["schedule_id"]
    )
    op.create_index(op.f("ix_schedule_overrides_user_id"), "schedule_overrides", ["user_id"])
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_escalation_policies_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("customer_id", "slug", name="uq_escalation_policies_customer_id_slug"),
    )
    op.create_index(
        op.f("ix_escalation_policies_customer_id"), "escalation_policies", ["customer_id"]
    )
    for table in _ATTACHED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("escalation_policy_id", sa.Integer(), nullable=True))
            batch_op.create_index(
                batch_op.f(f"ix_{table}_escalation_policy_id"), ["escalation_policy_id"]
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_escalation_policy_id_escalation_policies"),
                "escalation_policies",
                ["escalation_policy_id"],
                ["id"],
            )


def downgrade() -> None:
    for table in _ATTACHED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f"fk_{table}_escalation_policy_id_escalation_policies"),
                type_="foreignkey",
            )
            batch_op.drop_index(batch_op.f(f"ix_{table}_escalation_policy_id"))
            batch_op.drop_column("escalation_policy_id")
    op.drop_index(op.f("ix_escalation_policies_customer_id"), table_name="escalation_policies")
    op.drop_table("escalation_policies")
    op.drop_index(op.f("ix_schedule_overrides_user_id"), table_name="schedule_overrides")
    op.drop_index(op.f("ix_schedule_overrides_schedule_id"), table_name="schedule_overrides")
    op.drop_table("schedule_overrides")
    op.drop_index(op.f("ix_schedules_customer_id"), table_name="schedules")
    op.drop_table("schedules")
