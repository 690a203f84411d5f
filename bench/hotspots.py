"""Where the time of one list / one create goes, in process (no HTTP): SQL and Python.

    python bench/hotspots.py --db sqlite [--what create|list] [--repeat 300] [--top 25]

Calls the domain services the API handlers call (IncidentService.list / .create) on the
benchmark database, counts the SQL statements one call sends and the time spent inside
the driver, then prints a cProfile summary (cumulative) of the repeated calls.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import event, func, select

from generate import POSTGRES_URL, SQLITE_URL
from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.catalog.models import Service, Team
from tocsin.incidents.models import Incident
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import IncidentIn
from tocsin.settings import Settings

OPEN = ("new", "assigned", "in_progress", "on_hold")


class SqlMeter:
    """Counts statements and the time between cursor execute start and end."""

    def __init__(self) -> None:
        self.statements: Counter[str] = Counter()
        self.per_statement: Counter[str] = Counter()  # seconds
        self.seconds = 0.0
        self._started = 0.0

    def before(self, *_: Any) -> None:
        self._started = time.perf_counter()

    def after(self, conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started
        key = " ".join(sql.split())[:90]
        self.seconds += elapsed
        self.statements[key] += 1
        self.per_statement[key] += elapsed


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="database URL (overrides --db)")
    parser.add_argument("--what", choices=("create", "list"), default="create")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", choices=("cumulative", "tottime"), default="cumulative")
    args = parser.parse_args(argv)
    url = args.url or (SQLITE_URL if args.db == "sqlite" else POSTGRES_URL)
    app = build(Settings(database_url=url, engine_enabled=False, secret_key="bench"))
    with app.db.read() as s:
        admin = system_principal(default_customer_id=default_customer(s).id, name="bench")
        team = s.scalar(
            select(Team.slug)
            .join(Incident, Incident.team_id == Team.id)
            .where(Incident.state.in_(OPEN), Incident.priority <= 2)
            .group_by(Team.slug)
            .order_by(func.count().desc())
            .limit(1)
        )
        service = s.scalar(
            select(Service.slug)
            .join(Team, Team.id == Service.team_id)
            .where(Team.slug == team)
            .order_by(Service.slug)
            .limit(1)
        )
    body = IncidentIn(
        title="Checkout API latency above 2s",
        description="p95 latency of POST /checkout above 2 s for 10 minutes.",
        service=service,
        impact=2,
        urgency=2,
        category="Monitoring",
        subcategory="Latency",
    )
    filters = IncidentFilter(state="open", priority="1,2", team=team)
    call: Callable[[], object] = (
        (lambda: app.incidents.create(admin, body))
        if args.what == "create"
        else (lambda: app.incidents.list(admin, filters))
    )
    for _ in range(20):
        call()
    meter = SqlMeter()
    event.listen(app.db.engine, "before_cursor_execute", meter.before)
    event.listen(app.db.engine, "after_cursor_execute", meter.after)
    call()
    event.remove(app.db.engine, "before_cursor_execute", meter.before)
    event.remove(app.db.engine, "after_cursor_execute", meter.after)
    print(f"== one {args.what}: {sum(meter.statements.values())} SQL statements")
    for sql, n in meter.statements.most_common():
        print(f"   {n:>3} x {meter.per_statement[sql] * 1000:6.2f} ms  {sql}")
    samples = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    print(f"== {args.what} in process: median {statistics.median(samples):.2f} ms")
    meter = SqlMeter()
    event.listen(app.db.engine, "before_cursor_execute", meter.before)
    event.listen(app.db.engine, "after_cursor_execute", meter.after)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.repeat):
        call()
    profiler.disable()
    total = time.perf_counter() - started
    print(
        f"== under the meter: {total / args.repeat * 1000:.2f} ms per call, of which "
        f"{meter.seconds / args.repeat * 1000:.2f} ms inside cursor.execute (driver + database)"
    )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    app.dispose()


if __name__ == "__main__":
    main()
