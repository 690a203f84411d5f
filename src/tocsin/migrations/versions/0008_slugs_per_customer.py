"""teams and services: slugs unique per customer, not across the whole installation

Why: a tenant's staff create their own teams and services. With one global namespace,
acme could not have an "ops" team because globex (or the provider) has one, and the 409
told acme that another customer's "ops" exists. Slugs are now unique per customer; a
reference is resolved within the right customer (catalog/resolve.py).

The downgrade puts the global uniqueness back, so it refuses to run while two customers
share a slug: rename one of them first (the message names them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("teams", "services")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_slug", type_="unique")
            batch_op.create_unique_constraint(
                f"uq_{table}_customer_id_slug", ["customer_id", "slug"]
            )


def downgrade() -> None:
    shared = {table: _shared_slugs(table) for table in _TABLES}
    if any(shared.values()):
        listed = "; ".join(
            f"{table}: {', '.join(slugs)}" for table, slugs in shared.items() if slugs
        )
        raise RuntimeError(
            "Cannot downgrade below 0008: teams and services must then have slugs unique "
            f"across customers, and several customers share these ({listed}). Rename them "
            "so that each slug is used once, then downgrade again."
        )
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_customer_id_slug", type_="unique")
            batch_op.create_unique_constraint(f"uq_{table}_slug", ["slug"])


def _shared_slugs(table: str) -> list[str]:
    rows = sa.table(table, sa.column("slug"))
    query = (
        sa.select(rows.c.slug)
        .group_by(rows.c.slug)
        .having(sa.func.count() > 1)
        .order_by(rows.c.slug)
    )
    return list(op.get_bind().scalars(query))
