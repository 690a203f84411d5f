"""Hash chain arithmetic for the audit log (pure): the key, link, and find the first break."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from tocsin.core.jsontext import json_encoder

GENESIS = "0" * 64
_DERIVATION = b"tocsin audit chain v1"


def audit_key(*, configured: str, secret: str) -> bytes:
    """The key the chain is written with: `TOCSIN_AUDIT_KEY` when set, else one derived
    from the per-install secret (so that the secret itself is never used twice)."""
    if configured:
        return configured.encode("utf-8")
    return hmac.digest(secret.encode("utf-8"), _DERIVATION, "sha256")


class Hasher(Protocol):
    def digest(self, text: str) -> str:
        """The hex digest of `text` (UTF-8)."""
        ...


class ChainKey:
    """HMAC-SHA256 under the audit key, made once: every transaction's entries are hashed
    with a copy of it. `id` is a short fingerprint, safe to store: it names the key
    without revealing it."""

    __slots__ = ("_base", "id")

    def __init__(self, key: bytes) -> None:
        if not key:
            raise ValueError("the audit key is empty")
        self._base = hmac.new(key, digestmod=hashlib.sha256)
        self.id = self.digest("key id")[:16]

    def digest(self, text: str) -> str:
        mac = self._base.copy()
        mac.update(text.encode("utf-8"))
        return mac.hexdigest()

    def __repr__(self) -> str:
        return f"ChainKey(id={self.id})"


class _PlainSha256:
    """How entries were hashed before the chain was keyed (anyone could recompute it)."""

    def digest(self, text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


LEGACY: Hasher = _PlainSha256()


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
    hasher: Hasher,
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
        hasher,
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
    hasher: Hasher,
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
    it once, for the hash and for the column alike). Appending and verifying both hash
    here: a `ChainKey` for keyed entries, `LEGACY` for those written before the key."""
    head = canonical([seq, _isoformat(at), actor, action, object_type, object_id, customer_id])
    body = head[:-1] + "," + data_text + "]"
    return hasher.digest(prev_hash + body)


def record_hash(hasher: Hasher, record: ChainRecord) -> str:
    """What `record`'s hash should be under `hasher`."""
    return entry_hash(
        hasher,
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


@dataclass(frozen=True, slots=True)
class Seal:
    """The keyed stamp on the entries hashed before the chain was keyed: entries 1 to
    `legacy_seq` (0 for a chain keyed from its start) are plain SHA-256, the last of them
    is `legacy_hash`, and `key_id` names the key everything after is written with."""

    key_id: str
    legacy_seq: int
    legacy_hash: str
    at: datetime
    mac: str


def seal_mac(key: ChainKey, *, legacy_seq: int, legacy_hash: str, at: datetime) -> str:
    # Entries hash 64 hex digits then "[": a seal (or checkpoint) message cannot be one.
    return key.digest(canonical(["audit seal", legacy_seq, legacy_hash, _isoformat(at)]))


def seal_problem(seal: Seal, key: ChainKey) -> str | None:
    """Why `seal` cannot be trusted with `key`, or None."""
    if seal.key_id != key.id:
        return (
            "this key is not the one the chain was written with (TOCSIN_AUDIT_KEY / the "
            f"secret changed): key {key.id} here, {seal.key_id} in the chain"
        )
    expected = seal_mac(key, legacy_seq=seal.legacy_seq, legacy_hash=seal.legacy_hash, at=seal.at)
    if expected != seal.mac:
        return "the seal of the entries written before the chain was keyed was altered"
    return None


@dataclass(frozen=True, slots=True)
class Break:
    """The first thing that does not fit: `seq` is the first bad (or missing) entry, None
    when the fault is not in an entry (the key, the seal, a checkpoint)."""

    seq: int | None
    reason: str


def _unkeyed(record: ChainRecord, seal: Seal | None) -> str:
    if seal is None:
        sealed = "the chain has no seal naming entries written before it was keyed"
    elif seal.legacy_seq:
        sealed = f"only entries 1-{seal.legacy_seq} were written before the chain was keyed"
    else:
        sealed = "the chain was keyed from its first entry"
    return (
        f"entry {record.seq} is hashed with plain SHA-256, without the key, but {sealed}: "
        "it was rewritten by someone who does not hold the key"
    )


def first_break(
    records: Iterable[ChainRecord],
    *,
    key: ChainKey,
    head_seq: int | None,
    head_hash: str | None,
    seal: Seal | None = None,
) -> Break | None:
    """Walk the chain in sequence order; name the first entry that does not fit. Entries
    up to the seal's `legacy_seq` (a seal `seal_problem` found valid) are plain SHA-256
    and end at its `legacy_hash`; every later one is keyed."""
    legacy_seq = seal.legacy_seq if seal else 0
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
        legacy = record.seq <= legacy_seq
        if record_hash(LEGACY if legacy else key, record) != record.hash:
            if not legacy and record_hash(LEGACY, record) == record.hash:
                return Break(record.seq, _unkeyed(record, seal))
            return Break(record.seq, f"entry {record.seq} was altered (its hash does not match)")
        if seal is not None and record.seq == legacy_seq and record.hash != seal.legacy_hash:
            return Break(
                record.seq,
                f"entry {record.seq} is not the one the seal names as the last entry written "
                "before the chain was keyed (the chain was rewritten up to it)",
            )
        prev = record.hash
        expected_seq += 1
    last = expected_seq - 1
    if head_seq is not None and head_seq != last:
        if head_seq > last:
            return Break(last + 1, f"entries {last + 1}-{head_seq} are missing (removed)")
        return Break(head_seq + 1, f"entry {head_seq + 1} was inserted after the chain head")
    if head_hash is not None and last > 0 and head_hash != prev:
        return Break(last, f"entry {last} does not match the chain head (altered)")
    if last < legacy_seq:
        return Break(
            last + 1,
            f"entries after {last} were removed: the seal vouches for entry {legacy_seq}",
        )
    return None
