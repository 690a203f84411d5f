"""Hash chain arithmetic for the audit log (pure): link, and find the first broken link."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from tocsin.core.jsontext import json_encoder

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class ChainRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    customer_id: int | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


_CANONICAL = json_encoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@lru_cache(maxsize=64)
def _spelled(at: datetime, _offset: timedelta | None) -> str:
    return at.isoformat()


def _isoformat(at: datetime) -> str:
    """`at.isoformat()`, spelled once for the events of a transaction (they share their
    time). The offset is part of the key: the same instant in two zones compares equal
    but is spelled differently."""
    return _spelled(at, at.utcoffset())


def canonical(value: Any) -> str:
    """The one JSON spelling that is hashed: sorted keys, no spaces, UTF-8 as is."""
    return _CANONICAL(value)


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    customer_id: int | None,
    data: dict[str, Any],
) -> str:
    return entry_hash_of_text(
        prev_hash=prev_hash,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        customer_id=customer_id,
        data_text=canonical(data),
    )


def entry_hash_of_text(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    customer_id: int | None,
    data_text: str,
) -> str:
    """`entry_hash` with the data already in its canonical spelling (the hot path spells
    it once, for the hash and for the column alike)."""
    head = canonical([seq, _isoformat(at), actor, action, object_type, object_id, customer_id])
    body = head[:-1] + "," + data_text + "]"
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    reason: str


def first_break(
    records: Iterable[ChainRecord], *, head_seq: int | None, head_hash: str | None
) -> Break | None:
    """Walk the chain in sequence order; name the first entry that does not fit."""
    expected_seq = 1
    prev = GENESIS
    for record in records:
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                return Break(
                    expected_seq,
                    f"entry {expected_seq} is missing (removed); the chain jumps to "
                    f"entry {record.seq}",
                )
            return Break(record.seq, f"entry {record.seq} appears twice (inserted)")
        if record.prev_hash != prev:
            return Break(
                record.seq,
                f"entry {record.seq} does not link to entry {record.seq - 1} "
                "(an entry was inserted, removed or rewritten before it)",
            )
        recomputed = entry_hash(
            prev_hash=record.prev_hash,
            seq=record.seq,
            at=record.at,
            actor=record.actor,
            action=record.action,
            object_type=record.object_type,
            object_id=record.object_id,
            customer_id=record.customer_id,
            data=record.data,
        )
        if recomputed != record.hash:
            return Break(record.seq, f"entry {record.seq} was altered (its hash does not match)")
        prev = record.hash
        expected_seq += 1
    last = expected_seq - 1
    if head_seq is not None and head_seq != last:
        if head_seq > last:
            return Break(last + 1, f"entries {last + 1}-{head_seq} are missing (removed)")
        return Break(head_seq + 1, f"entry {head_seq + 1} was inserted after the chain head")
    if head_hash is not None and last > 0 and head_hash != prev:
        return Break(last, f"entry {last} does not match the chain head (altered)")
    return None
