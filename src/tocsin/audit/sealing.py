"""The seal: which key the chain is written with, and where its unkeyed (older) part ends."""

from __future__ import annotations

import enum
import json
import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tocsin.audit.chain import GENESIS, LEGACY, ChainKey, ChainRecord, Seal, record_hash, seal_mac
from tocsin.audit.models import AuditSeal
from tocsin.core.clock import Clock
from tocsin.db.raw import Raw
from tocsin.db.session import Database

log = logging.getLogger("tocsin.audit")

# The migration that keyed the chain: unkeyed entries are sealed only while it is applied.
KEYED_CHAIN_REVISION = "0006"

# A no-op update: the head row's lock, which every append takes, keeps appends out while
# the seal is decided (SQLite has one writer anyway).
_LOCK_HEAD = "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash"
_READ_KEY_ID = "SELECT key_id FROM audit_seal WHERE id = 1"
_READ_ENTRY = (
    "SELECT seq, at, actor, action, object_type, object_id, customer_id, data, prev_hash, hash "
    "FROM audit_log WHERE seq = ?"
)
_WRITE_SEAL = (
    "INSERT INTO audit_seal (id, key_id, legacy_seq, legacy_hash, at, mac) "
    "VALUES (1, ?, ?, ?, ?, ?)"
)


class Sealing(enum.Enum):
    PRESENT = "sealed with this key"
    OTHER_KEY = "sealed with another key"
    WRITTEN = "sealed now"
    REFUSED = "not sealed"


def seal(raw: Raw, *, key: ChainKey, at: datetime, upgrading: bool = False) -> Sealing:
    """Seal the chain if nobody has. A new or already keyed chain gets a seal naming no
    unkeyed entry. A chain written before it was keyed (plain SHA-256) is sealed as it
    stands, so that verify accepts exactly those entries unkeyed, but only while
    `upgrading`: in the migration run that keys it. Anyone who can write the database can
    recompute SHA-256 and delete a seal: at any other moment, unkeyed entries without a
    seal are what such a rewrite looks like, and sealing them would vouch for it."""
    head = raw.one(_LOCK_HEAD)
    if head is None:
        raise LookupError("the audit head row is missing; run the migrations")
    found = raw.one(_READ_KEY_ID)
    if found is not None:
        if found[0] == key.id:
            return Sealing.PRESENT
        log.error(
            "the audit key is not the one the audit chain was written with "
            "(TOCSIN_AUDIT_KEY or the secret changed): new entries will not verify",
            extra={"key_id": key.id, "chain_key_id": found[0]},
        )
        return Sealing.OTHER_KEY
    seq, digest = int(head[0]), str(head[1])
    if seq:
        entry = _stored_entry(raw, seq)
        if entry is not None and entry.hash == digest and record_hash(key, entry) == digest:
            seq, digest = 0, GENESIS  # keyed already (a seal lost to a downgrade)
        elif entry is None or entry.hash != digest or record_hash(LEGACY, entry) != digest:
            log.error(
                "the newest audit entry matches neither the audit key nor plain SHA-256: "
                "the chain is not sealed; run `tocsin audit verify`",
                extra={"seq": seq},
            )
            return Sealing.REFUSED
        elif not upgrading:
            log.error(
                "the audit chain holds entries without the key and no seal, outside the "
                "upgrade that keys it: it may have been rewritten; run `tocsin audit verify`",
                extra={"seq": seq},
            )
            return Sealing.REFUSED
    mac = seal_mac(key, legacy_seq=seq, legacy_hash=digest, at=at)
    raw.run(_WRITE_SEAL, (key.id, seq, digest, raw.at(at), mac))
    if seq:
        # An operator who ships logs off the host keeps this: a later seal would be news.
        log.warning(
            "audit chain sealed: its entries up to here were written before it was keyed",
            extra={"key_id": key.id, "legacy_seq": seq, "legacy_hash": digest},
        )
    return Sealing.WRITTEN


def seal_chain(db: Database, *, key: ChainKey, clock: Clock, upgrading: bool = False) -> Sealing:
    """`seal` in a transaction of its own (after migrating)."""
    with db.unit_of_work() as uow:
        return seal(uow.raw, key=key, at=clock.now(), upgrading=upgrading)


def read_seal(session: Session) -> Seal | None:
    row = session.get(AuditSeal, 1)
    if row is None:
        return None
    return Seal(
        key_id=row.key_id,
        legacy_seq=row.legacy_seq,
        legacy_hash=row.legacy_hash,
        at=row.at,
        mac=row.mac,
    )


def _stored_entry(raw: Raw, seq: int) -> ChainRecord | None:
    """Entry `seq` as the ORM would read it, from the driver's own types (SQLite: text)."""
    row = raw.one(_READ_ENTRY, (seq,))
    if row is None:
        return None
    at = datetime.fromisoformat(row[1]) if isinstance(row[1], str) else row[1]
    data = json.loads(row[7]) if isinstance(row[7], str | bytes) else row[7]
    return ChainRecord(
        seq=int(row[0]),
        at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        actor=row[2],
        action=row[3],
        object_type=row[4],
        object_id=row[5],
        customer_id=row[6],
        data=data,
        prev_hash=row[8],
        hash=row[9],
    )
