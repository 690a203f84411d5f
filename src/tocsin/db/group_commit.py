"""Group commit: many callers' writes, one transaction, each caller answered after commit.

The writers are generic over what they write: a `write` function takes the items of a whole
batch, stores them in one transaction and answers one result per item (`AlertService.ingest`
for alerts; the audit of refused ingest keys uses the same loop writer).

A commit per alert makes every alert wait for its own sync (PostgreSQL) and makes SQLite
write the same index pages over and over; a commit per batch does neither. Two writers
share the same batch logic (`write_batch`):

- `LoopBatcher`, for the web server's ingest routes: the batch is written on the event
  loop's own thread. Requests that arrive together are parsed in the same loop
  iterations; once an iteration brings nothing new and the batch is as big as the
  previous one (or 2 ms have passed, or the batch is full), it is written and every
  request answered. No thread hand-off per request, and no GIL contention with a writer
  thread.
- `BatchWriter`, for callers on other threads (the syslog and SMTP receivers): one writer
  thread drains a queue, up to `max_batch` alerts per transaction.

When a batch fails, its requests are retried one by one, so one bad request cannot fail
its neighbours.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

log = logging.getLogger("tocsin.ingest")
_INVALID_STATE = (concurrent.futures.InvalidStateError, asyncio.InvalidStateError)

T = TypeVar("T")  # what is written
R = TypeVar("R")  # what each item's writer answers
# Stores a batch's items in one transaction; one result per item, in order.
Write = Callable[[list[T]], list[R]]


@dataclass(slots=True)
class _Request(Generic[T]):
    items: list[T]
    # a concurrent.futures.Future (writer thread) or an asyncio.Future (event loop)
    future: Any


def write_batch(write: Write[T, R], batch: list[_Request[T]]) -> list[list[R] | Exception]:
    """Write the batch in one transaction; what each request gets (its results, or the
    error of its own retry when the batch failed: one bad request cannot fail the rest)."""
    try:
        outcomes = write([item for r in batch for item in r.items])
    except Exception:
        if len(batch) == 1:
            log.exception("write batch failed")
            return [RuntimeError("the request could not be stored")]
        return [answer for request in batch for answer in write_batch(write, [request])]
    answers: list[list[R] | Exception] = []
    start = 0
    for request in batch:
        answers.append(outcomes[start : start + len(request.items)])
        start += len(request.items)
    return answers


def _answer(batch: list[_Request[T]], answers: list[list[R] | Exception]) -> None:
    for request, answer in zip(batch, answers, strict=True):
        if isinstance(answer, Exception):
            _settle(request.future, error=answer)
        else:
            _settle(request.future, result=answer)


@dataclass(slots=True)
class _LoopQueue(Generic[T]):
    pending: list[_Request[T]]
    writing: bool = False
    last: int = 0  # requests in the previous batch


class LoopBatcher(Generic[T, R]):
    """Group commit driven by the calling event loop (see the module's docstring)."""

    def __init__(
        self, write: Write[T, R], *, max_batch: int = 500, patience: float = 0.002
    ) -> None:
        self.write = write
        self.max_batch = max_batch
        # How long a batch may wait for as many requests as the previous one had, once the
        # requests already there are parsed: a fuller batch costs less per alert. A lone
        # sender never waits (its previous batch held one request).
        self.patience = patience
        # One queue per event loop: a batch is written and answered on its own loop.
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopQueue[T]] = (
            weakref.WeakKeyDictionary()
        )
        self._tasks: set[asyncio.Task[None]] = set()
        # The last loop's queue, found without the dictionary's look-up (a weak reference,
        # like the dictionary's: a finished loop is not kept alive here).
        self._last_loop: Callable[[], asyncio.AbstractEventLoop | None] = lambda: None
        self._last_queue: _LoopQueue[T] | None = None

    async def store(self, items: list[T]) -> list[R]:
        if not items:
            return []
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[R]] = loop.create_future()
        queue_ = self._last_queue if self._last_loop() is loop else None
        if queue_ is None:  # not the usual case (one server loop): the dictionary
            queue_ = self._queues.get(loop)
            if queue_ is None:
                queue_ = self._queues[loop] = _LoopQueue([])
            self._last_loop, self._last_queue = weakref.ref(loop), queue_
        queue_.pending.append(_Request(items, future))
        if not queue_.writing:
            queue_.writing = True
            task = loop.create_task(self._drain(queue_))
            self._tasks.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._tasks.discard)
        # A sender that hangs up cancels only its own future: the batch is written by the
        # drain task, which no request owns, and `_settle` skips cancelled futures.
        return await future

    async def _drain(self, queue_: _LoopQueue[T]) -> None:
        pending = queue_.pending
        try:
            seen = 0
            deadline = time.perf_counter() + self.patience
            while _size(pending) < self.max_batch:
                if len(pending) == seen and (seen >= queue_.last or time.perf_counter() > deadline):
                    break
                seen = len(pending)
                await asyncio.sleep(0)  # one loop iteration: arrived requests get parsed
            queue_.last = len(pending)
            while pending:
                batch: list[_Request[T]] = []
                size = 0
                while pending and (not batch or size + len(pending[0].items) <= self.max_batch):
                    request = pending.pop(0)
                    batch.append(request)
                    size += len(request.items)
                _answer(batch, write_batch(self.write, batch))
        finally:
            queue_.writing = False


def _size(requests: list[_Request[T]]) -> int:
    return sum(len(r.items) for r in requests)


class BatchWriter(Generic[T, R]):
    """Group commit on a writer thread, for callers on other threads (see the module)."""

    def __init__(self, write: Write[T, R], *, max_batch: int = 500) -> None:
        self.write = write
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Request[T] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

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

    def submit(self, items: list[T]) -> concurrent.futures.Future[list[R]]:
        future: concurrent.futures.Future[list[R]] = concurrent.futures.Future()
        if not items:
            future.set_result([])
            return future
        self.start()
        self._queue.put(_Request(items, future))
        return future

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

    def _write(self, batch: list[_Request[T]]) -> None:
        _answer(batch, write_batch(self.write, batch))


def _settle(
    future: Any,
    *,
    result: list[Any] | None = None,
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
    except _INVALID_STATE:
        log.debug("a request was cancelled while its batch was written")
