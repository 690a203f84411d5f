"""Verifying the audit log: the key, every entry, the seal, the checkpoints and anchors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit.anchors import Anchor, Checkpoint, first_bad_anchor, first_bad_checkpoint
from tocsin.audit.chain import (
    Break,
    ChainKey,
    ChainRecord,
    Seal,
    first_break,
    seal_problem,
)
from tocsin.audit.checkpoints import read_checkpoints
from tocsin.audit.models import AuditEntry, AuditHead
from tocsin.audit.sealing import read_seal
from tocsin.db.session import Database


@dataclass(frozen=True, slots=True)
class VerifyResult:
    entries: int
    problem: Break | None
    checkpoints: int = 0
    anchors: int = 0
    seal: Seal | None = None
    newest: Checkpoint | None = None


def _records(session: Session, batch: int = 5000) -> Iterator[ChainRecord]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield ChainRecord(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                customer_id=row.customer_id,
                data=row.data,
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
        last = rows[-1].seq
        session.expunge_all()


def verify(db: Database, *, key: bytes, anchors: Sequence[Anchor] = ()) -> VerifyResult:
    """Check the chain with `key`: the first problem found, in this order: a key that is
    not the chain's, an entry (altered, removed, inserted, unkeyed), a checkpoint, an
    anchor. A chain that holds entries but no seal is checked as keyed throughout."""
    chain_key = ChainKey(key)
    with db.read() as session:
        head = session.get(AuditHead, 1)
        seal = read_seal(session)
        points = read_checkpoints(session)
        found = VerifyResult(
            entries=0,
            problem=None,
            checkpoints=len(points),
            anchors=len(anchors),
            seal=seal,
            newest=points[-1] if points else None,
        )
        if seal is not None and (why := seal_problem(seal, chain_key)):
            return replace(found, problem=Break(None, why))
        wanted = {p.seq for p in points} | {a.seq for a in anchors}
        hash_at: dict[int, str] = {}
        count = 0

        def walked() -> Iterator[ChainRecord]:
            nonlocal count
            for record in _records(session):
                count += 1
                if record.seq in wanted:
                    hash_at[record.seq] = record.hash
                yield record

        problem = first_break(
            walked(),
            key=chain_key,
            head_seq=head.seq if head else None,
            head_hash=head.hash if head and head.seq else None,
            seal=seal,
        )
        # Without a break the entries are 1..count, and the head is the last of them.
        problem = (
            problem
            or first_bad_checkpoint(points, key=chain_key, hash_at=hash_at, last_seq=count)
            or first_bad_anchor(anchors, hash_at=hash_at, last_seq=count)
        )
        return replace(found, entries=count, problem=problem)
