"""GET /api/v1/reports/{name}: figures on a small fixed data set, computed by hand."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from tocsin.core.clock import FrozenClock
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.models import Incident
from tocsin.incidents.schemas import ActionIn, IncidentIn
from tocsin.sla.models import IncidentSla

from .conftest import World

H = 3600


@pytest.fixture
def data(world: World, clock: FrozenClock) -> dict[str, str]:
    """A (acme, ops) opened 2 h before T0, B (acme, ops) 4 h before, C (globex, globex-it)
    1 h before, D (acme, dba) 40 days before; A, B, C acknowledged at T0; A and C resolved
    at T0+1h; A reopened then resolved again at T0+2h; the clock stops at T0+2h."""
    app, admin = world.app, world.principals["admin"]
    t0 = clock.now()

    def open_(title: str, customer: str, team: str, before: timedelta) -> str:
        data = IncidentIn(title=title, customer=customer, team=team, opened_at=t0 - before)
        return app.incidents.create(admin, data).number

    numbers = {
        "A": open_("A", "acme", "ops", timedelta(hours=2)),
        "B": open_("B", "acme", "ops", timedelta(hours=4)),
        "C": open_("C", "globex", "globex-it", timedelta(hours=1)),
        "D": open_("D", "acme", "dba", timedelta(days=40)),
    }

    def act(key: str, action: Action, **fields: object) -> None:
        app.actions.perform(admin, numbers[key], action, ActionIn(**fields))  # type: ignore[arg-type]

    for key in "ABC":
        act(key, Action.ACKNOWLEDGE)
    clock.advance(hours=1)
    act("A", Action.RESOLVE, resolution_code="solved_permanently", resolution_notes="fixed")
    act("C", Action.RESOLVE, resolution_code="solved_permanently", resolution_notes="fixed")
    act("A", Action.REOPEN, reason="still broken")
    clock.advance(hours=1)
    act("A", Action.RESOLVE, resolution_code="solved_permanently", resolution_notes="fixed")
    # SLA outcomes written as the engine would have left them: A met both; B breached its
    # response; C met its response late (breached) and its resolution is pending.
    sla = {"A": (t0, None, t0, None), "B": (None, t0, None, None), "C": (t0, t0, None, None)}
    with app.db.unit_of_work() as uow:
        for key, (rm, rb, sm, sb) in sla.items():
            incident = uow.session.scalars(
                select(Incident).where(Incident.number == numbers[key])
            ).one()
            uow.session.add(_clocks(incident.id, incident.customer_id, rm, rb, sm, sb, t0))
    return numbers


def _clocks(
    ident: int,
    customer_id: int,
    rm: datetime | None,
    rb: datetime | None,
    sm: datetime | None,
    sb: datetime | None,
    at: datetime,
) -> IncidentSla:
    return IncidentSla(
        incident_id=ident,
        customer_id=customer_id,
        response_target_seconds=900.0,
        response_met_at=rm,
        response_breached_at=rb,
        resolution_target_seconds=14400.0,
        resolution_met_at=sm,
        resolution_breached_at=sb,
        applied_at=at,
    )


def _get(world: World, who: str, path: str, **headers: str) -> dict[str, object]:
    response = world.client.get(path, headers={**world.h(who), **headers})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_reports_compute_the_hand_figures(world: World, data: dict[str, str]) -> None:
    mtta = _get(world, "manager", "/api/v1/reports/mtta")
    assert mtta["report"] == "mtta"
    assert "acknowledged_at" in str(mtta["definition"])
    assert mtta["total"] == {
        "count": 3,
        "skipped": 0,
        "mean_seconds": 8400.0,
        "median_seconds": 7200.0,
        "p90_seconds": 14400.0,
    }
    mttr = _get(world, "manager", "/api/v1/reports/mttr?by=team")
    assert mttr["total"]["count"] == 2  # type: ignore[index]
    assert mttr["total"]["mean_seconds"] == 10800.0  # type: ignore[index]
    assert mttr["total"]["p90_seconds"] == 14400.0  # type: ignore[index]
    by_team = {r["group"]: r for r in mttr["rows"]}  # type: ignore[union-attr]
    assert by_team["ops"]["mean_seconds"] == 4 * H  # A: reopened, resolved again at T0+2h
    assert by_team["globex-it"]["median_seconds"] == 2 * H
    top = _get(world, "manager", "/api/v1/reports/top-categories")
    assert top["rows"] == [{"category": "(none)", "count": 3, "share": 100.0}]
    problems = _get(world, "manager", "/api/v1/reports/problems?by=priority")
    assert problems["total"]["problems"] == 0  # type: ignore[index]
    assert problems["rows"] == []
    reopen = _get(world, "manager", "/api/v1/reports/reopen-rate")
    assert reopen["total"] == {"resolved": 2, "reopened": 1, "reopen_rate": 50.0}
    sla = _get(world, "manager", "/api/v1/reports/sla-compliance")["total"]
    assert sla == {
        "response_met": 1,
        "response_breached": 2,
        "response_pending": 0,
        "response_compliance": 33.3,
        "resolution_met": 1,
        "resolution_breached": 0,
        "resolution_pending": 2,
        "resolution_compliance": 100.0,
    }
    backlog = _get(world, "manager", "/api/v1/reports/backlog")
    counts = {r["age"]: r["count"] for r in backlog["rows"]}  # type: ignore[union-attr]
    assert counts == {"<1d": 1, "1-3d": 0, "3-7d": 0, "7-30d": 0, ">30d": 1}  # B and D

    volume = _get(world, "manager", "/api/v1/reports/volume?by=customer")
    rows = {(r["period"], r["group"]): r["count"] for r in volume["rows"]}  # type: ignore[union-attr]
    assert rows == {("2026-03-02", "acme"): 2, ("2026-03-02", "globex"): 1}
    assert volume["total"] == {"count": 3}
    reassignment = _get(world, "manager", "/api/v1/reports/reassignment")["total"]
    assert reassignment == {
        "incidents": 3,
        "mean_reassignments": 0.0,
        "reassigned": 0,
        "reassigned_share": 0.0,
    }
    # a tenant's manager: only acme's incidents (A and B)
    mtta = _get(world, "acme_manager", "/api/v1/reports/mtta")["total"]
    assert mtta["count"] == 2
    assert mtta["mean_seconds"] == 3 * H
    answer = world.client.get(
        "/api/v1/reports/mtta?customer=globex", headers=world.h("acme_manager")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"] == "There is no customer 'globex'."
    assert world.client.get("/api/v1/reports/mtta", headers=world.h("requester")).status_code == 403


def test_csv_and_refusals(world: World, data: dict[str, str]) -> None:
    answer = world.client.get(
        "/api/v1/reports/mtta?by=team", headers={**world.h("manager"), "Accept": "text/csv"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(answer.text)))
    assert table[0] == [
        "group",
        "count",
        "skipped",
        "mean_seconds",
        "median_seconds",
        "p90_seconds",
    ]
    assert table[-1] == ["total", "3", "0", "8400.0", "7200.0", "14400.0"]
    same = world.client.get("/api/v1/reports/mtta?by=team&format=csv", headers=world.h("manager"))
    assert same.text == answer.text
    missing = world.client.get("/api/v1/reports/mean-time", headers=world.h("manager"))
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert "mttr" in missing.json()["detail"]
    assert "backlog" in missing.json()["detail"]
    for query, words in (
        ("by=colour", "cannot be grouped by 'colour'"),
        ("from=yesterday", "'from' must be a date"),
        ("from=2026-03-01&to=2026-02-01", "'from' must be before 'to'"),
        ("period=fortnight", "There is no period 'fortnight'"),
        ("priority=P9", "'priority' is 1 to 5"),
        ("team=nobody", "There is no team 'nobody'"),
    ):
        bad = world.client.get(f"/api/v1/reports/mttr?{query}", headers=world.h("manager"))
        assert bad.status_code == 422, query
        assert words in bad.json()["detail"], (query, bad.json())
