"""`tocsin serve` and `tocsin worker`."""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated

import typer

from tocsin.bootstrap import build
from tocsin.logs import configure_logging
from tocsin.settings import load_settings
from tocsin.workers.engine import Engine

if TYPE_CHECKING:
    from tocsin.receivers import Receivers

log = logging.getLogger("tocsin")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Web worker processes (default: TOCSIN_WEB_WORKERS, else 1)", min=1),
    ] = None,
) -> None:
    """Migrate the database if needed, then run the web UI, API, ingest receivers (syslog,
    SMTP, when their ports are set) and background engine."""
    # The web stack is imported here, not with the module: every other command starts
    # faster without it.
    import uvicorn

    from tocsin.receivers import start_receivers
    from tocsin.web.app import create_app

    settings = load_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    app = build(settings)
    app.migrate()
    engine = Engine(app) if settings.engine_enabled else None
    if engine is not None:
        engine.start()
    bind_host = host or settings.host
    bind_port = port or settings.port
    processes = workers or settings.web_workers
    log.info(
        "Tocsin is serving",
        extra={
            "url": f"http://{bind_host}:{bind_port}",
            "database": settings.database_url.split("@")[-1],
            "workers": processes,
        },
    )
    receivers: Receivers | None = None
    # uvicorn stops gracefully on SIGTERM, then restores the handler it found and raises
    # the signal again; with Python's default handler that kills the process before the
    # `finally` below runs (receivers, engine lease, database left as they were).
    signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        receivers = start_receivers(app, settings)
        # With several workers uvicorn supervises them (see tocsin.web.worker).
        uvicorn.run(
            "tocsin.web.worker:create" if processes > 1 else create_app(app),
            factory=processes > 1,
            workers=processes,
            host=bind_host,
            port=bind_port,
            log_config=None,
            access_log=False,
            proxy_headers=False,
        )
    finally:
        if receivers is not None:
            receivers.stop()  # before the writer stops: what they received is stored
        if engine is not None:
            engine.stop()
        app.dispose()
        log.info("Tocsin stopped")


def _exit_quietly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def worker() -> None:
    """Run the background engine alone (scale-out next to `serve` on PostgreSQL)."""
    settings = load_settings()
    configure_logging(fmt=settings.log_format, level=settings.log_level)
    app = build(settings)
    app.migrate()
    engine = Engine(app)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    engine.start()
    stop.wait()
    engine.stop()
    app.dispose()
