"""One writer at a time on a SQLite file, across the threads and processes of a server.

SQLite serialises writers itself, but a writer that finds the database locked sleeps in
its busy handler (1, 2, 5, 10 ms ...) and tries again, so two busy writers waste most of
their time asleep. Holding a lock of our own for the length of each unit of work makes
the next writer wait in the kernel instead, and wake the moment the lock is released:
a lock file next to the database (`flock`) between processes, a re-entrant lock between
the threads of one process. PostgreSQL needs none of this (row locks queue writers).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteLock:
    """Held around every unit of work (re-entrant within a thread)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            self._depth += 1
            try:
                if self._depth == 1 and self.path is not None:
                    if self._fd is None:
                        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    if self._depth == 1 and self._fd is not None:
                        fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                self._depth -= 1

    def close(self) -> None:
        with self._thread_lock:
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
