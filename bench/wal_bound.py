"""How far SQLite's write-ahead log grows under writes that never pause, with and without
the checkpoint thread's pass under the write lock.

    python bench/wal_bound.py [--writes 3000] [--rows 2] [--restart-frames 64] [--runs 3]

A passive checkpoint copies committed frames back but cannot make the log start over while
a writer keeps appending: the next writer rewinds only if every frame was copied when it
began. So Tocsin's checkpoint thread, once the log passes `restart_frames`, holds the write
lock for one more pass (`tocsin.db.checkpoint`), and threads take that lock in turn
(`tocsin.db.writelock.TurnLock`), so the thread gets it between two commits of a writer
that never pauses.

Each run makes a fresh SQLite database through Tocsin's own `Database` (1 KB pages, the
checkpoint thread, the turn lock), with the thread's pass every 2 ms, and writes `--writes`
transactions back to back, each of `--rows` rows of 3,000 random bytes. It prints the size
of the WAL file afterwards (the largest the log got: SQLite reuses the file from the top
when it rewinds, and only cuts it back past `journal_size_limit`), how many times the log
was made to rewind, and the time per transaction, for:

- "unbounded": `restart_frames` so high that the thread only ever makes passive passes
  (the log keeps every frame written);
- "bounded": `--restart-frames` frames, `--runs` times (a run in which the machine did not
  schedule the checkpoint thread for a while shows a larger log).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from tocsin.core.clock import FrozenClock
from tocsin.db.engine import build_engine
from tocsin.db.session import Database

UNBOUNDED = 10**9
ROW_BYTES = 3000


def one_run(path: Path, *, writes: int, rows: int, restart_frames: int) -> dict[str, float]:
    db = Database(build_engine(f"sqlite:///{path}"), FrozenClock(datetime(2026, 1, 1, tzinfo=UTC)))
    try:
        with db.unit_of_work() as uow:
            uow.session.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)"))
        checkpointer = db.checkpointer
        assert checkpointer is not None
        checkpointer.interval, checkpointer.restart_frames = 0.002, restart_frames
        insert = text(f"INSERT INTO t (body) VALUES (randomblob({ROW_BYTES}))")
        started = time.perf_counter()
        for _ in range(writes):
            with db.unit_of_work() as uow:
                for _ in range(rows):
                    uow.session.execute(insert)
        elapsed = time.perf_counter() - started
        wal = Path(f"{path}-wal")
        return {
            "wal_mb": (wal.stat().st_size if wal.exists() else 0) / 1e6,
            "rewinds": checkpointer.rewinds,
            "us_per_write": elapsed / writes * 1e6,
        }
    finally:
        db.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=3000, help="transactions (default 3000)")
    parser.add_argument("--rows", type=int, default=2, help="rows a transaction (default 2)")
    parser.add_argument(
        "--restart-frames",
        type=int,
        default=64,
        help="frames after which the log is made to rewind (default 64; Tocsin's is 32 MB)",
    )
    parser.add_argument("--runs", type=int, default=3, help="bounded runs (default 3)")
    args = parser.parse_args(argv)
    print(
        f"{args.writes} transactions of {args.rows} x {ROW_BYTES} bytes, back to back; "
        f"checkpoint pass every 2 ms"
    )
    print(f"{'setting':<28} {'WAL file':>10} {'rewinds':>8} {'per write':>10}")
    with tempfile.TemporaryDirectory(prefix="tocsin-wal-bound-") as folder:
        settings = [("unbounded", UNBOUNDED)] + [
            (f"bounded at {args.restart_frames} frames", args.restart_frames)
        ] * args.runs
        for number, (name, frames) in enumerate(settings):
            result = one_run(
                Path(folder) / f"run{number}.db",
                writes=args.writes,
                rows=args.rows,
                restart_frames=frames,
            )
            print(
                f"{name:<28} {result['wal_mb']:>7.2f} MB {result['rewinds']:>8.0f} "
                f"{result['us_per_write']:>7.0f} µs"
            )


if __name__ == "__main__":
    main()
