"""Open SMTP connections kept for the next message: opening one (TCP, EHLO, STARTTLS,
AUTH) costs several round trips, sending on an open one costs one exchange."""

from __future__ import annotations

import contextlib
import smtplib
import threading
import time
from collections.abc import Hashable

IDLE_SECONDS = 20.0  # mail servers close idle sessions after a minute or more (RFC 5321: 5)


class SmtpConnections:
    """Idle connections by server; each is used by one sending thread at a time."""

    def __init__(self, *, idle_seconds: float = IDLE_SECONDS, keep: int = 16) -> None:
        self._idle_seconds = idle_seconds
        self._keep = keep
        self._idle: dict[Hashable, list[tuple[float, smtplib.SMTP]]] = {}
        self._lock = threading.Lock()

    def take(self, server: Hashable) -> smtplib.SMTP | None:
        """An idle connection to `server` that has not been idle too long, or None."""
        now = time.monotonic()
        stale = []
        found = None
        with self._lock:
            idle = self._idle.get(server, [])
            while idle:
                since, client = idle.pop()
                if now - since < self._idle_seconds:
                    found = client
                    break
                stale.append(client)
        for client in stale:
            self.discard(client)
        return found

    def give_back(self, server: Hashable, client: smtplib.SMTP) -> None:
        with self._lock:
            idle = self._idle.setdefault(server, [])
            if len(idle) < self._keep:
                idle.append((time.monotonic(), client))
                return
        self.discard(client)

    @staticmethod
    def discard(client: smtplib.SMTP) -> None:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        with contextlib.suppress(OSError):
            client.close()

    def close(self) -> None:
        with self._lock:
            clients = [client for idle in self._idle.values() for _, client in idle]
            self._idle.clear()
        for client in clients:
            self.discard(client)
