"""Show how the database runs the incident list query: plan and time of page and count.

    python bench/explain.py --db sqlite [--team service-desk] [--state open] [--priority 1,2]

The statements are the ones the API runs (built by tocsin.incidents.queries.page_query for
an administrator), executed through the same engine and driver, so bound parameters are
bound exactly as in production. PostgreSQL plans come from EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from generate import POSTGRES_URL, SQLITE_URL
from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.incidents.queries import IncidentFilter, page_query
from tocsin.settings import Settings


def _compiled(session: Session, statement: Select[Any]) -> tuple[str, Any]:
    """The SQL and driver parameters the engine would send (IN lists expanded)."""
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.params
    if compiled.positiontup is not None:
        return str(compiled), tuple(params[name] for name in compiled.positiontup)
    return str(compiled), params


def explain(session: Session, statement: Select[Any], dialect: str) -> list[str]:
    sql, params = _compiled(session, statement)
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    rows = session.connection().exec_driver_sql(prefix + sql, params).all()
    if dialect == "sqlite":
        return [f"{row[0]:>3} {row[1]:>3}  {row[3]}" for row in rows]
    return [str(row[0]) for row in rows]


def time_it(session: Session, statement: Select[Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        session.execute(statement).all()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="database URL (overrides --db)")
    parser.add_argument("--team", default="service-desk")
    parser.add_argument("--state", default="open")
    parser.add_argument("--priority", default="1,2")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    url = args.url or (SQLITE_URL if args.db == "sqlite" else POSTGRES_URL)
    app = build(Settings(database_url=url, engine_enabled=False, secret_key="bench"))
    try:
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
            filters = IncidentFilter(state=args.state, priority=args.priority, team=args.team)
            page, count = page_query(session, admin, filters, limit=25, cursor=None)
            for name, statement in (("page", page), ("count", count)):
                sql, params = _compiled(session, statement)
                print(f"== {name}: median {time_it(session, statement, args.repeat):.2f} ms")
                print(" ".join(sql.split()))
                print(f"   params: {params}")
                for line in explain(session, statement, app.db.dialect):
                    print("   " + line)
                print()
    finally:
        app.dispose()


if __name__ == "__main__":
    main()
