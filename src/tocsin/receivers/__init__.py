"""Non-HTTP receivers (syslog over UDP/TCP, SMTP): thin adapters that parse with the pure
parsers of `tocsin.integrations` and hand the alerts to the group-commit writer.

They run on their own asyncio loop in one background thread, next to the web app::

    receivers = start_receivers(app, settings)  # starts those whose port is configured
    ...
    receivers.stop()
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from tocsin.bootstrap import Tocsin
from tocsin.receivers.peers import AllowList
from tocsin.receivers.syslog_server import SyslogReceiver
from tocsin.settings import Settings

if TYPE_CHECKING:  # aiosmtpd is slow to import: only when SMTP is configured
    from tocsin.receivers.smtp_server import SmtpReceiver

__all__ = ["Receivers", "SyslogReceiver", "start_receivers"]

log = logging.getLogger("tocsin.receivers")

Endpoint = tuple[str, int]


class Receivers:
    """The running receivers (the handle `start_receivers` answers)."""

    def __init__(self, app: Tocsin) -> None:
        self.app = app
        self.syslog: SyslogReceiver | None = None
        self.smtp: SmtpReceiver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(
        self,
        *,
        syslog: Endpoint | None = None,
        smtp: Endpoint | None = None,
        allow: str = "127.0.0.1/32,::1/128",
        timeout: float = 30.0,
    ) -> Receivers:
        """Listen on the given endpoints (port 0: a free one); nothing when both are None.
        Raises (ValueError for a bad allow list, OSError for a port in use) before
        answering, with nothing left running."""
        if syslog is None and smtp is None:
            return self
        allowed = AllowList(allow)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._run, args=(loop,), name="tocsin-receivers", daemon=True
        )
        thread.start()
        self._loop, self._thread = loop, thread
        try:
            asyncio.run_coroutine_threadsafe(self._start(syslog, smtp, allowed), loop).result(
                timeout
            )
        except BaseException:
            self.stop()
            raise
        return self

    async def _start(
        self, syslog: Endpoint | None, smtp: Endpoint | None, allow: AllowList
    ) -> None:
        if syslog is not None:
            self.syslog = SyslogReceiver(self.app, allow=allow)
            port = await self.syslog.start(*syslog)
            log.info(
                "syslog receiver listening",
                extra={"host": syslog[0], "port": port, "protocols": "udp,tcp"},
            )
        if smtp is not None:
            from tocsin.receivers.smtp_server import SmtpReceiver

            self.smtp = SmtpReceiver(self.app)
            port = await self.smtp.start(*smtp)
            log.info("smtp receiver listening", extra={"host": smtp[0], "port": port})

    def stop(self, timeout: float = 15.0) -> None:
        """Stop listening, let what was received reach the database, end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        try:
            asyncio.run_coroutine_threadsafe(self._stop(), loop).result(timeout)
        except Exception:
            log.exception("receivers did not stop cleanly")
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)

    async def _stop(self) -> None:
        for receiver in (self.syslog, self.smtp):
            if receiver is not None:
                await receiver.stop()

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()


def start_receivers(app: Tocsin, settings: Settings) -> Receivers:
    """Start the receivers whose port `settings` configures (TOCSIN_SYSLOG_PORT,
    TOCSIN_INBOUND_SMTP_PORT); the handle's `stop()` ends them."""
    syslog = (settings.syslog_host, settings.syslog_port) if settings.syslog_port else None
    smtp = (
        (settings.inbound_smtp_host, settings.inbound_smtp_port)
        if settings.inbound_smtp_port
        else None
    )
    return Receivers(app).start(syslog=syslog, smtp=smtp, allow=settings.syslog_allow)
