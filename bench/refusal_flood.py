"""How much a flood of refused requests from strangers grows the database.

    python bench/refusal_flood.py [--db sqlite|postgres] [--senders 16] [--seconds 15]

Starts a real `tocsin serve` on a fresh database and floods it, one scenario after the
other, from `--senders` concurrent clients on one address (127.0.0.1), none with an
account: sign-ins with a 1 MB e-mail address, API requests with a forged token to a 60 KB
path, and ingest requests with a forged integration key. Each scenario has a server of its
own, stopped before counting (so the summaries of refusals it only counted are written).
It prints the requests sent, the answers by status, and what the audit log and the
database files gained. Nothing is imported from Tocsin: the server is the `tocsin` command of the
interpreter running this script (set PYTHONPATH to measure another source tree).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg

HERE = Path(__file__).parent
RESULTS = HERE / "results"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
EMAIL_BYTES = 1_000_000  # under the 1 MB body limit with the rest of the form
PATH_BYTES = 60_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TOCSIN_DATABASE_URL": url,
        "TOCSIN_SECRET_KEY": "refusal-flood",
        "TOCSIN_LOG_LEVEL": "WARNING",
    }


def _tocsin(url: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "tocsin.cli.main", *args],
        env=_env(url),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tocsin.cli.main", "serve", "--port", str(port)],
        env=_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("tocsin serve did not come up")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


class Store:
    """Audit rows and bytes on disk, read straight from the database."""

    def __init__(self, url: str, path: Path | None) -> None:
        self.url, self.path = url, path

    def audit(self) -> tuple[int, int]:
        sql = (
            "SELECT count(*), coalesce(sum(length(actor) + length(CAST(data AS TEXT))), 0) "
            "FROM audit_log"
        )
        if self.path is not None:
            with sqlite3.connect(self.path) as connection:
                rows, size = connection.execute(sql).fetchone()
        else:
            with psycopg.connect(self.url) as connection:
                row = connection.execute(sql).fetchone()
                assert row is not None
                rows, size = row
        return int(rows), int(size)

    def disk(self) -> int:
        if self.path is not None:
            return sum(
                p.stat().st_size
                for p in self.path.parent.iterdir()
                if p.name.startswith(self.path.name)
            )
        with psycopg.connect(self.url) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            assert row is not None
            return int(row[0])


def _requests(kind: str, n: int) -> tuple[str, str, dict[str, Any]]:
    if kind == "sign-in, 1 MB e-mail":
        email = f"{n}-" + "a" * (EMAIL_BYTES - 20) + "@example.com"
        return "POST", "/login", {"data": {"email": email, "password": "not the password"}}
    if kind == "forged token, 60 KB path":
        path = f"/api/v1/incidents/{n}" + "x" * PATH_BYTES
        return "GET", path, {"headers": {"Authorization": "Bearer tcn_forged"}}
    return (
        "POST",
        "/api/v1/ingest/generic",
        {"headers": {"Authorization": "Bearer forged"}, "json": {"summary": "x" * 1000}},
    )


async def _flood(port: int, kind: str, senders: int, seconds: float) -> Counter[int]:
    statuses: Counter[int] = Counter()
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def sender(client: httpx.AsyncClient) -> None:
        while time.monotonic() < stop:
            method, path, extra = _requests(kind, next(counter))
            try:
                response = await client.request(method, path, **extra)
                statuses[response.status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1

    limits = httpx.Limits(max_connections=senders)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:
        await asyncio.gather(*(sender(client) for _ in range(senders)))
    return statuses


def _database(kind: str, folder: Path) -> tuple[str, Path | None, str | None]:
    if kind == "sqlite":
        path = folder / "flood.db"
        return f"sqlite:///{path}", path, None
    name = f"tocsin_flood_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", None, name


SCENARIOS = ("sign-in, 1 MB e-mail", "forged token, 60 KB path", "forged ingest key")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        url, path, pg_name = _database(args.db, Path(tmp))
        try:
            _tocsin(url, "db", "upgrade")
            store = Store(url, path)
            for scenario in SCENARIOS:
                # A server per scenario: stopping it writes the summaries of what it
                # only counted, so each scenario's figures are whole.
                port = _free_port()
                rows0, bytes0 = store.audit()
                disk0 = store.disk()
                server = _serve(url, port)
                try:
                    statuses = asyncio.run(_flood(port, scenario, args.senders, args.seconds))
                finally:
                    _stop(server)
                rows1, bytes1 = store.audit()
                results.append(
                    {
                        "scenario": scenario,
                        "requests": sum(statuses.values()),
                        "statuses": dict(sorted(statuses.items())),
                        "audit_rows": rows1 - rows0,
                        "audit_bytes": bytes1 - bytes0,
                        "disk_bytes": store.disk() - disk0,
                    }
                )
        finally:
            if pg_name is not None:
                with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    print(f"{args.db}, {args.senders} senders, {args.seconds:g} s per scenario")
    for r in results:
        print(
            f"  {r['scenario']:<26} {r['requests']:>7,} requests {r['statuses']}: "
            f"audit +{r['audit_rows']:,} rows, +{r['audit_bytes'] / 1e6:.2f} MB of text; "
            f"files +{r['disk_bytes'] / 1e6:.2f} MB"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"refusal_flood-{args.db}-{int(time.time())}.json"
    machine = {"python": platform.python_version(), "machine": platform.machine()}
    out.write_text(json.dumps({"machine": machine, "args": vars(args), "results": results}))


if __name__ == "__main__":
    main()
