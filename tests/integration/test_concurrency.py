"""Concurrent writers: unique numbers, one winner per version, an unbroken audit chain."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tocsin.audit import verify as audit
from tocsin.core.errors import StaleVersion
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
