"""The engine loop: each tick, every module that wins its lease does its duty once."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.audit.checkpoints import write_checkpoint
from tocsin.bootstrap import Tocsin
from tocsin.db.locks import try_acquire

log = logging.getLogger("tocsin.engine")


@dataclass(frozen=True, slots=True)
class Module:
    """A background duty. `run` must be idempotent: it may run again after a crash."""

    name: str
    run: Callable[[], int]


def default_modules(app: Tocsin) -> list[Module]:
    every = timedelta(minutes=app.settings.audit_checkpoint_minutes)
    return [
        Module("auto_close", app.actions.close_expired),
        Module("sign_in_throttles", app.auth.sign_in.prune),
        Module(
            "audit_checkpoint",
            lambda: write_checkpoint(app.db, key=app.audit_key, clock=app.clock, every=every),
        ),
        Module("heartbeats", lambda: app.heartbeats.check(app.clock.now())),
        Module("alert_requests", app.alerts.prune_requests),
        # new incidents matching a known error get linked to its problem, once
        Module("known_errors", app.known_errors.record_matches),
    ]


def paging_modules(app: Tocsin) -> list[Module]:
    """The notification loop's duties, in the order one pass needs them: events become
    SLA clock moves and escalation runs, due steps become pages, pages are sent."""
    return [
        Module("outbox", app.paging.dispatch),
        Module("sla", app.paging.watch_sla),
        Module("escalation", app.paging.escalate),
        Module("deliveries", app.deliveries.send_due),
    ]


class Engine:
    """Two loops: the notification loop (paging_modules) every
    TOCSIN_PAGING_INTERVAL_SECONDS and at once when this process commits an event, and
    the housekeeping loop (default_modules) every TOCSIN_ENGINE_INTERVAL_SECONDS."""

    def __init__(
        self,
        app: Tocsin,
        modules: list[Module] | None = None,
        holder: str | None = None,
        *,
        paging: list[Module] | None = None,
    ) -> None:
        self.app = app
        self.modules = modules if modules is not None else default_modules(app)
        self.paging = paging if paging is not None else paging_modules(app)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease_ttl = timedelta(
            seconds=max(
                app.settings.engine_lease_seconds,
                app.settings.engine_interval_seconds * 3,
                app.settings.paging_interval_seconds * 3,
            )
        )
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._held: dict[str, datetime] = {}  # lease name -> until when this process holds it

    def tick(self) -> dict[str, int]:
        """One pass of the housekeeping loop, then the notification loop until it has
        nothing left to do (tests drive the engine with it)."""
        done = self._run(self.modules)
        for name, count in self._drain().items():
            done[name] = done.get(name, 0) + count
        self._process_duties()
        return done

    def notify(self) -> int:
        """The notification loop until it has nothing left to do: a page's own events
        (an escalation's timeline entry) are handled in the same wake-up."""
        return sum(self._drain().values())

    def _drain(self, passes: int = 10) -> dict[str, int]:
        done: dict[str, int] = {}
        for _ in range(passes):
            step = self._run(self.paging)
            for name, count in step.items():
                done[name] = done.get(name, 0) + count
            if not any(step.values()):
                break
        return done

    def _run(self, modules: list[Module]) -> dict[str, int]:
        """Run each module whose lease this process holds; returns what each did."""
        done: dict[str, int] = {}
        for module in modules:
            if not self._holds(module.name):
                continue
            try:
                done[module.name] = module.run()
            except Exception:
                log.exception("engine module failed", extra={"engine_module": module.name})
                continue
            if done[module.name]:
                log.info(
                    "engine module acted",
                    extra={"engine_module": module.name, "count": done[module.name]},
                )
        return done

    def _holds(self, name: str) -> bool:
        """Whether this process holds the lease `name`, taking or renewing it in the
        database only when it is not held or half its time is gone: the notification
        loop runs several times a second, and a lease write each time would be most of
        what an idle loop costs."""
        now = self.app.clock.now()
        held_until = self._held.get(name)
        if held_until is not None and held_until - now > self.lease_ttl / 2:
            return True
        with self.app.db.unit_of_work() as uow:
            won = try_acquire(
                uow.session, name=name, holder=self.holder, now=now, ttl=self.lease_ttl
            )
        if won:
            self._held[name] = now + self.lease_ttl
        else:
            self._held.pop(name, None)
        return won

    def _process_duties(self) -> None:
        """Duties of this process's own memory, so under no lease: every process that
        refused requests writes the summaries of its own refusals."""
        try:
            self.app.auth.flush_refusals()
        except Exception:
            log.exception("writing the refusal summaries failed")

    def run_forever(self) -> None:
        interval = self.app.settings.engine_interval_seconds
        log.info(
            "engine started",
            extra={
                "holder": self.holder,
                "modules": [m.name for m in self.modules + self.paging],
            },
        )
        while not self._stop.is_set():
            self._run(self.modules)
            self._process_duties()
            self._stop.wait(interval)

    def run_paging(self) -> None:
        interval = self.app.settings.paging_interval_seconds
        while not self._stop.is_set():
            self._wake.clear()
            busy = self.notify()
            if not busy:
                self._wake.wait(interval)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self.app.db.after_commit.append(self.wake)
        for name, target in (
            ("tocsin-engine", self.run_forever),
            ("tocsin-paging", self.run_paging),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.wake in self.app.db.after_commit:
            self.app.db.after_commit.remove(self.wake)
        for thread in self._threads:
            thread.join(timeout=10)
