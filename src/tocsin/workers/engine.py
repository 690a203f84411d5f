"""The engine loop: each tick, every module that wins its lease does its duty once."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

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
        Module("deliveries", app.deliveries.send_due),
    ]


class Engine:
    def __init__(
        self, app: Tocsin, modules: list[Module] | None = None, holder: str | None = None
    ) -> None:
        self.app = app
        self.modules = modules if modules is not None else default_modules(app)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease_ttl = timedelta(
            seconds=max(app.settings.engine_lease_seconds, app.settings.engine_interval_seconds * 3)
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> dict[str, int]:
        """Run each module whose lease this process holds; returns what each did."""
        done: dict[str, int] = {}
        for module in self.modules:
            with self.app.db.unit_of_work() as uow:
                won = try_acquire(
                    uow.session,
                    name=module.name,
                    holder=self.holder,
                    now=self.app.clock.now(),
                    ttl=self.lease_ttl,
                )
            if not won:
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
        self._process_duties()
        return done

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
            extra={"holder": self.holder, "modules": [m.name for m in self.modules]},
        )
        while not self._stop.is_set():
            self.tick()
            self._stop.wait(interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run_forever, name="tocsin-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
