"""Importing a ServiceNow event log into the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import make_user
from tests.servicenow_sample import handcrafted, uci_slice, write_csv
from tocsin.audit import verify as audit
from tocsin.audit.models import AuditEntry
from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn
from tocsin.bootstrap import Tocsin
from tocsin.catalog.models import Category, Team
from tocsin.core.errors import NotFound, PermissionDenied, ValidationFailed
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.incidents.schemas import IncidentIn
from tocsin.problems.models import Problem, ProblemIncident
from tocsin.sla.models import IncidentSla


def _count(app: Tocsin, model: type[object]) -> int:
    with app.db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_import_keeps_numbers_history_states_slas_and_problems(
    app: Tocsin, admin: Principal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "log.csv", handcrafted())
    summary = app.imports.run(admin, path)
    assert (summary.created, summary.already_present, summary.rows_read) == (3, 0, 12)
    assert summary.skipped == {
        "number not like INC0000001": 1,
        "unreadable date": 1,
        "wrong number of columns": 1,
    }
    assert summary.problems_created == 1
    with app.db.read() as s:
        incidents = {i.number: i for i in s.scalars(select(Incident))}
        first = incidents["INC0001101"]
        assert first.state == "closed"
        assert first.priority == 1
        assert first.priority_overridden
        assert first.priority_reason
        assert "Imported" in first.priority_reason
        assert incidents["INC0001102"].state == "new"
        assignee = s.get(User, first.assignee_id)
        assert assignee is not None
        assert (assignee.email, assignee.role, assignee.active, assignee.password_hash) == (
            "resolver-5@import.invalid",
            "agent",
            False,
            None,
        )
        team = s.get(Team, first.team_id)
        assert team is not None
        assert team.slug == "group-56"
        sub = s.get(Category, first.subcategory_id)
        assert sub is not None
        assert sub.parent_id == first.category_id
        entries = list(
            s.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.incident_id == first.id)
                .order_by(TimelineEntry.at)
            )
        )
        assert [e.kind for e in entries] == ["created"] + ["updated"] * 4
        assert entries[-1].changes == {"state": ["resolved", "closed"]}
        assert entries[0].actor_label == "Updated by 1"
        slas = {r.incident_id: r for r in s.scalars(select(IncidentSla))}
        assert set(slas) == {first.id, incidents["INC0001103"].id}
        assert slas[first.id].resolution_met_at is not None
        assert slas[first.id].resolution_breached_at is None
        late = slas[incidents["INC0001103"].id]
        assert late.resolution_breached_at is not None
        assert late.response_met_at is None
        link = s.get(ProblemIncident, first.id)
        assert link is not None
        assert link.source == "import"
        problem = s.get(Problem, link.problem_id)
        assert problem is not None
        assert problem.number == "PRB0000001"
        actions = list(s.scalars(select(AuditEntry.action)))
    assert actions.count("import.completed") == 1
    assert audit.verify(app.db, key=app.audit_key).problem is None
    # the next incident opened by hand takes a number after the imported ones
    created = app.incidents.create(admin, IncidentIn(title="After the import"))
    assert created.number == "INC0001104"


def test_importing_the_same_file_twice_changes_nothing(
    app: Tocsin, admin: Principal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "uci.csv", uci_slice(1500))
    first = app.imports.run(admin, path)
    assert first.created > 200
    assert not first.skipped
    counts = [_count(app, m) for m in (Incident, TimelineEntry, IncidentSla, Problem, User, Team)]
    assert counts[1] == 1500
    again = app.imports.run(admin, path)
    assert (again.created, again.already_present) == (0, first.created)
    assert [
        _count(app, m) for m in (Incident, TimelineEntry, IncidentSla, Problem, User, Team)
    ] == counts


def test_dry_runs_and_refusals_write_nothing(app: Tocsin, admin: Principal, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", handcrafted())
    summary = app.imports.run(admin, path, dry_run=True)
    assert (summary.created, summary.problems_created) == (3, 1)
    agent, _ = make_user(app, admin, "agent@example.com", Role.AGENT)
    with pytest.raises(PermissionDenied):
        app.imports.run(agent, path)
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValidationFailed, match="not a ServiceNow incident event log"):
        app.imports.run(admin, bad)
    with pytest.raises(ValidationFailed, match="time zone"):
        app.imports.run(admin, path, zone="Mars/Olympus")
    assert _count(app, Incident) == 0


def test_a_tenants_import_stays_in_the_tenant(
    app: Tocsin, admin: Principal, tmp_path: Path
) -> None:
    app.auth.create_customer(admin, CustomerIn(slug="acme", name="Acme"))
    tenant_admin, _ = make_user(app, admin, "root@acme.test", Role.ADMIN, "acme")
    path = write_csv(tmp_path / "log.csv", handcrafted())
    with pytest.raises(PermissionDenied, match="categories Tocsin does not have"):
        app.imports.run(tenant_admin, path)
    with pytest.raises(NotFound):
        app.imports.run(tenant_admin, path, customer="default")
    # once the provider has imported the categories, the tenant's import uses them
    first = app.imports.run(admin, write_csv(tmp_path / "one.csv", handcrafted()[:6]))
    assert first.created == 1
    summary = app.imports.run(tenant_admin, path)
    assert (summary.customer, summary.created, summary.already_present) == ("acme", 2, 1)
    with app.db.read() as s:
        incident = s.scalar(select(Incident).where(Incident.number == "INC0001103"))
        assert incident is not None
        requester = s.get(User, incident.requester_id)
        assert requester is not None
        assert requester.email == "caller-7@acme.import.invalid"
        assert requester.customer_id == incident.customer_id
        assert requester.customer_id != admin.customer_id
