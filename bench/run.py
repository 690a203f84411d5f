"""Benchmark the incident API against a big database on SQLite and/or PostgreSQL.

    python bench/run.py --db both --incidents 1000000          # generate, then measure
    python bench/run.py --db sqlite --reuse                    # measure an existing database

For each database: generate it (bench/generate.py) unless --reuse finds one, create an
admin user and API token through the domain services, start a real uvicorn server in a
separate process (engine disabled), warm up, then time with one keep-alive HTTP client:

  list    GET /api/v1/incidents?state=open&priority=1,2&team=<busiest team>  (first page, 25)
  create  POST /api/v1/incidents with a fixed body

Latencies are measured at the client (request sent -> response read), so they include
HTTP, JSON and the server's whole request path. Results go to bench/results/<stamp>-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import func, select

from generate import (
    POSTGRES_URL,
    SQLITE_URL,
    database_exists,
    generate,
    is_sqlite,
    pg_conninfo,
    sqlite_path,
)
from tocsin.auth.models import User
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.catalog.models import Service, Team
from tocsin.incidents.models import Incident
from tocsin.settings import Settings

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
BENCH_USER = "bench-admin@msp.example"
OPEN = ("new", "assigned", "in_progress", "on_hold")
TARGETS_MS = {"list": 50.0, "create": 10.0}


# machine ---------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _postgres_version(url: str) -> str | None:
    try:
        with psycopg.connect(pg_conninfo(url), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


def machine(pg_url: str) -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(pg_url),
    }


# setup -----------------------------------------------------------------------------------


def _settings(url: str) -> Settings:
    return Settings(
        database_url=url,
        engine_enabled=False,
        secret_key="tocsin-bench-secret",
        log_level="WARNING",
    )


def prepare(url: str) -> dict[str, Any]:
    """Admin user + token (through the services), the busiest team, a service for POST."""
    app = build(_settings(url))
    try:
        with app.db.read() as s:
            admin = system_principal(default_customer_id=default_customer(s).id, name="bench")
            exists = s.scalar(select(User.id).where(User.email == BENCH_USER)) is not None
            incidents = int(s.scalar(select(func.count()).select_from(Incident)) or 0)
            busy = s.execute(
                select(Team.slug, func.count())
                .join(Incident, Incident.team_id == Team.id)
                .where(Incident.state.in_(OPEN), Incident.priority <= 2)
                .group_by(Team.slug)
                .order_by(func.count().desc())
                .limit(1)
            ).one()
            team_open = int(
                s.scalar(
                    select(func.count())
                    .select_from(Incident)
                    .join(Team, Team.id == Incident.team_id)
                    .where(Team.slug == busy[0], Incident.state.in_(OPEN))
                )
                or 0
            )
            service = s.scalar(
                select(Service.slug)
                .join(Team, Team.id == Service.team_id)
                .where(Team.slug == busy[0])
                .order_by(Service.slug)
                .limit(1)
            )
        if not exists:
            app.auth.create_user(admin, UserIn(email=BENCH_USER, name="Bench", role=Role.ADMIN))
        token = app.auth.create_token(admin, email=BENCH_USER, name="bench").token
    finally:
        app.dispose()
    return {
        "token": token,
        "incidents": incidents,
        "team": str(busy[0]),
        "team_open": team_open,
        "team_open_p1_p2": int(busy[1]),
        "service": service,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(HERE / "server.py"), "--url", url, "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the server did not answer /healthz within 60 s")


# measuring -------------------------------------------------------------------------------


def timed(count: int, call: Callable[[], httpx.Response], expect: int) -> list[float]:
    """Milliseconds per request, sequential, each checked for the expected status."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        response = call()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise RuntimeError(f"{response.status_code}: {response.text[:500]}")
        samples.append(elapsed)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "n": len(samples),
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
    }


CREATE_BODY = {
    "title": "Checkout API latency above 2s",
    "description": "p95 latency of POST /checkout above 2 s for 10 minutes (synthetic monitor).",
    "impact": 2,
    "urgency": 2,
    "category": "Monitoring",
    "subcategory": "Latency",
}


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    setup = prepare(url)
    process, base = start_server(url)
    headers = {"Authorization": f"Bearer {setup['token']}"}
    list_params = {"state": "open", "priority": "1,2", "team": setup["team"]}
    body = {**CREATE_BODY, "service": setup["service"]}
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:

            def list_page() -> httpx.Response:
                return client.get("/api/v1/incidents", params=list_params)

            def create() -> httpx.Response:
                return client.post("/api/v1/incidents", json=body)

            def health() -> httpx.Response:
                return client.get("/healthz")

            first = list_page().json()
            timed(args.warmup, list_page, 200)
            timed(args.warmup, create, 201)
            timed(args.warmup, health, 200)
            load_before = os.getloadavg()[0]
            health_ms = timed(args.list_requests, health, 200)
            list_ms = timed(args.list_requests, list_page, 200)
            create_ms = timed(args.create_requests, create, 201)
            load_after = os.getloadavg()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "database": "sqlite" if is_sqlite(url) else "postgresql",
        "url": url.split("@")[-1],
        "incidents_at_start": setup["incidents"],
        "list": {
            "request": "GET /api/v1/incidents?"
            + "&".join(f"{k}={v}" for k, v in list_params.items()),
            "team_open_incidents": setup["team_open"],
            "matching_total": first["total"],
            "items_on_page": len(first["items"]),
            **summary(list_ms),
        },
        "create": {"request": "POST /api/v1/incidents", "body": body, **summary(create_ms)},
        # The floor under every request: HTTP, routing and middleware, no database.
        "healthz": {"request": "GET /healthz", **summary(health_ms)},
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }


# output ----------------------------------------------------------------------------------


def table(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}",
        "",
        f"{'database':<11} {'incidents':>10} {'measure':<7} {'n':>4} {'median':>8} "
        f"{'p95':>8} {'p99':>8} {'target':>7}  verdict",
    ]
    for result in results:
        for name in ("list", "create"):
            row = result[name]
            target = TARGETS_MS[name]
            verdict = "ok" if row["median_ms"] < target else "MISSED"
            lines.append(
                f"{result['database']:<11} {result['incidents_at_start']:>10,} {name:<7} "
                f"{row['n']:>4} {row['median_ms']:>6.2f}ms {row['p95_ms']:>6.2f}ms "
                f"{row['p99_ms']:>6.2f}ms {target:>5.0f}ms  {verdict}"
            )
        lines.append(
            f"{'':<11} list: team {result['list']['request'].rsplit('=', 1)[-1]}, "
            f"{result['list']['team_open_incidents']:,} open, "
            f"{result['list']['matching_total']:,} open P1/P2; GET /healthz median "
            f"{result['healthz']['median_ms']:.2f}ms; load average "
            f"{result['load_average'][0]} -> {result['load_average'][1]}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="use the existing database if any")
    parser.add_argument("--list-requests", type=int, default=200)
    parser.add_argument("--create-requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--label", default="", help="tag the results (e.g. the change tried)")
    args = parser.parse_args(argv)
    urls = {"sqlite": [args.sqlite_url], "postgres": [args.postgres_url]}.get(
        args.db, [args.sqlite_url, args.postgres_url]
    )
    info = machine(args.postgres_url)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{args.label}" if args.label else ""
    results = [run_one(url, args, info, measure, f"{stamp}-{{database}}{suffix}") for url in urls]
    print(table(results, info))


def run_one(
    url: str,
    args: argparse.Namespace,
    info: dict[str, Any],
    measure: Callable[[str, argparse.Namespace], dict[str, Any]],
    name: str,
) -> dict[str, Any]:
    """Generate the database unless --reuse finds it, measure it, and keep the result as
    bench/results/<name>.json (`{database}` in the name becomes sqlite or postgresql)."""
    generated = None
    if not (args.reuse and database_exists(url)):
        generated = round(generate(url, incidents=args.incidents, seed=args.seed), 1)
    result = {
        "label": args.label,
        "machine": info,
        "generated_seconds": generated,
        **measure(url, args),
    }
    if is_sqlite(url):
        result["sqlite_file_mib"] = round(sqlite_path(url).stat().st_size / 2**20)
    out = RESULTS / (name.format(database=result["database"]) + ".json")
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"wrote {out.relative_to(HERE.parent)}", flush=True)
    return result


if __name__ == "__main__":
    main()
