"""The hash chain finds the first altered, removed or inserted entry."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.audit.chain import GENESIS, ChainRecord, entry_hash, first_break
from tocsin.audit.service import _string_keys, _string_keys_loop

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def chain(n: int) -> list[ChainRecord]:
    records, prev = [], GENESIS
    for seq in range(1, n + 1):
        fields = {
            "seq": seq,
            "at": T0 + timedelta(seconds=seq),
            "actor": "a@example.com",
            "action": "incident.updated",
            "object_type": "incident",
            "object_id": str(seq),
            "customer_id": 1,
            "data": {"n": seq},
        }
        digest = entry_hash(prev_hash=prev, **fields)  # type: ignore[arg-type]
        records.append(ChainRecord(prev_hash=prev, hash=digest, **fields))  # type: ignore[arg-type]
        prev = digest
    return records


def head(records: list[ChainRecord]) -> tuple[int, str]:
    return records[-1].seq, records[-1].hash


def test_intact_chain() -> None:
    records = chain(20)
    seq, digest = head(records)
    assert first_break(records, head_seq=seq, head_hash=digest) is None
    assert first_break([], head_seq=0, head_hash=None) is None


def test_altered_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    records[4] = dataclasses.replace(records[4], data={"n": 999})
    problem = first_break(records, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 5
    assert "altered" in problem.reason


def test_removed_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    del records[6]
    problem = first_break(records, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 7
    assert "missing" in problem.reason


def test_removed_tail_is_found_through_the_head() -> None:
    records = chain(10)
    seq, digest = head(records)
    problem = first_break(records[:8], head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 9


def test_inserted_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    forged = dataclasses.replace(records[3], seq=4, action="user.created")
    shifted = [dataclasses.replace(r, seq=r.seq + 1) for r in records[3:]]
    problem = first_break([*records[:3], forged, *shifted], head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 4


def test_rewritten_entry_with_recomputed_hash_breaks_the_next_link() -> None:
    records = chain(10)
    seq, digest = head(records)
    target = records[2]
    data = {"n": "forged"}
    forged_hash = entry_hash(
        prev_hash=target.prev_hash,
        seq=target.seq,
        at=target.at,
        actor=target.actor,
        action=target.action,
        object_type=target.object_type,
        object_id=target.object_id,
        customer_id=target.customer_id,
        data=data,
    )
    records[2] = dataclasses.replace(target, data=data, hash=forged_hash)
    problem = first_break(records, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 4


@given(st.integers(min_value=2, max_value=40), st.data())
def test_any_single_alteration_is_detected(n: int, data: st.DataObject) -> None:
    records = chain(n)
    seq, digest = head(records)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    field = data.draw(st.sampled_from(["actor", "action", "object_id", "data", "at"]))
    value: object = {
        "actor": "mallory@example.com",
        "action": "x.y",
        "object_id": "999",
        "data": {"n": -1},
        "at": T0 - timedelta(days=1),
    }[field]
    records[index] = dataclasses.replace(records[index], **{field: value})
    problem = first_break(records, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == index + 1


# Event data as subscribers see it: scalars, lists, tuples and dicts whose keys are mostly
# text, sometimes numbers (which a JSON column gives back as text).
_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_keys = st.text(max_size=5) | st.integers()
_data = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_keys, inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=5), _data, max_size=4))
def test_the_fast_key_check_agrees_with_the_plain_walk(data: dict[str, object]) -> None:
    assert _string_keys(data) == _string_keys_loop(data)


def test_the_key_check_survives_data_deeper_than_the_recursion_limit() -> None:
    deep: dict[str, object] = {}
    cursor = deep
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]  # type: ignore[assignment]
    assert _string_keys(deep)
    cursor[1] = "x"  # type: ignore[index]
    assert not _string_keys(deep)


def test_the_same_instant_in_two_zones_hashes_as_each_is_spelled() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from tocsin.audit.chain import entry_hash_of_text

    utc = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    paris = utc.astimezone(timezone(timedelta(hours=1)))
    assert utc == paris  # equal instants, different spellings

    def digest(at: datetime) -> str:
        return entry_hash_of_text(
            prev_hash="0" * 64,
            seq=1,
            at=at,
            actor="system",
            action="x.y",
            object_type="x",
            object_id="1",
            customer_id=None,
            data_text="{}",
        )

    first, second = digest(utc), digest(paris)
    assert first != second
    assert digest(utc) == first
    assert digest(paris) == second
