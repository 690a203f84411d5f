"""Benchmark the web console's busiest pages on a 100,000-incident database, over HTTP.

    python bench/console.py --db both                 # generate, then measure
    python bench/console.py --db sqlite --reuse       # measure the database already there

For each database: generate it (bench/generate.py, its own file / database so the API
benchmark's million-incident one is left alone) unless --reuse finds one, create a
provider administrator with a password through the domain services, start the real
uvicorn server (bench/server.py), sign in through the /login form like a browser, then
time each page sequentially from one keep-alive client with the session cookie:

  queue        GET /                                 the open queue, first page (50)
  queue-p1p2   GET /?state=open&priority=1,2
  queue-search GET /?q=<word>                        a word of many titles
  dashboard    GET /dashboard
  chart-open   GET /dashboard/charts/open.svg
  chart-trend  GET /dashboard/charts/timing.svg

Latencies are measured at the client (request sent -> response read). Results go to
bench/results/<stamp>-console-<db>.json.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from generate import DATA as DATA_DIR
from generate import is_sqlite
from run import RESULTS, machine, run_one, start_server, summary, timed
from tocsin.auth.models import User
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.incidents.models import Incident
from tocsin.settings import Settings

SQLITE_URL = f"sqlite:///{DATA_DIR / 'tocsin-console.db'}"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tocsin_console_bench"
USER = "console-bench@msp.example"
PASSWORD = "console bench password 1"
SEARCH_WORD = "latency"
TARGET_MS = 150.0
TARGETED = ("queue", "queue-p1p2", "queue-search", "dashboard")
PAGES = {
    "queue": "/",
    "queue-p1p2": "/?state=open&priority=1,2",
    "queue-search": f"/?q={SEARCH_WORD}",
    "dashboard": "/dashboard",
    "chart-open": "/dashboard/charts/open.svg",
    "chart-trend": "/dashboard/charts/timing.svg",
}


def prepare(url: str) -> dict[str, Any]:
    """The bench user (a provider administrator: sees every customer, the widest queries)."""
    settings = Settings(database_url=url, engine_enabled=False, secret_key="tocsin-bench-secret")
    app = build(settings)
    try:
        with app.db.read() as s:
            admin = system_principal(default_customer_id=default_customer(s).id, name="bench")
            exists = s.scalar(select(User.id).where(User.email == USER)) is not None
            incidents = int(s.scalar(select(func.count()).select_from(Incident)) or 0)
            matching = int(
                s.scalar(
                    select(func.count())
                    .select_from(Incident)
                    .where(func.lower(Incident.title).like(f"%{SEARCH_WORD}%"))
                )
                or 0
            )
        if not exists:
            app.auth.create_user(
                admin, UserIn(email=USER, name="Console bench", role=Role.ADMIN, password=PASSWORD)
            )
    finally:
        app.dispose()
    return {"incidents": incidents, "titles_with_search_word": matching}


def sign_in(client: httpx.Client) -> None:
    r = client.post("/login", data={"email": USER, "password": PASSWORD})
    if r.status_code != 303 or "/login" in r.headers.get("location", "/login"):
        raise RuntimeError(f"sign-in failed: {r.status_code} {r.headers.get('location')}")


def measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    setup = prepare(url)
    process, base = start_server(url)
    results: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
            sign_in(client)
            load_before = os.getloadavg()[0]
            for name, path in PAGES.items():

                def get(path: str = path) -> httpx.Response:
                    return client.get(path)

                timed(args.warmup, get, 200)
                results[name] = {"request": f"GET {path}", **summary(timed(args.n, get, 200))}
            load_after = os.getloadavg()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {
        "database": "sqlite" if is_sqlite(url) else "postgresql",
        "url": url.split("@")[-1],
        "incidents_at_start": setup["incidents"],
        "titles_with_search_word": setup["titles_with_search_word"],
        "pages": results,
        "load_average": [round(load_before, 2), round(load_after, 2)],
    }


def table(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql']}",
        "",
        f"{'database':<11} {'incidents':>10} {'page':<13} {'n':>4} {'median':>9} {'p95':>9}"
        f" {'target':>7}  verdict",
    ]
    for result in results:
        for name, row in result["pages"].items():
            targeted = name in TARGETED
            verdict = ("ok" if row["median_ms"] < TARGET_MS else "MISSED") if targeted else ""
            target = f"{TARGET_MS:>5.0f}ms" if targeted else f"{'':>7}"
            lines.append(
                f"{result['database']:<11} {result['incidents_at_start']:>10,} {name:<13} "
                f"{row['n']:>4} {row['median_ms']:>7.2f}ms {row['p95_ms']:>7.2f}ms "
                f"{target}  {verdict}"
            )
        lines.append(
            f"{'':<11} load average {result['load_average'][0]} -> {result['load_average'][1]}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--sqlite-url", default=SQLITE_URL)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="use the existing database if any")
    parser.add_argument("--n", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--label", default="", help="tag the results (e.g. the change tried)")
    args = parser.parse_args(argv)
    urls = {"sqlite": [args.sqlite_url], "postgres": [args.postgres_url]}.get(
        args.db, [args.sqlite_url, args.postgres_url]
    )
    # the server's version, asked of its maintenance database (the bench one may not exist yet)
    info = machine(args.postgres_url.rsplit("/", 1)[0] + "/postgres")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{args.label}" if args.label else ""
    results = [
        run_one(url, args, info, measure, f"{stamp}-console-{{database}}{suffix}") for url in urls
    ]
    print(table(results, info))


if __name__ == "__main__":
    main()
