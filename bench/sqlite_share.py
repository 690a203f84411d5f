"""SQLite's own share of an alert's write: the driver calls recorded, then replayed alone.

    python bench/sqlite_share.py --batch 8 --alerts 8000 [--payload alertmanager]

Writes `--alerts` new alerts through `AlertService.ingest` in batches of `--batch` (as
`pipeline.py` does) on a fresh SQLite database with `--history` alerts, recording every
statement the write sends to the driver cursor with its parameters. Then replays those
statements on a copy of the database as it was before the run, in the same transactions,
with nothing else around them: no parsing, no rows built, no audit hashing, no objects.
That is the part of the write no Python change can remove while the schema, the rows and
the indexes stay as they are. It prints both times per alert, and the replay's time by
statement and for the commits.

Like Tocsin, the replay runs with `synchronous=NORMAL`, foreign keys on, and passive
checkpoints on a second connection every 20 ms instead of checkpoints inside commits.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest import DATA, fresh_database, prepare
from pipeline import payloads
from tocsin.alerts.items import Item
from tocsin.bootstrap import build
from tocsin.db import raw as raw_module
from tocsin.integrations import registry
from tocsin.settings import Settings

# (True for executemany, the statement, its parameters) of one transaction
Call = tuple[bool, str, list[Any]]


class _RecordingCursor:
    """The driver cursor, with every statement noted in the log's last transaction while
    the log has one."""

    def __init__(self, cursor: Any, log: list[list[Call]]) -> None:
        self._cursor = cursor
        self._log = log

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._log:
            self._log[-1].append((False, sql, list(params)))
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Any:
        rows = [list(row) for row in rows]
        if self._log:
            self._log[-1].append((True, sql, rows))
        return self._cursor.executemany(sql, rows)

    def fetchall(self) -> Any:
        return self._cursor.fetchall()

    def fetchone(self) -> Any:
        return self._cursor.fetchone()


@contextmanager
def recording(log: list[list[Call]]) -> Iterator[None]:
    """Every `Raw` made inside writes through a recording cursor. (SQLite's writer keeps
    its `Raw` for the life of the app, so the app is built inside.)"""
    original = raw_module.Raw.__init__

    def init(self: raw_module.Raw, connection: Any) -> None:
        original(self, connection)
        self._cursor = _RecordingCursor(self._cursor, log)  # type: ignore[assignment]

    raw_module.Raw.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        raw_module.Raw.__init__ = original  # type: ignore[method-assign]


def replay(path: Path, transactions: list[list[Call]]) -> tuple[float, float, dict[str, float]]:
    """Run the recorded transactions on the database at `path`: (total seconds, seconds
    in COMMIT, seconds by statement)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        db.execute("PRAGMA " + pragma)
    db.execute("PRAGMA wal_autocheckpoint=0")
    stop = threading.Event()

    def checkpoints() -> None:
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        while not stop.wait(0.02):
            other.execute("PRAGMA wal_checkpoint(PASSIVE)")
        other.close()

    thread = threading.Thread(target=checkpoints)
    thread.start()
    cursor = db.cursor()
    by_statement: dict[str, float] = {}
    committing = 0.0
    started = time.perf_counter()
    try:
        for calls in transactions:
            cursor.execute("BEGIN IMMEDIATE")
            for many, sql, params in calls:
                before = time.perf_counter()
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params)
                    cursor.fetchall()
                name = " ".join(sql.split()[:4]).rstrip(",")
                by_statement[name] = by_statement.get(name, 0.0) + time.perf_counter() - before
            before = time.perf_counter()
            cursor.execute("COMMIT")
            committing += time.perf_counter() - before
        total = time.perf_counter() - started
    finally:
        stop.set()
        thread.join()
        db.close()
    return total, committing, by_statement


def write(
    args: argparse.Namespace,
    url: str,
    path: Path,
    keys: dict[str, str],
    transactions: list[list[Call]],
) -> tuple[float, list[Item], Path]:
    """The real write, recorded: (its seconds, the alerts, the database before it)."""
    app = build(Settings(database_url=url, secret_key="bench", engine_enabled=False))
    try:
        integration = app.integrations.by_key(keys[args.payload])
        assert integration is not None
        sender = registry.get(args.payload)
        now = datetime.now(UTC)

        def items(run: str, count: int) -> list[Item]:
            return [
                Item(integration, alert)
                for body in payloads(keys["pagerduty"], count, run, args.payload)
                for alert in sender.parse(
                    body, headers={}, received_at=now, config=integration.config.parser
                ).alerts
            ]

        app.alerts.ingest(items("warm", args.batch))  # caches, the first incident number
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = DATA / "sqlite-share-before.db"
        shutil.copy(path, before)
        run = items("run", args.alerts)
        started = time.perf_counter()
        for start in range(0, len(run), args.batch):
            transactions.append([])
            app.alerts.ingest(run[start : start + args.batch])
        return time.perf_counter() - started, run, before
    finally:
        app.dispose()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--payload", choices=("pagerduty", "alertmanager"), default="pagerduty")
    parser.add_argument("--alerts", type=int, default=8000)
    parser.add_argument("--history", type=int, default=20_000, help="alerts already stored")
    args = parser.parse_args(argv)
    url = fresh_database("sqlite")
    path = Path(url.removeprefix("sqlite:///"))
    keys = prepare(url, history=args.history)
    transactions: list[list[Call]] = []
    with recording(transactions):
        real, run, before = write(args, url, path, keys, transactions)
    copy = DATA / "sqlite-share-replay.db"
    for suffix in ("-wal", "-shm"):
        Path(str(copy) + suffix).unlink(missing_ok=True)
    shutil.copy(before, copy)
    alone, committing, by_statement = replay(copy, transactions)
    n = len(run)
    calls = sum(len(t) for t in transactions) / len(transactions)
    print(
        f"sqlite, {args.payload}, batch {args.batch}: the write {real / n * 1e6:.1f} µs an "
        f"alert; SQLite alone (replayed) {alone / n * 1e6:.1f} µs ({alone / real:.0%}), "
        f"of it COMMIT {committing / n * 1e6:.1f} µs; {calls:.1f} statements a batch"
    )
    for name, seconds in sorted(by_statement.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / n * 1e6:7.1f} µs  {name}")


if __name__ == "__main__":
    main()
