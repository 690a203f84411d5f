"""Refused requests cannot grow the audit log without limit: what a stranger sends is
stored clipped, and past a source's allowance in a minute a refusal is only counted."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from tocsin.audit.models import AuditEntry
from tocsin.auth.refusals import PER_SOURCE

from .conftest import World


def _entries(world: World, action: str) -> list[AuditEntry]:
    with world.app.db.read() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _audit_bytes(world: World) -> int:
    with world.app.db.read() as session:
        total = session.scalar(
            select(
                func.sum(func.length(AuditEntry.actor) + func.length(AuditEntry.object_type) + 200)
            )
        )
        rows = session.scalars(select(AuditEntry.data)).all()
    return int(total or 0) + sum(len(str(row)) for row in rows)


def test_a_long_path_refused_is_stored_clipped_with_the_hash_of_the_whole(world: World) -> None:
    path = "/api/v1/incidents/" + "x" * 60_000
    r = world.client.get(path, headers={"Authorization": "Bearer tcn_forged"})
    assert r.status_code == 401
    (entry,) = _entries(world, "auth.denied")
    assert len(entry.data["what"]) <= 200
    assert entry.data["what"].startswith("GET /api/v1/incidents/xxx")
    assert entry.data["what_cut"] == {
        "chars": len("GET " + path),
        "sha256": hashlib.sha256(("GET " + path).encode()).hexdigest(),
    }


def test_a_flood_of_bad_tokens_from_one_source_writes_a_bounded_audit(world: World) -> None:
    before = _audit_bytes(world)
    for i in range(200):
        r = world.client.get(
            f"/api/v1/incidents?q={'y' * 5000}{i}", headers={"Authorization": "Bearer forged"}
        )
        assert r.status_code == 401
    assert len(_entries(world, "auth.denied")) == PER_SOURCE
    grown = _audit_bytes(world) - before
    assert grown < PER_SOURCE * 2_000  # each entry is bounded, whatever was sent

    world.app.clock.advance(minutes=1)  # type: ignore[attr-defined]
    world.client.get("/api/v1/incidents", headers={"Authorization": "Bearer forged"})
    (summary,) = _entries(world, "auth.denied_summary")
    assert summary.data["source"] == "testclient"
    assert summary.data["refusals"] == 200 - PER_SOURCE
    assert summary.data["reasons"] == {"unknown or revoked token": 200 - PER_SOURCE}
    assert len(_entries(world, "auth.denied")) == PER_SOURCE + 1  # the new minute's first

    verified = world.client.get("/api/v1/audit/verify", headers=world.h("admin")).json()
    assert verified["intact"] is True


def test_the_counts_of_a_minute_are_written_at_shutdown(world: World) -> None:
    for _ in range(PER_SOURCE + 3):
        world.client.get("/api/v1/me", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert _entries(world, "auth.denied_summary") == []
    world.app.auth.flush_refusals(final=True)
    (summary,) = _entries(world, "auth.denied_summary")
    assert summary.data["refusals"] == 3
    assert summary.data["reasons"] == {"malformed Authorization header": 3}
