"""Group commit: many senders' alerts, one transaction, each sender answered after commit.

One writer thread drains a queue: it takes what has arrived (up to `max_batch` alerts),
processes it in one transaction, commits, and only then resolves each request's future.
A commit per alert caps PostgreSQL near a thousand alerts per second; a commit per batch
does not. When a batch fails, its requests are retried one by one, so one bad request
cannot fail its neighbours.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field

from tocsin.alerts.pipeline import Item, Outcome
from tocsin.alerts.service import AlertService

log = logging.getLogger("tocsin.ingest")


@dataclass(slots=True)
class _Request:
    items: list[Item]
    future: Future[list[Outcome]] = field(default_factory=Future)


class BatchWriter:
    def __init__(self, alerts: AlertService, *, max_batch: int = 500) -> None:
        self.alerts = alerts
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.alerts_written = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tocsin-ingest", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def submit(self, items: list[Item]) -> Future[list[Outcome]]:
        request = _Request(items)
        if not items:
            request.future.set_result([])
            return request.future
        self.start()
        self._queue.put(request)
        return request.future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            size = len(first.items)
            stop = False
            while size < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
                size += len(nxt.items)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[_Request]) -> None:
        try:
            outcomes = self.alerts.ingest([item for r in batch for item in r.items])
        except Exception:
            if len(batch) == 1:
                log.exception("alert batch failed")
                _settle(batch[0].future, error=RuntimeError("the alert could not be stored"))
                return
            for request in batch:  # isolate the failing request
                self._write([request])
            return
        self.batches += 1
        self.alerts_written += len(outcomes)
        start = 0
        for request in batch:
            end = start + len(request.items)
            _settle(request.future, result=outcomes[start:end])
            start = end


def _settle(
    future: Future[list[Outcome]],
    *,
    result: list[Outcome] | None = None,
    error: BaseException | None = None,
) -> None:
    """Answer a request unless its sender gave up waiting (a cancelled future): one
    impatient sender must not stop the writer for everyone else."""
    if future.cancelled():
        return
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])
    except InvalidStateError:
        log.debug("a request was cancelled while its batch was written")
