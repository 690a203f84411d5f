"""SQLite: the write-ahead log is copied back into the database file by a thread of its own.

SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages:
that writer copies every page back itself, with the loop that answers HTTP requests
waiting for it, and on the ingest path that is a large share of an alert's time. So
writers here never checkpoint (`wal_autocheckpoint=0`) and this
thread does, with passive checkpoints. Those never block a writer, and the sqlite3 module
releases the GIL while one runs, so the copying happens on another core.

A passive checkpoint cannot rewind the WAL while writers keep appending to it: the next
writer starts the log over from the top only if every frame was copied back when it
began. Under sustained load that moment may never come, so when the log passes
`restart_frames` the thread holds the write lock for one more passive pass (only what was
written since its last pass, a few milliseconds' worth) and the next writer rewinds.

Writers wait for that pass, which ends with the database file's sync, so a log that
rewinds less often costs less; hence a log allowed to reach 32 MB (32,768 frames of
1 KB) rather than SQLite's usual thousand pages. The size is set in bytes, so a file with
larger pages does not let its log grow past the size the operator guide gives.

The thread sleeps between passes, exits after `idle_after` seconds without a commit, and
the next commit starts it again: an idle server spends nothing on it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from tocsin.db.writelock import WriteLock

log = logging.getLogger("tocsin.db")
# How much the write-ahead log holds before it is made to start over (see the module).
WAL_RESTART_BYTES = 32 * 1024 * 1024


class WalCheckpointer:
    """Copies committed WAL frames into the database file, off the writers' threads."""

    def __init__(
        self,
        path: str,
        write_lock: WriteLock,
        *,
        interval: float = 0.02,
        restart_frames: int | None = None,
        idle_after: float = 2.0,
    ) -> None:
        self.path = path
        self.write_lock = write_lock
        self.interval = interval
        # None: WAL_RESTART_BYTES in the file's pages, read on the first pass
        self.restart_frames = restart_frames
        self.idle_after = idle_after
        self.passes = 0
        self.rewinds = 0
        self._lock = threading.Lock()
        self._wrote = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def committed(self) -> None:
        """Called after every commit: the thread runs while there is something to copy."""
        with self._lock:
            self._wrote = True
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="tocsin-wal-checkpoint", daemon=True
                )
                self._thread.start()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None

    def stop(self) -> None:
        """Stop the thread after its current pass (the last connection to close copies the rest)."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error:
            log.exception("cannot open %s to checkpoint it (copied back on close)", self.path)
            with self._lock:
                self._thread = None
            return
        try:
            self._loop(connection)
        finally:
            connection.close()

    def _loop(self, connection: sqlite3.Connection) -> None:
        idle_passes = 0
        while not self._stop.wait(self.interval):
            with self._lock:
                wrote, self._wrote = self._wrote, False
                if not wrote:
                    idle_passes += 1
                    if idle_passes * self.interval >= self.idle_after:
                        self._thread = None  # the next commit starts a new thread
                        return
            if wrote:
                idle_passes = 0
            try:
                self.step(connection)
            except sqlite3.Error:
                log.exception("WAL checkpoint of %s failed; retrying", self.path)

    def step(self, connection: sqlite3.Connection) -> None:
        """One pass: copy what is committed; past `restart_frames`, let the log rewind."""
        if self.restart_frames is None:
            (page_size,) = connection.execute("PRAGMA page_size").fetchone()
            self.restart_frames = max(1, WAL_RESTART_BYTES // int(page_size))
        if self._checkpoint(connection) >= self.restart_frames:
            with self.write_lock.held():
                self._checkpoint(connection)
            self.rewinds += 1

    def _checkpoint(self, connection: sqlite3.Connection) -> int:
        """One passive pass; returns the number of frames in the log."""
        row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.passes += 1
        return int(row[1]) if row else 0
