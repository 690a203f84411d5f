"""Signed checkpoints and anchors: each vouches for an entry the chain must still hold."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.audit.anchors import (
    Anchor,
    Checkpoint,
    first_bad_anchor,
    first_bad_checkpoint,
    next_checkpoint,
    parse_anchor,
)
from tocsin.audit.chain import ChainKey

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = ChainKey(b"the audit key of these tests")
HASHES = {seq: f"{seq:064x}" for seq in range(1, 101)}


def checkpoints(*seqs: int, key: ChainKey = KEY) -> list[Checkpoint]:
    points: list[Checkpoint] = []
    for n, seq in enumerate(seqs):
        at = T0 + timedelta(minutes=10 * n)
        points.append(
            next_checkpoint(key, points[-1] if points else None, seq=seq, hash=HASHES[seq], at=at)
        )
    return points


def test_checkpoints_are_numbered_and_chained() -> None:
    points = checkpoints(10, 20, 30)
    assert [p.number for p in points] == [1, 2, 3]
    assert points[1].prev_mac == points[0].mac
    assert first_bad_checkpoint(points, key=KEY, hash_at=HASHES, last_seq=100) is None
    assert first_bad_checkpoint([], key=KEY, hash_at={}, last_seq=0) is None


def test_a_truncated_tail_is_named_by_the_checkpoint_that_vouches_for_it() -> None:
    points = checkpoints(10, 20, 30)
    problem = first_bad_checkpoint(points, key=KEY, hash_at=HASHES, last_seq=25)
    assert problem is not None
    assert problem.seq == 26
    assert problem.reason == "entries after 25 were removed: checkpoint 3 vouches for entry 30"


def test_a_checkpoint_removed_in_the_middle_or_at_the_start_is_named() -> None:
    points = checkpoints(10, 20, 30, 40)
    problem = first_bad_checkpoint([points[0], points[3]], key=KEY, hash_at=HASHES, last_seq=100)
    assert problem is not None
    assert problem.seq is None
    assert "checkpoints 2-3 are missing" in problem.reason
    problem = first_bad_checkpoint(points[1:], key=KEY, hash_at=HASHES, last_seq=100)
    assert problem is not None
    assert "checkpoint 1 is missing" in problem.reason


def test_a_renumbered_or_forged_checkpoint_is_named() -> None:
    points = checkpoints(10, 20, 30)
    renumbered = [points[0], dataclasses.replace(points[2], number=2)]
    problem = first_bad_checkpoint(renumbered, key=KEY, hash_at=HASHES, last_seq=100)
    assert problem is not None
    assert "checkpoint 2 was altered or forged" in problem.reason
    forged = checkpoints(10, 20, 50, key=ChainKey(b"made up"))
    problem = first_bad_checkpoint(forged, key=KEY, hash_at=HASHES, last_seq=100)
    assert problem is not None
    assert "checkpoint 1 was altered or forged" in problem.reason


def test_a_checkpoint_replaced_by_a_correctly_signed_one_does_not_follow() -> None:
    """Signed with the key but not chained to the one before (e.g. from another copy)."""
    points = checkpoints(10, 20, 30)
    stray = next_checkpoint(KEY, None, seq=20, hash=HASHES[20], at=T0)
    stray = next_checkpoint(KEY, stray, seq=20, hash=HASHES[20], at=T0)
    problem = first_bad_checkpoint(
        [points[0], stray, points[2]], key=KEY, hash_at=HASHES, last_seq=100
    )
    assert problem is not None
    assert "checkpoint 2 does not follow checkpoint 1" in problem.reason


def test_an_entry_that_is_not_the_one_vouched_for_is_named() -> None:
    points = checkpoints(10, 20)
    rewritten = {**HASHES, 20: "f" * 64}
    problem = first_bad_checkpoint(points, key=KEY, hash_at=rewritten, last_seq=100)
    assert problem is not None
    assert problem.seq == 20
    assert "checkpoint 2" in problem.reason


def test_a_checkpoint_survives_a_round_trip_through_another_time_zone() -> None:
    from datetime import timezone

    point = checkpoints(10)[0]
    elsewhere = dataclasses.replace(point, at=point.at.astimezone(timezone(timedelta(hours=2))))
    assert first_bad_checkpoint([elsewhere], key=KEY, hash_at=HASHES, last_seq=100) is None


def test_anchors_are_parsed_and_checked() -> None:
    anchor = parse_anchor(f" 20:{HASHES[20].upper()} ")
    assert anchor == Anchor(20, HASHES[20])
    assert str(anchor) == f"20:{HASHES[20]}"
    for bad in ("20", "x:" + HASHES[20], "20:abc", "0:" + HASHES[20]):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            parse_anchor(bad)
    assert first_bad_anchor([anchor], hash_at=HASHES, last_seq=100) is None
    problem = first_bad_anchor([anchor], hash_at=HASHES, last_seq=15)
    assert problem is not None
    assert problem.seq == 16
    assert "entries after 15 were removed" in problem.reason
    problem = first_bad_anchor([Anchor(20, "e" * 64)], hash_at=HASHES, last_seq=100)
    assert problem is not None
    assert problem.seq == 20
