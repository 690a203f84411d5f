"""One writer at a time on a SQLite file, across the threads and processes of a server.

SQLite serialises writers itself, but a writer that finds the database locked sleeps in
its busy handler (1, 2, 5, 10 ms ...) and tries again, so two busy writers waste most of
their time asleep. Holding a lock of our own for the length of each unit of work makes
the next writer wait in the kernel instead, and wake the moment the lock is released:
a lock file next to the database (`flock`) between processes, a re-entrant lock between
the threads of one process. PostgreSQL needs none of this (row locks queue writers).

Between threads the lock is taken in turn (first come, first served): Python's own locks
let a thread that releases one take it straight back, so a writer in a tight loop kept
the checkpoint thread (db/checkpoint.py) from its pass under the lock for hundreds of
commits, and the write-ahead log grew meanwhile.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TurnLock:
    """A re-entrant lock that threads get in the order they asked for it."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self.depth = 0
        self._next_turn = 0
        self._serving = 0
        self._abandoned: set[int] = set()

    @property
    def waiting(self) -> int:
        """Threads waiting for their turn."""
        with self._changed:
            return (
                self._next_turn - self._serving - len(self._abandoned) - (self._owner is not None)
            )

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self.depth += 1
                return
            turn = self._next_turn
            self._next_turn += 1
            try:
                while self._owner is not None or turn != self._serving:
                    self._changed.wait()
            except BaseException:  # e.g. Ctrl-C while waiting: the turn must not be lost
                self._abandoned.add(turn)
                self._pass_abandoned()
                raise
            self._owner, self.depth = me, 1

    def __exit__(self, *_exc: object) -> None:
        with self._changed:
            self.depth -= 1
            if self.depth == 0:
                self._owner = None
                self._serving += 1
                self._pass_abandoned()

    def _pass_abandoned(self) -> None:
        """Skip the turns of threads that stopped waiting, and wake the waiters."""
        while self._owner is None and self._serving in self._abandoned:
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._changed.notify_all()


class WriteLock:
    """Held around every unit of work (re-entrant within a thread)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._turns = TurnLock()
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._turns:
            outermost = self._turns.depth == 1
            if outermost and self.path is not None:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if outermost and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._turns:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


class NoWriteLock(WriteLock):
    """PostgreSQL: concurrent writers are the database's business."""

    def __init__(self) -> None:
        super().__init__(None)

    @contextmanager
    def held(self) -> Iterator[None]:
        yield
