"""The keyed hash chain finds the first altered, removed, inserted or unkeyed entry."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.audit.chain import (
    GENESIS,
    LEGACY,
    ChainKey,
    ChainRecord,
    Hasher,
    Seal,
    audit_key,
    entry_hash,
    first_break,
    record_hash,
    seal_mac,
    seal_problem,
)
from tocsin.audit.service import _string_keys, _string_keys_loop

T0 = datetime(2026, 1, 1, tzinfo=UTC)
KEY = ChainKey(b"the audit key of these tests")


def chain(
    n: int, hasher: Hasher = KEY, *, start: list[ChainRecord] | None = None
) -> list[ChainRecord]:
    """`n` entries hashed with `hasher`, after `start` when given."""
    records = list(start or [])
    prev = records[-1].hash if records else GENESIS
    for seq in range(len(records) + 1, len(records) + n + 1):
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
        digest = entry_hash(hasher, prev_hash=prev, **fields)  # type: ignore[arg-type]
        records.append(ChainRecord(prev_hash=prev, hash=digest, **fields))  # type: ignore[arg-type]
        prev = digest
    return records


def head(records: list[ChainRecord]) -> tuple[int, str]:
    return records[-1].seq, records[-1].hash


def test_intact_chain() -> None:
    records = chain(20)
    seq, digest = head(records)
    assert first_break(records, key=KEY, head_seq=seq, head_hash=digest) is None
    assert first_break([], key=KEY, head_seq=0, head_hash=None) is None


def test_altered_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    records[4] = dataclasses.replace(records[4], data={"n": 999})
    problem = first_break(records, key=KEY, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 5
    assert "altered" in problem.reason


def test_removed_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    del records[6]
    problem = first_break(records, key=KEY, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 7
    assert "missing" in problem.reason


def test_removed_tail_is_found_through_the_head() -> None:
    records = chain(10)
    seq, digest = head(records)
    problem = first_break(records[:8], key=KEY, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 9


def test_inserted_entry_is_named() -> None:
    records = chain(10)
    seq, digest = head(records)
    forged = dataclasses.replace(records[3], seq=4, action="user.created")
    shifted = [dataclasses.replace(r, seq=r.seq + 1) for r in records[3:]]
    problem = first_break([*records[:3], forged, *shifted], key=KEY, head_seq=seq, head_hash=digest)
    assert problem is not None
    assert problem.seq == 4


def test_rewritten_entry_with_recomputed_hash_breaks_the_next_link() -> None:
    records = chain(10)
    seq, digest = head(records)
    target = records[2]
    data = {"n": "forged"}
    forged_hash = entry_hash(
        KEY,
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
    problem = first_break(records, key=KEY, head_seq=seq, head_hash=digest)
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
    problem = first_break(records, key=KEY, head_seq=seq, head_hash=digest)
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
            KEY,
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


def _rehash(records: list[ChainRecord], index: int, hasher: Hasher) -> list[ChainRecord]:
    """What a writer of the database does: rewrite entry `index`, then recompute every
    hash (and link) from there with `hasher`, so that the chain is consistent again."""
    out = records[:index]
    prev = out[-1].hash if out else GENESIS
    for number, record in enumerate(records[index:]):
        changed = dataclasses.replace(
            record, prev_hash=prev, data={"n": "forged"} if number == 0 else record.data
        )
        changed = dataclasses.replace(changed, hash=record_hash(hasher, changed))
        out.append(changed)
        prev = changed.hash
    return out


def test_entries_are_hashed_with_the_key_not_plain_sha256() -> None:
    records = chain(3)
    assert all(record_hash(KEY, r) == r.hash for r in records)
    assert all(record_hash(LEGACY, r) != r.hash for r in records)
    other = chain(3, ChainKey(b"another key"))
    assert [r.hash for r in other] != [r.hash for r in records]


def test_an_entry_forged_with_plain_sha256_is_named() -> None:
    """Before the key, rewriting an entry and recomputing the hashes and the head passed."""
    forged = _rehash(chain(10), 4, LEGACY)
    problem = first_break(forged, key=KEY, head_seq=10, head_hash=forged[-1].hash)
    assert problem is not None
    assert problem.seq == 5
    assert "plain SHA-256" in problem.reason


def test_an_entry_rewritten_with_another_key_is_named() -> None:
    forged = _rehash(chain(10), 4, ChainKey(b"a key the attacker made up"))
    problem = first_break(forged, key=KEY, head_seq=10, head_hash=forged[-1].hash)
    assert problem is not None
    assert problem.seq == 5
    assert "altered" in problem.reason


def _sealed(legacy: list[ChainRecord]) -> Seal:
    seq, digest = (legacy[-1].seq, legacy[-1].hash) if legacy else (0, GENESIS)
    mac = seal_mac(KEY, legacy_seq=seq, legacy_hash=digest, at=T0)
    return Seal(key_id=KEY.id, legacy_seq=seq, legacy_hash=digest, at=T0, mac=mac)


def test_a_sealed_legacy_part_is_checked_with_sha256_and_the_rest_with_the_key() -> None:
    legacy = chain(5, LEGACY)
    seal = _sealed(legacy)
    records = chain(5, KEY, start=legacy)
    assert seal_problem(seal, KEY) is None
    assert first_break(records, key=KEY, head_seq=10, head_hash=records[-1].hash, seal=seal) is None
    # without the seal, the unkeyed entries are not accepted
    problem = first_break(records, key=KEY, head_seq=10, head_hash=records[-1].hash)
    assert problem is not None
    assert problem.seq == 1
    assert "no seal" in problem.reason


def test_an_entry_forged_in_the_legacy_part_is_still_named() -> None:
    legacy = chain(5, LEGACY)
    seal = _sealed(legacy)
    records = chain(5, KEY, start=legacy)
    # recomputed up to the sealed entry: its hash is no longer the one the seal names
    forged = _rehash(records[:5], 1, LEGACY) + records[5:]
    problem = first_break(forged, key=KEY, head_seq=10, head_hash=records[-1].hash, seal=seal)
    assert problem is not None
    assert problem.seq == 5
    assert "seal" in problem.reason
    # recomputed to the end: the first keyed entry is not keyed any more
    forged = _rehash(records, 1, LEGACY)
    problem = first_break(forged, key=KEY, head_seq=10, head_hash=forged[-1].hash, seal=seal)
    assert problem is not None
    assert problem.seq == 5


def test_a_keyed_entry_cannot_pass_for_legacy_after_the_seal() -> None:
    legacy = chain(3, LEGACY)
    seal = _sealed(legacy)
    records = _rehash(chain(4, KEY, start=legacy), 5, LEGACY)
    problem = first_break(records, key=KEY, head_seq=7, head_hash=records[-1].hash, seal=seal)
    assert problem is not None
    assert problem.seq == 6
    assert "only entries 1-3" in problem.reason


def test_the_legacy_part_cut_short_is_named_through_the_seal() -> None:
    legacy = chain(5, LEGACY)
    seal = _sealed(legacy)
    cut = legacy[:3]
    problem = first_break(cut, key=KEY, head_seq=3, head_hash=cut[-1].hash, seal=seal)
    assert problem is not None
    assert problem.seq == 4
    assert "entries after 3 were removed" in problem.reason


def test_a_seal_with_another_key_or_altered_is_refused() -> None:
    seal = _sealed(chain(2, LEGACY))
    other = ChainKey(b"not the key")
    why = seal_problem(seal, other)
    assert why is not None
    assert "this key is not the one the chain was written with" in why
    assert other.id in why
    why = seal_problem(dataclasses.replace(seal, legacy_seq=1), KEY)
    assert why is not None
    assert "altered" in why


def test_the_audit_key_is_the_configured_one_or_derived_from_the_secret() -> None:
    assert audit_key(configured="kept elsewhere", secret="s") == b"kept elsewhere"
    derived = audit_key(configured="", secret="s")
    assert derived == hmac.new(b"s", b"tocsin audit chain v1", hashlib.sha256).digest()
    assert derived == audit_key(configured="", secret="s")
    assert derived != audit_key(configured="", secret="t")
    assert derived != b"s"


def test_a_chain_key_shows_its_fingerprint_never_the_key() -> None:
    key = ChainKey(b"secret material")
    assert len(key.id) == 16
    assert key.id == ChainKey(b"secret material").id != ChainKey(b"other").id
    assert "secret material" not in repr(key)
