"""Writing signed checkpoints of the audit chain (the engine's `audit_checkpoint` duty)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.audit.anchors import Checkpoint, next_checkpoint
from tocsin.audit.chain import ChainKey
from tocsin.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditSeal
from tocsin.core.clock import Clock
from tocsin.db.session import Database

log = logging.getLogger("tocsin.audit")


def _checkpoint(row: AuditCheckpoint) -> Checkpoint:
    return Checkpoint(
        number=row.id, seq=row.seq, hash=row.hash, at=row.at, prev_mac=row.prev_mac, mac=row.mac
    )


def read_checkpoints(session: Session) -> list[Checkpoint]:
    """Every checkpoint, oldest first."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
    return [_checkpoint(row) for row in rows]


def write_checkpoint(db: Database, *, key: bytes, clock: Clock, every: timedelta) -> int:
    """Sign a checkpoint of the chain head when the head moved since the newest checkpoint
    and that one is at least `every` old; answers how many it wrote (0 or 1). Running it
    again at once does nothing, so it is safe to repeat after a crash."""
    chain_key = ChainKey(key)
    now = clock.now()
    with db.unit_of_work() as uow:
        session = uow.session
        head = session.get(AuditHead, 1)
        if head is None or head.seq == 0:
            return 0
        sealed = session.get(AuditSeal, 1)
        if sealed is not None and sealed.key_id != chain_key.id:
            log.error(
                "no audit checkpoint: the audit key is not the one the chain was written "
                "with (TOCSIN_AUDIT_KEY or the secret changed)",
                extra={"key_id": chain_key.id, "chain_key_id": sealed.key_id},
            )
            return 0
        row = session.scalars(
            select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
        ).first()
        newest = None if row is None else _checkpoint(row)
        if newest is not None:
            if newest.seq > head.seq:
                log.error(
                    "the audit chain is behind its newest checkpoint: entries were removed; "
                    "run `tocsin audit verify`",
                    extra={"checkpoint": newest.number, "seq": newest.seq, "head": head.seq},
                )
                return 0
            if newest.seq == head.seq or now - newest.at < every:
                return 0
        stored = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == head.seq))
        if stored != head.hash:
            log.error(
                "no audit checkpoint: the chain head does not match its entry; "
                "run `tocsin audit verify`",
                extra={"seq": head.seq},
            )
            return 0
        point = next_checkpoint(chain_key, newest, seq=head.seq, hash=head.hash, at=now)
        session.add(
            AuditCheckpoint(
                id=point.number,
                seq=point.seq,
                hash=point.hash,
                at=point.at,
                prev_mac=point.prev_mac,
                mac=point.mac,
            )
        )
    # After commit: operators who ship logs off the host keep these as anchors.
    log.info(
        "audit checkpoint",
        extra={
            "checkpoint": point.number,
            "seq": point.seq,
            "hash": point.hash,
            "mac": point.mac,
            "at": point.at.isoformat(),
        },
    )
    return 1
