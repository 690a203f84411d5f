"""MTTA / MTTR figures from the database: the ungrouped figures, fetched or walked from
the duration indexes to their ranks, equal the in-memory summary of the same durations; the grouped
ones too; and the queries really are served by those indexes on both databases."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from tests.conftest import START
from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.incidents.models import Incident
from tocsin.incidents.schemas import IncidentIn
from tocsin.reports import sql
from tocsin.reports.definitions import Filters
from tocsin.reports.statistics import summarise

WHOLE = Filters(start=START - timedelta(days=400), end=START + timedelta(days=400))


def _incidents(app: Tocsin, admin: Principal, seconds: list[float | None]) -> None:
    """One incident per entry, opened a minute apart the day before, acknowledged
    `seconds` after it was opened (None: never); a negative entry is a clock that
    disagreed."""
    for n, duration in enumerate(seconds):
        opened = START - timedelta(days=1) + timedelta(minutes=n)
        number = app.incidents.create(admin, IncidentIn(title=f"i{n}", opened_at=opened)).number
        if duration is None:
            continue
        with app.db.unit_of_work() as uow:
            uow.session.execute(
                update(Incident)
                .where(Incident.number == number)
                .values(acknowledged_at=opened + timedelta(seconds=duration))
            )


def _figures(row: tuple[object, ...]) -> tuple[object, ...]:
    count, skipped, mean, median, p90 = row[:5]
    return count, skipped, *(round(float(v), 2) for v in (mean, median, p90))  # type: ignore[arg-type]


@pytest.mark.parametrize("walk", [False, True], ids=["computed", "walked"])
@pytest.mark.parametrize("size", [1, 2, 9, 10, 41])
def test_the_total_equals_the_in_memory_summary(
    app: Tocsin, admin: Principal, size: int, walk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways to the total (computed over the window when it is small, the duration
    index walked to each rank when it is large) give the figures summarise gives."""
    if walk:
        monkeypatch.setattr(sql, "WALK_FROM", 0)
    rng = random.Random(size)
    seconds: list[float | None] = [round(rng.uniform(0, 90_000), 3) for _ in range(size)]
    seconds += [-120.0, None]  # one skipped, one never acknowledged
    _incidents(app, admin, seconds)
    expected = summarise(s for s in seconds if s is not None)
    with app.db.snapshot() as session:
        rows = sql.durations(session, admin, WHOLE, Incident.acknowledged_at, by=None)
        grouped = sql.durations(session, admin, WHOLE, Incident.acknowledged_at, by="month")
    assert len(rows) == 1
    assert rows[0][-1] is None
    want = (expected.count, expected.skipped, expected.mean, expected.median, expected.p90)
    assert _figures(rows[0]) == _figures(want)  # type: ignore[arg-type]
    # every incident was opened in one month: the group's figures are the total's
    assert [_figures(r) for r in grouped] == [_figures(rows[0])]


def test_no_durations_no_row(app: Tocsin, admin: Principal) -> None:
    _incidents(app, admin, [None, None])
    with app.db.read() as session:
        assert sql.durations(session, admin, WHOLE, Incident.acknowledged_at, by=None) == []


@pytest.mark.parametrize(
    ("end", "index"),
    [
        (Incident.acknowledged_at, "ix_incidents_ack_seconds"),
        (Incident.resolved_at, "ix_incidents_resolve_seconds"),
    ],
)
def test_the_ranks_are_read_from_the_duration_index(
    app: Tocsin, admin: Principal, end: object, index: str
) -> None:
    """The index is used only for the expression it was created on: this fails when the
    migration's expression and tocsin.db.durations' drift apart."""
    query = sql.durations_in_order(admin, WHOLE, end)
    with app.db.read() as session:
        dialect = session.get_bind().dialect
        compiled = query.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        if dialect.name == "sqlite":
            plan = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            assert "TEMP B-TREE" not in str(plan)
        else:
            # An empty table costs nothing to sort; forbid the sort so that only a
            # matching index can give the order.
            session.execute(text("SET LOCAL enable_sort = off"))
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = session.execute(text(f"EXPLAIN {compiled}")).all()
            assert "Sort" not in str(plan)
    assert index in str(plan)
