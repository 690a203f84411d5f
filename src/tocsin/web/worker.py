"""One web worker process of `tocsin serve --workers N` (uvicorn imports `create`).

Each worker builds its own Tocsin from the same settings (environment and config file),
with its own database pool and alert writer; the main process keeps the background engine
and the syslog / SMTP receivers. A worker never outlives the main process: one left
behind would keep serving the port with nobody supervising it.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tocsin.bootstrap import build
from tocsin.logs import configure_logging
from tocsin.settings import load_settings
from tocsin.web.app import create_app

_PR_SET_PDEATHSIG = 1


def create() -> FastAPI:
    _exit_with_parent(os.getppid())
    settings = load_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    tocsin = build(settings)
    app = create_app(tocsin)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        tocsin.dispose()  # after the last request: what was accepted is committed

    app.router.lifespan_context = lifespan
    return app


def _exit_with_parent(parent: int) -> None:
    """SIGTERM when the main process dies (Linux asks the kernel; elsewhere a watcher)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request above
        os.kill(os.getpid(), signal.SIGTERM)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tocsin-parent-watch", daemon=True).start()
