"""PostgreSQL LISTEN: another process's commit wakes this process's live bus at once.

The connection is taken from the engine (its URL and driver settings) and detached from
the pool: it stays in LISTEN for the life of the bus and would be useless to anyone else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger("tocsin.live")

CHANNEL = "tocsin_live"
_WAIT_SECONDS = 1.0  # how long one wait for notifications lasts (how soon `stop` is seen)
_RETRY_SECONDS = 5.0


class Listener:
    def __init__(self, engine: Engine, *, on_notify: Callable[[], None]) -> None:
        self.engine = engine
        self.on_notify = on_notify
        self._stop = threading.Event()
        self.listening = threading.Event()  # set once LISTEN took effect (tests wait on it)
        self._thread = threading.Thread(target=self._run, name="tocsin-live-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=_WAIT_SECONDS * 3)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:
                log.exception("listening for live changes failed; polling meanwhile")
                # polling covers the wait; a woken bus reads once more, harmlessly
                self.on_notify()
                self._stop.wait(_RETRY_SECONDS)

    def _listen(self) -> None:
        pooled = self.engine.raw_connection()
        connection: Any = pooled.driver_connection  # (the record is gone once detached)
        pooled.detach()
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            while not self._stop.is_set():
                for _ in connection.notifies(timeout=_WAIT_SECONDS):
                    self.on_notify()
        finally:
            self.listening.clear()
            pooled.close()
