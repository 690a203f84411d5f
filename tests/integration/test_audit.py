"""The audit log: written with every change, in the same transaction, tamper-evident."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from tocsin.audit import verify as audit
from tocsin.audit.models import AuditEntry
from tocsin.auth.schemas import UserPatch
from tocsin.core.errors import NotAuthenticated, ValidationFailed
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn, IncidentPatch

from .conftest import Org


def actions(org: Org) -> list[str]:
    with org.app.db.read() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_every_change_is_audited_in_order(org: Org) -> None:
    start = len(actions(org))
    inc = org.open()
    org.app.incidents.patch(org.agent, inc.number, IncidentPatch(title="Renamed"))
    org.app.actions.perform(org.agent, inc.number, Action.ACKNOWLEDGE, ActionIn())
    assert actions(org)[start:] == ["incident.created", "incident.updated", "incident.acknowledge"]
    with org.app.db.read() as session:
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry is not None
    assert entry.actor == "agent@example.com"
    assert entry.data["changes"]["state"] == ["new", "in_progress"]
    assert audit.verify(org.app.db, key=org.app.audit_key).problem is None


def test_a_rolled_back_change_leaves_no_audit_entry(org: Org) -> None:
    before = actions(org)
    with pytest.raises(ValidationFailed):
        org.open(category="No such category")
    assert actions(org) == before


def test_logins_and_permission_failures_are_audited(org: Org) -> None:
    org.app.auth.patch_user(org.admin, "agent@example.com", UserPatch(password="a long password"))
    org.app.auth.login("agent@example.com", "a long password", source="127.0.0.1")
    with pytest.raises(NotAuthenticated):
        org.app.auth.login("agent@example.com", "wrong", source="127.0.0.1")
    with pytest.raises(NotAuthenticated):
        org.app.auth.login("nobody@example.com", "wrong", source="127.0.0.1")
    org.app.auth.record_denied(
        org.agent,
        what="PATCH /api/v1/users/1",
        source="127.0.0.1",
        reason="role lacks users.manage",
    )
    tail = actions(org)[-4:]
    assert tail == ["auth.login", "auth.login_failed", "auth.login_failed", "auth.denied"]
    assert audit.verify(org.app.db, key=org.app.audit_key).problem is None


def _seq_of_latest(org: Org, action: str) -> int:
    with org.app.db.read() as session:
        seq = session.scalar(
            select(AuditEntry.seq)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.seq.desc())
        )
    assert seq is not None
    return int(seq)


def test_verify_names_an_altered_entry(org: Org) -> None:
    inc = org.open()
    org.app.incidents.patch(org.agent, inc.number, IncidentPatch(title="Second"))
    org.open()
    target = _seq_of_latest(org, "incident.updated")
    with org.app.db.unit_of_work() as uow:
        uow.session.execute(
            update(AuditEntry).where(AuditEntry.seq == target).values(actor="mallory@example.com")
        )
    result = audit.verify(org.app.db, key=org.app.audit_key)
    assert result.problem is not None
    assert result.problem.seq == target
    assert "altered" in result.problem.reason


def test_verify_names_a_removed_entry(org: Org) -> None:
    org.open()
    org.open()
    target = _seq_of_latest(org, "incident.created") - 1
    with org.app.db.unit_of_work() as uow:
        uow.session.execute(delete(AuditEntry).where(AuditEntry.seq == target))
    result = audit.verify(org.app.db, key=org.app.audit_key)
    assert result.problem is not None
    assert result.problem.seq == target
    assert "missing" in result.problem.reason


def test_verify_names_an_inserted_entry(org: Org) -> None:
    org.open()
    last = _seq_of_latest(org, "incident.created")
    with org.app.db.unit_of_work() as uow:
        row = uow.session.scalars(select(AuditEntry).where(AuditEntry.seq == last)).one()
        uow.session.add(
            AuditEntry(
                seq=last + 1,
                at=row.at,
                actor="mallory",
                action="user.created",
                object_type="user",
                object_id="99",
                customer_id=None,
                data={},
                prev_hash=row.hash,
                hash="f" * 64,
            )
        )
    result = audit.verify(org.app.db, key=org.app.audit_key)
    assert result.problem is not None
    assert result.problem.seq == last + 1


def test_audit_log_rows_survive_a_raw_sql_reader(org: Org) -> None:
    """The log is plain rows an auditor can export with SQL."""
    org.open()
    with org.app.db.read() as session:
        count = session.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    assert count >= 1
