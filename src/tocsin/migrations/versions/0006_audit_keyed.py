"""audit keyed: the seal of the unkeyed part of the chain, and signed checkpoints

Why: entries were hashed with plain SHA-256, which anyone who can write the database can
recompute, head included. From now on each entry's hash is an HMAC under a key kept out
of the database. `audit_seal` (one row, signed with that key) names the key by its
fingerprint and the last entry written before the chain was keyed, so those entries stay
verifiable and no later one can pass for them. It is written by the first Tocsin process
that holds the key (a migration does not have it). `audit_checkpoints` are signed and
chained marks of the head, written every few minutes by the engine, so that removing
the newest entries and resetting the head is detected.

Downgrading drops both tables: the entries keep their keyed hashes, which the code of
0005 cannot verify.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("legacy_seq", sa.BigInteger(), nullable=False),
        sa.Column("legacy_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_seal")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_mac", sa.String(length=64), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_seal")
