"""problems, problem_incidents, problem_services, known_errors, changes

Why: problem management (problems linked to the incidents they cause, known errors with
workarounds) and change records (what changed on a service, and when); a problem's
permanent fix references a change. Counters number problems (PRB) and known errors (KE).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 17:07:15.158342
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.String(length=1024), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_changes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_changes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_changes_integration_id_integrations"),
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_changes_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index("ix_changes_customer_at", ["customer_id", "at"], unique=False)
        batch_op.create_index("ix_changes_service_at", ["service_id", "at"], unique=False)

    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("contributing_factors", sa.Text(), nullable=False),
        sa.Column("five_whys", sa.JSON(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("permanent_fix", sa.Text(), nullable=False),
        sa.Column("fix_change_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("root_cause_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_problems_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_problems_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_problems_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["fix_change_id"], ["changes.id"], name=op.f("fk_problems_fix_change_id_changes")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_problems_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
        sa.UniqueConstraint("number", name=op.f("uq_problems_number")),
    )
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.create_index("ix_problems_customer_state", ["customer_id", "state"], unique=False)

    op.create_table(
        "known_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("symptoms", sa.Text(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name=op.f("fk_known_errors_category_id_categories")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_known_errors_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_known_errors_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_known_errors_problem_id_problems"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_known_errors_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_errors")),
        sa.UniqueConstraint("number", name=op.f("uq_known_errors_number")),
    )
    with op.batch_alter_table("known_errors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_known_errors_customer_service", ["customer_id", "service_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_known_errors_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_known_errors_problem_id"), ["problem_id"], unique=False
        )

    op.create_table(
        "problem_incidents",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_problem_incidents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_problem_incidents_linked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_incidents_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_problem_incidents")),
    )
    with op.batch_alter_table("problem_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_problem_incidents_problem_id"), ["problem_id"], unique=False
        )

    op.create_table(
        "problem_services",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["problems.id"],
            name=op.f("fk_problem_services_problem_id_problems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_problem_services_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("problem_id", "service_id", name=op.f("pk_problem_services")),
    )
    with op.batch_alter_table("problem_services", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_problem_services_service_id"), ["service_id"], unique=False
        )

    counters = sa.table("counters", sa.column("name"), sa.column("value"))
    op.execute(counters.insert().values(name="problem", value=0))
    op.execute(counters.insert().values(name="known_error", value=0))


def downgrade() -> None:
    counters = sa.table("counters", sa.column("name"), sa.column("value"))
    op.execute(counters.delete().where(counters.c.name.in_(["problem", "known_error"])))

    with op.batch_alter_table("problem_services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_services_service_id"))

    op.drop_table("problem_services")
    with op.batch_alter_table("problem_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_incidents_problem_id"))

    op.drop_table("problem_incidents")
    with op.batch_alter_table("known_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_errors_problem_id"))
        batch_op.drop_index(batch_op.f("ix_known_errors_fingerprint"))
        batch_op.drop_index("ix_known_errors_customer_service")

    op.drop_table("known_errors")
    with op.batch_alter_table("problems", schema=None) as batch_op:
        batch_op.drop_index("ix_problems_customer_state")

    op.drop_table("problems")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_service_at")
        batch_op.drop_index("ix_changes_customer_at")

    op.drop_table("changes")
