"""One web worker process of `tocsin serve --workers N` (uvicorn imports `create`).

Each worker builds its own Tocsin from the same settings (environment and config file),
with its own database pool and alert writer; the main process keeps the background engine
and the syslog / SMTP receivers. A worker never outlives the main process: one left
behind would keep serving the port with nobody supervising it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tocsin.bootstrap import build
from tocsin.logs import configure_logging
from tocsin.settings import load_settings
from tocsin.web.app import create_app
from tocsin.web.front import Front

_PR_SET_PDEATHSIG = 1


def create() -> Front:
    _exit_with_parent()
    settings = load_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    tocsin = build(settings)
    app = create_app(tocsin)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        tocsin.dispose()  # after the last request: what was accepted is committed

    app.api.router.lifespan_context = lifespan
    return app


def _exit_with_parent() -> None:
    """SIGTERM when the main process dies: the kernel's parent-death signal on Linux, and a
    thread waiting on multiprocessing's sentinel for the parent (uvicorn spawns workers
    with multiprocessing), which reads end-of-file once the parent is gone. The sentinel
    also covers a main process that died while this worker was starting, before the
    signal was asked for: by then `os.getppid()` already names the reaper."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is None or parent.sentinel is None:
        return  # not started by multiprocessing: nobody to outlive

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tocsin-parent-watch", daemon=True).start()
