"""Time every report on 1,000,000 incidents, on SQLite and on PostgreSQL, in process.

    python bench/reports.py --db both                 # generate (fixed seed), add SLA rows, time
    python bench/reports.py --db sqlite --reuse       # time the database already there

The incidents come from bench/generate.py (its fixed seed, spread and ack/resolve times)
into databases of their own (bench/data/tocsin-reports.db, tocsin_reports_bench); then one
incident_slas row per acknowledged incident is added in SQL (response breached for every
tenth, resolution breached for every seventh resolved one, the rest met; open ones
pending). Each report runs through ReportService.report as the provider's administrator
(every customer: the largest scope) over four windows: the whole range and last quarter,
each also grouped by team; the median of --rounds runs after one warm-up is kept.
Results go to bench/results/<stamp>-reports-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from generate import database_exists, generate, is_sqlite
from run import RESULTS, _settings, machine
from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.reports.definitions import REPORTS

HERE = Path(__file__).resolve().parent
SQLITE_URL = f"sqlite:///{HERE / 'data' / 'tocsin-reports.db'}"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tocsin_reports_bench"
WINDOWS: dict[str, dict[str, str | None]] = {
    "whole range": {"from": "2000-01-01"},
    "whole range by team": {"from": "2000-01-01", "by": "team"},
    "last quarter": {"period": "last-quarter"},
    "last quarter by team": {"period": "last-quarter", "by": "team"},
}

SLA_ROWS = """
INSERT INTO incident_slas (incident_id, customer_id, response_target_seconds,
  response_consumed_seconds, response_met_at, response_breached_at,
  resolution_target_seconds, resolution_consumed_seconds, resolution_met_at,
  resolution_breached_at, applied_at, applied_keys)
SELECT id, customer_id, 900, 0,
  CASE WHEN id % 10 <> 0 THEN acknowledged_at END,
  CASE WHEN id % 10 = 0 THEN acknowledged_at END,
  14400, 0,
  CASE WHEN id % 7 <> 0 THEN resolved_at END,
  CASE WHEN id % 7 = 0 THEN resolved_at END,
  opened_at, '[]'
FROM incidents WHERE acknowledged_at IS NOT NULL
"""


def add_sla_rows(url: str) -> None:
    app = build(_settings(url))
    try:
        with app.db.engine.begin() as conn:
            conn.execute(text("DELETE FROM incident_slas"))
            conn.execute(text(SLA_ROWS))
            conn.execute(text("ANALYZE"))
    finally:
        app.dispose()


def measure(url: str, rounds: int) -> dict[str, Any]:
    app = build(_settings(url))
    try:
        with app.db.read() as s:
            admin = system_principal(default_customer_id=default_customer(s).id, name="bench")
            count = s.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        figures: dict[str, dict[str, float]] = {}
        for name, report in REPORTS.items():
            figures[name] = {}
            for window, params in WINDOWS.items():
                if params.get("by") and "team" not in report.by:
                    continue
                app.reports.report(admin, name, params)  # warm-up
                samples = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    app.reports.report(admin, name, params)
                    samples.append(time.perf_counter() - started)
                figures[name][window] = round(statistics.median(samples) * 1000, 1)
                print(f"{name:15} {window:22} {figures[name][window]:8.1f} ms", flush=True)
    finally:
        app.dispose()
    return {"incidents": count, "ms": figures}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    urls = {"sqlite": [SQLITE_URL], "postgres": [POSTGRES_URL]}.get(
        args.db, [SQLITE_URL, POSTGRES_URL]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    for url in urls:
        if not (args.reuse and database_exists(url)):
            generate(url, incidents=args.incidents, seed=args.seed)
            add_sla_rows(url)
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "db": "sqlite" if is_sqlite(url) else "postgres",
            "machine": machine(POSTGRES_URL),
            **measure(url, args.rounds),
        }
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        out = RESULTS / f"{stamp}-reports-{result['db']}.json"
        out.write_text(json.dumps(result, indent=2))
        print(f"saved {out}")


if __name__ == "__main__":
    main()
