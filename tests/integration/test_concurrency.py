"""Concurrent writers: unique numbers, one winner per version, an unbroken audit chain."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tocsin.audit import verify as audit
from tocsin.auth.service import default_customer
from tocsin.catalog.models import Team
from tocsin.catalog.schemas import TeamIn
from tocsin.core.errors import Conflict, StaleVersion
from tocsin.incidents.schemas import IncidentIn, IncidentPatch

from .conftest import Org


def test_parallel_creates_get_distinct_numbers(org: Org) -> None:
    def create(i: int) -> str:
        return org.app.incidents.create(org.agent, IncidentIn(title=f"parallel {i}")).number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(40)))
    assert len(set(numbers)) == 40
    assert sorted(numbers) == [f"INC{n:07d}" for n in range(1001, 1041)]
    result = audit.verify(org.app.db, key=org.app.audit_key)
    assert result.problem is None
    assert result.entries >= 40


def test_same_version_edits_have_exactly_one_winner(org: Org) -> None:
    inc = org.open()

    def edit(i: int) -> str:
        try:
            org.app.incidents.patch(
                org.agent, inc.number, IncidentPatch(title=f"edit {i}"), if_match=inc.version
            )
        except StaleVersion:
            return "stale"
        return "won"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(edit, range(12)))
    assert outcomes.count("won") == 1
    final = org.app.incidents.get(org.admin, inc.number)
    assert final.version == 2


def test_two_creates_of_one_slug_at_the_same_moment_give_a_conflict(org: Org) -> None:
    """The service checks that the slug is free, but on PostgreSQL two transactions can
    both pass that check: the loser's insert waits for the winner's commit and then hits
    the unique index. It is answered as a conflict (409), never a 500."""
    app = org.app
    with app.db.read() as session:
        provider = default_customer(session).id
    holding = threading.Event()

    def first() -> None:
        with app.db.unit_of_work() as uow:
            uow.session.add(
                Team(slug="race", name="Race", customer_id=provider, created_at=app.clock.now())
            )
            uow.session.flush()
            holding.set()
            time.sleep(0.3)  # the second create starts meanwhile and waits for this commit

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    with pytest.raises(Conflict):
        app.catalog.create_team(org.admin, TeamIn(slug="race", name="Race again"))
    thread.join()
    assert [t.slug for t in app.catalog.list_teams(org.admin).items].count("race") == 1
