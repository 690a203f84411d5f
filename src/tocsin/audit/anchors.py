"""Signed checkpoints and external anchors (pure): what they vouch for, and the first that
the chain no longer matches."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tocsin.audit.chain import GENESIS, Break, ChainKey, canonical


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Checkpoint `number` vouches that entry `seq` had hash `hash` at `at`; `prev_mac`
    chains it to the checkpoint before (GENESIS for the first), `mac` signs it all."""

    number: int
    seq: int
    hash: str
    at: datetime
    prev_mac: str
    mac: str


def checkpoint_mac(
    key: ChainKey, *, number: int, seq: int, hash: str, at: datetime, prev_mac: str
) -> str:
    spelled = at.astimezone(UTC).isoformat()
    return key.digest(canonical(["audit checkpoint", number, seq, hash, spelled, prev_mac]))


def next_checkpoint(
    key: ChainKey, previous: Checkpoint | None, *, seq: int, hash: str, at: datetime
) -> Checkpoint:
    """The checkpoint after `previous` (the first when None), vouching for entry `seq`."""
    number = previous.number + 1 if previous else 1
    prev_mac = previous.mac if previous else GENESIS
    mac = checkpoint_mac(key, number=number, seq=seq, hash=hash, at=at, prev_mac=prev_mac)
    return Checkpoint(number=number, seq=seq, hash=hash, at=at, prev_mac=prev_mac, mac=mac)


def first_bad_checkpoint(
    checkpoints: Iterable[Checkpoint],
    *,
    key: ChainKey,
    hash_at: Mapping[int, str],
    last_seq: int,
) -> Break | None:
    """Walk the checkpoints in order: each is signed with the key, follows the one before,
    and names an entry that is still in the chain (`hash_at`, up to `last_seq`) with the
    hash it vouched for. Removing the newest checkpoints cannot be seen here: that is
    what anchors kept off the host are for."""
    expected, prev_mac = 1, GENESIS
    for point in checkpoints:
        if point.number > expected:
            gone = (
                f"checkpoint {expected} is"
                if point.number == expected + 1
                else f"checkpoints {expected}-{point.number - 1} are"
            )
            return Break(None, f"{gone} missing (removed)")
        if point.number < expected:  # numbers are the key: only a reader's mistake
            return Break(None, f"checkpoint {point.number} appears twice")
        mac = checkpoint_mac(
            key,
            number=point.number,
            seq=point.seq,
            hash=point.hash,
            at=point.at,
            prev_mac=point.prev_mac,
        )
        if mac != point.mac:
            return Break(
                None,
                f"checkpoint {point.number} was altered or forged (it is not signed with the key)",
            )
        if point.prev_mac != prev_mac:
            return Break(
                None,
                f"checkpoint {point.number} does not follow checkpoint {point.number - 1} "
                "(a checkpoint was removed or replaced)",
            )
        if point.seq > last_seq:
            return Break(
                last_seq + 1,
                f"entries after {last_seq} were removed: checkpoint {point.number} vouches "
                f"for entry {point.seq}",
            )
        if hash_at.get(point.seq) != point.hash:
            return Break(
                point.seq,
                f"entry {point.seq} is not the one checkpoint {point.number} vouches for "
                "(the chain was rewritten from there)",
            )
        expected, prev_mac = expected + 1, point.mac
    return None


@dataclass(frozen=True, slots=True)
class Anchor:
    """Entry `seq` had hash `hash`: noted off the host (a checkpoint's log line, a report)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


_ANCHOR = re.compile(r"\s*(\d+)\s*:\s*([0-9a-fA-F]{64})\s*")


def parse_anchor(text: str) -> Anchor:
    """`SEQ:HASH`, the hash in full (64 hex digits)."""
    match = _ANCHOR.fullmatch(text)
    if match is None or int(match[1]) < 1:
        raise ValueError(f"an anchor is SEQ:HASH (a 64-digit hex hash), not {text!r}")
    return Anchor(int(match[1]), match[2].lower())


def first_bad_anchor(
    anchors: Iterable[Anchor], *, hash_at: Mapping[int, str], last_seq: int
) -> Break | None:
    for anchor in sorted(anchors, key=lambda a: a.seq):
        if anchor.seq > last_seq:
            return Break(
                last_seq + 1,
                f"entries after {last_seq} were removed: the anchor {anchor} vouches for "
                f"entry {anchor.seq}",
            )
        if hash_at.get(anchor.seq) != anchor.hash:
            return Break(
                anchor.seq,
                f"entry {anchor.seq} is not the one the anchor vouches for (its hash is "
                f"{hash_at.get(anchor.seq)}; the chain was rewritten from there)",
            )
    return None
