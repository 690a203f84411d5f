"""The keyed audit chain against someone who can write the database but lacks the key:
rewritten entries, a truncated tail, removed checkpoints, a changed key, and the entries
written before the chain was keyed."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from tocsin.audit.chain import GENESIS, LEGACY, ChainKey, ChainRecord, Hasher, record_hash
from tocsin.audit.checkpoints import write_checkpoint
from tocsin.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditSeal
from tocsin.audit.verify import VerifyResult, verify
from tocsin.auth.principal import Principal
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import Tocsin, build
from tocsin.core.clock import FrozenClock
from tocsin.db import migrate
from tocsin.settings import Settings

from .conftest import Org

EVERY = timedelta(minutes=10)


def checked(app: Tocsin) -> VerifyResult:
    return verify(app.db, key=app.audit_key)


def _record(row: AuditEntry) -> ChainRecord:
    return ChainRecord(
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


def rewrite(app: Tocsin, seq: int, hasher: Hasher, *, until: int | None = None) -> None:
    """What a writer of the database without the key does: change entry `seq`, recompute
    every hash and link after it with `hasher` (to `until`, else to the end and the head),
    so that the chain is consistent again as far as plain hashing can tell."""
    with app.db.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)
        ).all()
        prev = uow.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1))
        prev = prev or GENESIS
        for row in rows:
            if until is not None and row.seq > until:
                break
            if row.seq == seq:
                row.actor = "mallory@example.com"
            row.prev_hash = prev
            row.hash = record_hash(hasher, _record(row))
            prev = row.hash
        if until is None:
            uow.session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=prev))


def truncate(app: Tocsin, last: int) -> None:
    """Remove every entry after `last` and reset the head to it: consistent, as if the
    newest entries had never been written."""
    with app.db.unit_of_work() as uow:
        digest = uow.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == last))
        uow.session.execute(delete(AuditEntry).where(AuditEntry.seq > last))
        uow.session.execute(
            update(AuditHead).where(AuditHead.id == 1).values(seq=last, hash=digest)
        )


def head_seq(app: Tocsin) -> int:
    with app.db.read() as session:
        head = session.get(AuditHead, 1)
        assert head is not None
        return head.seq


def more_entries(org: Org, n: int = 2) -> None:
    for _ in range(n):
        org.open()


def test_an_entry_forged_with_plain_sha256_is_caught(org: Org) -> None:
    """Before the key this passed: sha256 recomputed from the forged entry to the head."""
    more_entries(org)
    target = head_seq(org.app) - 3
    rewrite(org.app, target, LEGACY)
    result = checked(org.app)
    assert result.problem is not None
    assert result.problem.seq == target
    assert "plain SHA-256" in result.problem.reason


def test_an_entry_rewritten_with_another_key_is_caught(org: Org) -> None:
    more_entries(org)
    target = head_seq(org.app) - 3
    rewrite(org.app, target, ChainKey(b"a key the attacker made up"))
    result = checked(org.app)
    assert result.problem is not None
    assert result.problem.seq == target
    assert "altered" in result.problem.reason


def test_a_truncated_tail_with_a_consistent_head_is_caught_by_a_checkpoint(
    org: Org, clock: FrozenClock
) -> None:
    more_entries(org)
    assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY) == 1
    vouched = head_seq(org.app)
    more_entries(org)
    truncate(org.app, vouched - 2)
    result = checked(org.app)
    assert result.problem is not None
    assert result.problem.seq == vouched - 1
    assert result.problem.reason == (
        f"entries after {vouched - 2} were removed: checkpoint 1 vouches for entry {vouched}"
    )


def test_a_checkpoint_removed_in_the_middle_is_caught(org: Org, clock: FrozenClock) -> None:
    for _ in range(3):
        more_entries(org, 1)
        assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY)
        clock.advance(EVERY)
    assert checked(org.app).problem is None
    with org.app.db.unit_of_work() as uow:
        uow.session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.id == 2))
    result = checked(org.app)
    assert result.problem is not None
    assert result.problem.seq is None
    assert "checkpoint 2 is missing" in result.problem.reason


def test_a_forged_checkpoint_is_caught(org: Org, clock: FrozenClock) -> None:
    assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY)
    with org.app.db.unit_of_work() as uow:
        uow.session.execute(update(AuditCheckpoint).values(seq=AuditCheckpoint.seq - 1))
    result = checked(org.app)
    assert result.problem is not None
    assert "checkpoint 1 was altered or forged" in result.problem.reason


def test_a_wrong_key_is_reported_as_a_wrong_key(
    org: Org, settings: Settings, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    result = verify(org.app.db, key=b"not the key the chain was written with")
    assert result.problem is not None
    assert result.problem.seq is None
    assert "this key is not the one the chain was written with" in result.problem.reason
    assert "TOCSIN_AUDIT_KEY" in result.problem.reason
    # a process started with another key says so, and signs no checkpoint
    other = build(settings.model_copy(update={"audit_key": "another key"}), clock=clock)
    try:
        with caplog.at_level(logging.ERROR, logger="tocsin.audit"):
            other.auth.create_customer(org.admin, CustomerIn(slug="other", name="Other"))
            wrote = write_checkpoint(other.db, key=other.audit_key, clock=clock, every=EVERY)
        assert wrote == 0
        assert sum("audit key is not the one" in r.getMessage() for r in caplog.records) == 2
    finally:
        other.dispose()


def test_a_fresh_chain_is_sealed_with_no_legacy_part_and_no_key_in_the_database(
    org: Org, clock: FrozenClock
) -> None:
    assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY)
    with org.app.db.read() as session:
        seal = session.get(AuditSeal, 1)
        assert seal is not None
        assert (seal.legacy_seq, seal.legacy_hash) == (0, GENESIS)
        assert seal.key_id == ChainKey(org.app.audit_key).id
        stored = " ".join(
            str(value)
            for table in ("audit_seal", "audit_checkpoints", "audit_head")
            for row in session.execute(text(f"SELECT * FROM {table}"))
            for value in row
        )
    for secret in (org.app.audit_key.hex(), org.app.secret_key):
        assert secret not in stored
    result = checked(org.app)
    assert result.problem is None
    assert result.seal is not None
    assert result.seal.legacy_seq == 0


def _write_legacy_entries(app: Tocsin, n: int) -> str:
    """Entries as Tocsin wrote them before the chain was keyed (plain SHA-256)."""
    with app.db.unit_of_work() as uow:
        head = uow.session.get(AuditHead, 1)
        assert head is not None
        prev, seq = head.hash, head.seq
        for _ in range(n):
            seq += 1
            record = ChainRecord(
                seq=seq,
                at=app.clock.now(),
                actor="system:cli",
                action="user.created",
                object_type="user",
                object_id=str(seq),
                customer_id=None,
                data={"email": f"user{seq}@example.com", "changes": {"role": [None, "agent"]}},
                prev_hash=prev,
                hash="",
            )
            digest = record_hash(LEGACY, record)
            uow.session.add(
                AuditEntry(
                    seq=seq,
                    at=record.at,
                    actor=record.actor,
                    action=record.action,
                    object_type=record.object_type,
                    object_id=record.object_id,
                    customer_id=record.customer_id,
                    data=record.data,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        head.seq, head.hash = seq, prev
    return prev


def test_a_legacy_chain_without_a_seal_does_not_verify(app: Tocsin) -> None:
    _write_legacy_entries(app, 3)
    result = checked(app)
    assert result.problem is not None
    assert result.problem.seq == 1
    assert "no seal" in result.problem.reason


def _upgrade_an_unkeyed_install(app: Tocsin, n: int) -> str:
    """An install from before the chain was keyed (schema 0005, entries hashed with plain
    SHA-256), upgraded by `Tocsin.migrate` as `tocsin serve` or `tocsin db upgrade` do."""
    migrate.downgrade(app.db.engine, "0005")
    last = _write_legacy_entries(app, n)
    app.migrate()
    return last


def test_a_legacy_chain_is_sealed_by_the_upgrade_that_keys_it(
    app: Tocsin, admin: Principal, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tocsin.audit"):
        last = _upgrade_an_unkeyed_install(app, 5)
        app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme"))
        app.auth.create_customer(admin, CustomerIn(slug="initech", name="Initech"))
        app.migrate()  # a later start changes nothing
    with app.db.read() as session:
        seal = session.get(AuditSeal, 1)
        assert seal is not None
        assert (seal.legacy_seq, seal.legacy_hash) == (5, last)
        keyed = session.scalars(select(AuditEntry).where(AuditEntry.seq > 5)).all()
    assert len(keyed) == 2
    assert all(record_hash(ChainKey(app.audit_key), _record(row)) == row.hash for row in keyed)
    assert [r.getMessage() for r in caplog.records].count(
        "audit chain sealed: its entries up to here were written before it was keyed"
    ) == 1
    result = checked(app)
    assert result.problem is None
    assert result.entries == 7


@pytest.mark.parametrize("how", ["a start", "the first append"])
def test_unkeyed_entries_are_never_sealed_outside_that_upgrade(
    app: Tocsin, admin: Principal, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    """What a database writer without the key can do: delete the seal and the checkpoints
    and rewrite every entry with plain SHA-256. A process must not vouch for that."""
    _write_legacy_entries(app, 5)
    with caplog.at_level(logging.ERROR, logger="tocsin.audit"):
        if how == "a start":
            app.migrate()
        app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme"))
    with app.db.read() as session:
        assert session.get(AuditSeal, 1) is None
    assert "may have been rewritten" in caplog.text
    result = checked(app)
    assert result.problem is not None
    assert result.problem.seq == 1


@pytest.mark.parametrize("keyed_after", [True, False])
def test_an_entry_forged_in_the_legacy_part_is_still_caught(
    app: Tocsin, admin: Principal, keyed_after: bool
) -> None:
    """Recomputed with SHA-256 to the last unkeyed entry (a keyed one links to it), or to
    the head when none follows: either way the seal names another last entry."""
    _upgrade_an_unkeyed_install(app, 5)
    if keyed_after:
        app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme"))
    rewrite(app, 2, LEGACY, until=5 if keyed_after else None)
    result = checked(app)
    assert result.problem is not None
    assert result.problem.seq == 5
    assert "seal" in result.problem.reason


def test_the_seal_is_never_written_over_keyed_entries(org: Org) -> None:
    """A seal lost (a downgrade, or deleted) is not replaced by one that would let the
    keyed entries pass for unkeyed ones."""
    with org.app.db.unit_of_work() as uow:
        uow.session.execute(delete(AuditSeal))
    org.app.migrate()
    with org.app.db.read() as session:
        seal = session.get(AuditSeal, 1)
        assert seal is not None
        assert seal.legacy_seq == 0
    assert checked(org.app).problem is None


def test_checkpoints_are_signed_when_the_chain_moved_at_most_every_interval(
    org: Org, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    def tick() -> int:
        return write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY)

    with caplog.at_level(logging.INFO, logger="tocsin.audit"):
        assert tick() == 1
    logged = [r for r in caplog.records if r.getMessage() == "audit checkpoint"]
    assert len(logged) == 1
    assert logged[0].seq == head_seq(org.app)  # type: ignore[attr-defined]
    assert len(logged[0].mac) == 64  # type: ignore[attr-defined]
    assert tick() == 0  # again at once: nothing
    more_entries(org, 1)
    clock.advance(EVERY - timedelta(seconds=1))
    assert tick() == 0  # moved, but too soon
    clock.advance(seconds=1)
    assert tick() == 1
    clock.advance(EVERY * 3)
    assert tick() == 0  # the chain did not move
    result = checked(org.app)
    assert result.problem is None
    assert result.checkpoints == 2
    assert result.newest is not None
    assert (result.newest.number, result.newest.seq) == (2, head_seq(org.app))
    assert result.newest.at == clock.now() - EVERY * 3


def test_the_engine_runs_the_checkpoint_module(org: Org) -> None:
    from tocsin.workers.engine import Engine

    engine = Engine(org.app, holder="one")
    assert engine.tick()["audit_checkpoint"] == 1
    assert engine.tick()["audit_checkpoint"] == 0
    assert checked(org.app).checkpoints == 1


def test_a_truncation_is_logged_by_the_checkpoint_module(
    org: Org, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY)
    truncate(org.app, head_seq(org.app) - 1)
    clock.advance(EVERY)
    with caplog.at_level(logging.ERROR, logger="tocsin.audit"):
        assert write_checkpoint(org.app.db, key=org.app.audit_key, clock=clock, every=EVERY) == 0
    assert any("behind its newest checkpoint" in r.getMessage() for r in caplog.records)
