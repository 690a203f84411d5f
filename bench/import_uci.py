"""Time the ServiceNow import of the UCI event log on SQLite and PostgreSQL, and compare
the database's figures (read with the shared definitions) with bench/uci_reference.py's.

    .venv/bin/python bench/import_uci.py [--file F] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import func, select

from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.incidents.models import Incident
from tocsin.settings import Settings
from tocsin.sla.models import IncidentSla

sys.path.insert(0, str(Path(__file__).parent))
from uci_reference import DEFAULT, reference, stats

HERE = Path(__file__).parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_NAME = "tocsin_import_bench"


def _url(backend: str) -> str:
    if backend == "sqlite":
        path = HERE / "data" / "import_uci.db"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-writelock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    return f"postgresql://postgres@127.0.0.1:5432/{PG_NAME}"


def figures(app: Any) -> dict[str, Any]:
    """The imported incidents' figures, read straight from the tables."""
    with app.db.read() as s:
        rows = s.execute(
            select(
                Incident.opened_at,
                Incident.acknowledged_at,
                Incident.resolved_at,
                Incident.reopen_count,
                Incident.priority,
            )
        ).all()
        met = s.scalar(
            select(func.count())
            .select_from(IncidentSla)
            .where(
                IncidentSla.resolution_met_at.is_not(None),
                IncidentSla.resolution_breached_at.is_(None),
            )
        )
        breached = s.scalar(
            select(func.count())
            .select_from(IncidentSla)
            .where(IncidentSla.resolution_breached_at.is_not(None))
        )
    resolved = [r for r in rows if r.resolved_at is not None]
    reopened = sum(1 for r in resolved if r.reopen_count > 0)
    by_priority: dict[str, int] = {}
    for r in rows:
        by_priority[str(r.priority)] = by_priority.get(str(r.priority), 0) + 1
    return {
        "incidents": len(rows),
        "mtta": stats(
            [(r.acknowledged_at - r.opened_at).total_seconds() for r in rows if r.acknowledged_at]
        ),
        "mttr": stats([(r.resolved_at - r.opened_at).total_seconds() for r in resolved]),
        "resolution_sla": {
            "met": met,
            "breached": breached,
            "compliance": round(met / (met + breached), 6)
            if (met or 0) + (breached or 0)
            else None,
        },
        "resolved": len(resolved),
        "reopened": reopened,
        "reopen_rate": round(reopened / len(resolved), 6) if resolved else None,
        "by_priority": dict(sorted(by_priority.items())),
    }


def run(backend: str, path: Path, expected: dict[str, Any]) -> dict[str, Any]:
    settings = Settings(
        database_url=_url(backend), secret_key="bench", engine_enabled=False, log_format="text"
    )
    app = build(settings)
    try:
        app.migrate()
        with app.db.read() as s:
            admin = system_principal(default_customer_id=default_customer(s).id)
        started = time.perf_counter()
        first = app.imports.run(admin, path)
        import_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = app.imports.run(admin, path)
        again_seconds = time.perf_counter() - started
        got = figures(app)
    finally:
        app.dispose()
    differences = {
        key: {"database": got[key], "reference": expected[key]}
        for key in got
        if got[key] != expected[key]
    }
    return {
        "backend": backend,
        "import_seconds": round(import_seconds, 2),
        "second_import_seconds": round(again_seconds, 2),
        "created": first.created,
        "second_import_created": again.created,
        "second_import_already_present": again.already_present,
        "skipped": dict(first.skipped),
        "figures": got,
        "matches_reference": not differences,
        "differences": differences,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    expected = reference(args.file, ZoneInfo("UTC"))
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [run(b, args.file, expected) for b in backends]
    out = {"reference": expected, "runs": results}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"import_uci_{int(time.time())}.json").write_text(json.dumps(out, indent=2))
    json.dump(out, sys.stdout, indent=2, default=str)
    print()
    return 0 if all(r["matches_reference"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
