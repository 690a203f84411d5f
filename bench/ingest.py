"""Alert ingestion benchmark: sustained throughput and latency through the full path.

    python bench/ingest.py --db both            # SQLite (8 senders) and PostgreSQL (32)

For each database: a fresh, migrated database with a PagerDuty and an Alertmanager
integration; Tocsin under uvicorn (uvloop + httptools) on 127.0.0.1; then
1. the yardstick: a minimal ASGI app that only parses the JSON (bench/minimal_app.py), same
   server stack, same load generator, same run;
2. throughput: wrk (bench/ingest_payloads.lua) with N connections, every request a new
   alert (unique dedup key), so each one goes through parse, dedup, incident, timeline,
   hash-chained audit, commit before the answer; alerts per second counted in the database;
3. latency at a fixed offered rate (default 1,000 alerts/s): an open-loop generator that
   sends on a fixed schedule and measures from the scheduled send time (no coordinated
   omission), p50 / p99.
Results go to bench/results/<timestamp>-ingest-<db>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

from tocsin.alerts.items import Item
from tocsin.alerts.models import Alert
from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import Tocsin, build
from tocsin.integrations import registry
from tocsin.integrations.base import NormalizedAlert
from tocsin.settings import Settings

HERE = Path(__file__).parent
RESULTS = HERE / "results"
DATA = HERE / "data"
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tocsin_ingest_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_database(db: str) -> str:
    if db == "sqlite":
        DATA.mkdir(exist_ok=True)
        path = DATA / "ingest-bench.db"
        for suffix in ("", "-wal", "-shm", ".secret"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS tocsin_ingest_bench WITH (FORCE)")
        conn.execute("CREATE DATABASE tocsin_ingest_bench")
    return PG_URL


def pagerduty_body(key: str, dedup_key: str, action: str = "trigger") -> bytes:
    return json.dumps(
        {
            "routing_key": key,
            "event_action": action,
            "dedup_key": dedup_key,
            "payload": {
                "summary": f"Disk full on {dedup_key}",
                "source": "h",
                "severity": "warning",
            },
        }
    ).encode()


def alertmanager_body(run: str, i: int, action: str = "trigger") -> bytes:
    """One alert per webhook, its own group (as bench/ingest_payloads.lua sends)."""
    status = "firing" if action == "trigger" else "resolved"
    host = f"host-{i % 50}:9100"
    return json.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="HighCPU",n="{run}-{i}"}}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "tocsin",
            "groupLabels": {"alertname": "HighCPU"},
            "commonLabels": {"alertname": "HighCPU", "severity": "warning"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "alerts": [
                {
                    "status": status,
                    "labels": {
                        "alertname": "HighCPU",
                        "instance": host,
                        "job": "node",
                        "severity": "warning",
                    },
                    "annotations": {"summary": f"CPU above 95% on {host}"},
                    "startsAt": "2026-11-28T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph",
                    "fingerprint": f"{run}{i:016x}",
                }
            ],
        }
    ).encode()


def seed(app: Tocsin, kind: str, key: str, count: int) -> None:
    """`count` alerts of one integration through the real pipeline, a tenth resolved."""
    integration = app.integrations.by_key(key)
    assert integration is not None
    parser = registry.get(kind)
    now = datetime.now(UTC)

    def alert(n: int, action: str) -> NormalizedAlert:
        if kind == "pagerduty":
            body = pagerduty_body(key, f"history-{n}", action)
        else:
            body = alertmanager_body("history", n, action)
        parsed = parser.parse(body, headers={}, received_at=now, config=integration.config.parser)
        return parsed.alerts[0]

    for action, upto in (("trigger", count), ("resolve", count // 10)):
        for start in range(0, upto, 500):
            batch = range(start, min(upto, start + 500))
            app.alerts.ingest([Item(integration, alert(n, action)) for n in batch])


def prepare(url: str, *, history: int = 0) -> dict[str, str]:
    """Migrate, create the integrations, and give the database `history` alerts (their
    incidents, timelines and audit entries) written through the real pipeline, a tenth of
    them resolved, then ANALYZE: the state of a system that has been running for a while
    (a fresh table's planner statistics say "empty" until autovacuum's first pass)."""
    app = build(Settings(database_url=url, secret_key="bench", engine_enabled=False))
    try:
        app.migrate()
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        keys = {
            kind: app.integrations.create(admin, IntegrationIn(type=kind, name=f"bench-{kind}")).key
            for kind in ("pagerduty", "alertmanager")
        }
        for kind in ("pagerduty", "alertmanager"):
            seed(app, kind, keys[kind], history // 2)
        with app.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
        return keys
    finally:
        app.dispose()


def wait_ready(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if sock.recv(64):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not come up")


def start(
    kind: str,
    url: str,
    port: int,
    workers: int = 1,
    floor_key: str = "",
    source: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server; `source` (a checkout of another version) serves Tocsin from its own
    src/ instead of this one's."""
    env = {
        **os.environ,
        **({"PYTHONPATH": str(source / "src")} if source else {}),
        "TOCSIN_WEB_WORKERS": str(workers),
        "TOCSIN_DATABASE_URL": url,
        "TOCSIN_SECRET_KEY": "bench",
        "TOCSIN_ENGINE_ENABLED": "false",
        "TOCSIN_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    if kind in ("minimal", "floor"):
        env["FLOOR_DB"] = str(DATA / "floor-bench.db")
        env["FLOOR_KEY"] = floor_key
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(HERE),
            f"{kind}_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(workers),
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "tocsin.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_ready(port, "/healthz")
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def wrk(port: int, *, payload: str, key: str, connections: int, seconds: int) -> dict[str, Any]:
    env = {**os.environ, "PAYLOAD": payload, "KEY": key, "RUN": uuid.uuid4().hex[:8]}
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            str(HERE / "ingest_payloads.lua"),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    return {
        "requests_per_s": rps,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
    }


def count_alerts(url: str) -> int:
    app = build(Settings(database_url=url, secret_key="bench", engine_enabled=False))
    try:
        with app.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Alert)) or 0)
    finally:
        app.dispose()


async def open_loop(
    port: int, key: str, *, rate: int, seconds: int, connections: int = 16
) -> dict[str, float]:
    """Send PagerDuty events on a fixed schedule; latency from the scheduled time."""
    total = rate * seconds
    start = time.perf_counter() + 0.2
    slots: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        slots.put_nowait(n)
    latencies: list[float] = []
    failures = 0
    run = uuid.uuid4().hex[:8]

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while True:
            try:
                n = slots.get_nowait()
            except asyncio.QueueEmpty:
                break
            due = start + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body = json.dumps(
                {
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": f"ol-{run}-{n}",
                    "payload": {
                        "summary": f"Disk full on host-{n % 50}",
                        "source": f"host-{n % 50}",
                        "severity": "warning",
                    },
                }
            ).encode()
            writer.write(
                b"POST /v2/enqueue HTTP/1.1\r\nHost: bench\r\nContent-Type: "
                b"application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 202"):
                failures += 1
            latencies.append(time.perf_counter() - due)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    latencies.sort()
    return {
        "offered_per_s": rate,
        "sent": len(latencies),
        "failures": failures,
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
    }


def bench(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """The yardstick and Tocsin run side by side, and the runs alternate (yardstick,
    PagerDuty, Alertmanager) for `--rounds` rounds: on a shared VM the machine's speed
    drifts by 10-20% within minutes, and a ratio taken from runs minutes apart would
    measure the drift. Each figure is the median of its rounds."""
    connections = args.connections or (8 if db == "sqlite" else 32)
    url = fresh_database(db)
    keys = prepare(url, history=args.history)
    result: dict[str, Any] = {
        "db": db,
        "connections": connections,
        "workers": args.workers,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "history": args.history,
    }
    minimal_port, tocsin_port = free_port(), free_port()
    minimal = start("minimal", url, minimal_port, args.workers)
    server = start("tocsin", url, tocsin_port, args.workers)
    baseline = None
    if args.baseline:
        baseline_port = free_port()
        baseline = start("tocsin", url, baseline_port, args.workers, source=args.baseline)
    floor = None
    if args.floor:
        for old in DATA.glob("floor-bench.db*"):
            old.unlink()
        floor_port = free_port()
        floor = start("floor", url, floor_port, 1, floor_key=keys["pagerduty"])
    runs: dict[str, list[dict[str, Any]]] = {
        "minimal_app": [],
        **{p: [] for p in PAYLOADS},
        **({f"floor_{p}": [] for p in PAYLOADS} if floor else {}),
        **({f"baseline_{p}": [] for p in PAYLOADS} if baseline else {}),
    }
    try:
        wrk(minimal_port, payload="pagerduty", key="", connections=connections, seconds=2)
        wrk(
            tocsin_port,
            payload="pagerduty",
            key=keys["pagerduty"],
            connections=connections,
            seconds=2,
        )
        for _ in range(args.rounds):
            runs["minimal_app"].append(
                wrk(
                    minimal_port,
                    payload="pagerduty",
                    key=keys["pagerduty"],
                    connections=connections,
                    seconds=args.seconds,
                )
            )
            for payload in PAYLOADS if floor else ():
                runs[f"floor_{payload}"].append(
                    wrk(
                        floor_port,
                        payload=payload,
                        key=keys["pagerduty"],
                        connections=connections,
                        seconds=args.seconds,
                    )
                )
            for payload in PAYLOADS:
                if baseline:  # alternating with this version, so both see the same machine
                    runs[f"baseline_{payload}"].append(
                        measure(
                            url, baseline_port, payload, keys[payload], connections, args.seconds
                        )
                    )
                runs[payload].append(
                    measure(url, tocsin_port, payload, keys[payload], connections, args.seconds)
                )
        stop(minimal)
        if floor:
            stop(floor)
        settle(url)
        if baseline:
            settle(url)
            result["baseline_latency_at_rate"] = asyncio.run(
                open_loop(
                    baseline_port, keys["pagerduty"], rate=args.rate, seconds=args.latency_seconds
                )
            )
            settle(url)
        result["latency_at_rate"] = asyncio.run(
            open_loop(tocsin_port, keys["pagerduty"], rate=args.rate, seconds=args.latency_seconds)
        )
    finally:
        if baseline:
            stop(baseline)
        stop(minimal)
        stop(server)
        if floor:
            stop(floor)
    result["minimal_app"] = median_run(runs["minimal_app"], "requests_per_s")
    for payload in PAYLOADS:
        result[payload] = median_run(runs[payload], "alerts_per_s")
        result[payload]["ratio_to_minimal"] = round(
            result[payload]["requests_per_s"] / result["minimal_app"]["requests_per_s"], 3
        )
    for payload in PAYLOADS if baseline else ():
        result[f"baseline_{payload}"] = median_run(runs[f"baseline_{payload}"], "alerts_per_s")
    for payload in PAYLOADS if floor else ():
        kept = median_run(runs[f"floor_{payload}"], "requests_per_s")
        kept["ratio_to_minimal"] = round(
            kept["requests_per_s"] / result["minimal_app"]["requests_per_s"], 3
        )
        result[f"floor_{payload}"] = kept
    return result


PAYLOADS = ("pagerduty", "alertmanager")


def measure(
    url: str, port: int, payload: str, key: str, connections: int, seconds: int
) -> dict[str, Any]:
    """One wrk run against Tocsin; alerts/s as counted in the database."""
    before = count_alerts(url)
    started = time.perf_counter()
    measured = wrk(port, payload=payload, key=key, connections=connections, seconds=seconds)
    elapsed = time.perf_counter() - started
    stored = count_alerts(url) - before
    measured["alerts_stored"] = stored
    measured["alerts_per_s"] = round(stored / elapsed, 1)
    return measured


def median_run(runs: list[dict[str, Any]], by: str) -> dict[str, Any]:
    """The run with the median `by` (the lower middle one of an even count), with every
    round's figure beside it."""
    ordered = sorted(runs, key=lambda r: r[by])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["rounds"] = [r[by] for r in runs]
    chosen["requests_per_s_rounds"] = [r["requests_per_s"] for r in runs]
    chosen["p99_rounds"] = [r["p99"] for r in runs]
    return chosen


def settle(url: str) -> None:
    """Before the latency run, PostgreSQL writes out what the throughput runs left in its
    WAL (CHECKPOINT): the run then measures a steady 1,000 alerts/s, not the checkpoint
    that 60,000 alerts at full speed set off (which put 70 ms into p99 with two workers).
    SQLite's WAL is copied back by Tocsin's own thread, as at any other time."""
    if url == PG_URL:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("CHECKPOINT")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=int, default=10, help="per run (default 10)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternating rounds, medians kept (default 3)"
    )
    parser.add_argument(
        "--connections", type=int, default=0, help="default: 8 for SQLite, 32 for PostgreSQL"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="web worker processes (tocsin serve --workers), for Tocsin and the yardstick "
        "alike (default 1, as tocsin serve)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=20_000,
        help="alerts already in the database (default 20,000)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also run bench/floor_app.py (the leanest group-commit design) in each round; "
        "SQLite only",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of another version (e.g. `git worktree add /tmp/base main~5`): its "
        "Tocsin is measured in the same rounds, alternating with this one, on the same database",
    )
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--latency-seconds", type=int, default=10)
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        result = bench(db, args)
        result["machine"] = {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "load_average": os.getloadavg(),
        }
        (RESULTS / f"{stamp}-ingest-{db}.json").write_text(json.dumps(result, indent=2))
        minimal = result["minimal_app"]["requests_per_s"]
        print(
            f"\n{db}: {result['connections']} connections, {args.workers} worker process(es), "
            f"{args.rounds} rounds of {args.seconds} s, medians; "
            f"minimal ASGI app {minimal:,.0f} req/s "
            f"(rounds: {', '.join(f'{x:,.0f}' for x in result['minimal_app']['rounds'])})"
        )
        for payload in ("pagerduty", "alertmanager"):
            r = result[payload]
            print(
                f"  {payload:<13} {r['alerts_per_s']:>8,.0f} alerts/s stored  "
                f"({r['requests_per_s']:,.0f} req/s, p50 {r['p50']}, p99 {r['p99']}, "
                f"non-2xx {r['non_2xx']}, ratio {r['ratio_to_minimal']}; "
                f"rounds: {', '.join(f'{x:,.0f}' for x in r['rounds'])})"
            )
        for payload in PAYLOADS:
            f = result.get(f"floor_{payload}")
            if f:
                print(
                    f"  floor_app {payload:<13} {f['requests_per_s']:>6,.0f} req/s  "
                    f"(p99 {f['p99']}, ratio {f['ratio_to_minimal']}; "
                    f"rounds: {', '.join(f'{x:,.0f}' for x in f['rounds'])})"
                )
        for payload in PAYLOADS if args.baseline else ():
            b, r = result[f"baseline_{payload}"], result[payload]
            print(
                f"  baseline {payload:<13} {b['alerts_per_s']:>8,.0f} alerts/s stored  "
                f"(p99 {b['p99']}; this version / baseline: "
                f"{r['alerts_per_s'] / b['alerts_per_s']:.3f}; "
                f"rounds: {', '.join(f'{x:,.0f}' for x in b['rounds'])})"
            )
        if args.baseline:
            lat = result["baseline_latency_at_rate"]
            print(
                f"  baseline at {lat['offered_per_s']:,} alerts/s offered: p50 {lat['p50_ms']} "
                f"ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms, failures {lat['failures']}"
            )
        lat = result["latency_at_rate"]
        print(
            f"  at {lat['offered_per_s']:,} alerts/s offered: p50 {lat['p50_ms']} ms, "
            f"p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms, failures {lat['failures']}"
        )


if __name__ == "__main__":
    main()
