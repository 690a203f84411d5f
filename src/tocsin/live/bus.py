"""The per-process live bus: one poller thread learns what changed and hands it to every
subscriber (an open event stream) of this process, on the subscriber's own event loop.

It wakes at once when this process commits an event (`Database.after_commit`), when
another process does on PostgreSQL (LISTEN / NOTIFY, see `listen`), and otherwise every
`live_poll_seconds` (another process on SQLite; alert repeats, which record no event).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

from tocsin.core.events import DomainEvent
from tocsin.db.raw import Raw
from tocsin.db.session import Database
from tocsin.live.changes import Audience, Batch, Change, Mailbox, visible_to
from tocsin.live.listen import CHANNEL, Listener
from tocsin.live.sources import AlertMark, OutboxTail, alert_changes, alert_mark, latest_outbox_id

log = logging.getLogger("tocsin.live")

MAILBOX_LIMIT = 200  # changes a subscriber may have waiting before it must resync
_WAKING_TYPES = frozenset({"incident", "alert"})


class Subscription:
    """One open stream's end of the bus. Lives on its event loop: the bus hands it
    changes with `call_soon_threadsafe`, so its mailbox is touched by one thread only."""

    def __init__(self, audience: Audience, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.audience = audience
        self.loop = loop
        self._mailbox = Mailbox(limit)
        self._ready = asyncio.Event()
        self._closed = False

    def deliver(self, changes: list[Change]) -> None:
        self._mailbox.put(changes)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    async def next(self) -> Batch | None:
        """The next batch of changes, waiting for one; None once the bus stopped."""
        while not self._mailbox:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._mailbox.take()


class LiveBus:
    def __init__(
        self, db: Database, *, poll_seconds: float, mailbox_limit: int = MAILBOX_LIMIT
    ) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.mailbox_limit = mailbox_limit
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listener: Listener | None = None
        db.after_commit.append(self.wake)
        if db.dialect == "postgresql":
            # every process that commits incident or alert changes tells the others, even
            # one (a worker) that serves no stream itself
            db.subscribe(_notify_on_commit)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def listener(self) -> Listener | None:
        """The LISTEN thread (PostgreSQL only, once started)."""
        return self._listener

    def subscribe(self, audience: Audience) -> Subscription:
        """A subscription on the running event loop; starts the bus on the first one."""
        subscription = Subscription(audience, asyncio.get_running_loop(), self.mailbox_limit)
        with self._lock:
            if self._stop.is_set():
                subscription.close()
                return subscription
            self._subscribers.add(subscription)
            if self._thread is None:
                self._start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def wake(self) -> None:
        self._wake.set()

    def _start(self) -> None:
        # where the tail starts is read here, before the thread runs: what commits after
        # a subscriber arrived is never missed
        with self.db.read() as session:
            tail = OutboxTail(latest_outbox_id(session))
            mark = alert_mark(session)
        if self.db.dialect == "postgresql":
            self._listener = Listener(self.db.engine, on_notify=self.wake)
            self._listener.start()
        self._thread = threading.Thread(
            target=self._run, args=(tail, mark), name="tocsin-live", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and end every subscriber's stream (the server can then exit)."""
        with self._lock:
            self._stop.set()
            subscribers = list(self._subscribers)
            self._subscribers.clear()
        self._wake.set()
        if self._listener is not None:
            self._listener.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for subscription in subscribers:
            _call_on_loop(subscription, subscription.close)
        if self.wake in self.db.after_commit:
            self.db.after_commit.remove(self.wake)

    def _run(self, tail: OutboxTail, mark: AlertMark) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                mark, more = self._tick(tail, mark)
            except Exception:
                log.exception("reading live changes failed")
                more = False
            if not more:
                self._wake.wait(self.poll_seconds)

    def _tick(self, tail: OutboxTail, mark: AlertMark) -> tuple[AlertMark, bool]:
        with self.db.read() as session:
            changes, more = tail.read(session)
            mark, alerts = alert_changes(session, mark)
        self.publish(changes + alerts)
        return mark, more

    def publish(self, changes: list[Change]) -> None:
        """Hand each subscriber the changes it may see."""
        if not changes:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            visible = [c for c in changes if visible_to(c, subscription.audience)]
            if visible and not _call_on_loop(subscription, subscription.deliver, visible):
                self.unsubscribe(subscription)


def _call_on_loop(
    subscription: Subscription, method: Callable[..., None], *args: list[Change]
) -> bool:
    """Run `method` on the subscription's loop; False when that loop is gone."""
    try:
        subscription.loop.call_soon_threadsafe(method, *args)
    except RuntimeError:  # the loop closed (its server stopped)
        return False
    return True


def _notify_on_commit(raw: Raw, events: list[DomainEvent]) -> None:
    """NOTIFY inside the transaction: PostgreSQL delivers it when (and only if) it commits."""
    if any(event.object_type in _WAKING_TYPES for event in events):
        raw.run(f"NOTIFY {CHANNEL}")
