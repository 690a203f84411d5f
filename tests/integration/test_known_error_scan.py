"""The engine duty that links new incidents to the problem of the known error they match:
once per incident, however many workers run it at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tocsin.problems.schemas import KnownErrorIn, ProblemIn

from .conftest import Org


def test_parallel_scans_link_each_incident_once(org: Org) -> None:
    app, admin = org.app, org.admin
    problem = app.problems.create(admin, ProblemIn(title="Disk full", customer="acme"))
    app.known_errors.create(
        admin,
        KnownErrorIn(
            title="Disk full on the web host",
            customer="acme",
            service="web",
            category="Network",
            problem=problem.number,
        ),
    )
    alike = [
        org.open(title=f"Disk full on web host {n}", service="web", category="Network").number
        for n in range(3)
    ]
    org.open(title="Disk full on web host", service="web")  # no category: no match
    with ThreadPoolExecutor(max_workers=3) as pool:
        linked = sum(pool.map(lambda _: app.known_errors.record_matches(), range(3)))
    assert linked == 3
    assert app.known_errors.record_matches() == 0
    assert [i.number for i in app.problems.linked(admin, problem.number)] == alike
    for number in alike:
        kinds = [e.kind for e in app.incidents.timeline(admin, number).items]
        assert kinds.count("problem_linked") == 1
