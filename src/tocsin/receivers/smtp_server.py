"""SMTP receiver for e-mail integrations: aiosmtpd's SMTP protocol on the receivers' loop, a
thin adapter around `tocsin.integrations.email`.

Mail goes to ``<integration key>@<any domain>``; the local part names an enabled e-mail
integration, else ``550 5.1.1``. A mail is answered ``250`` only after its alerts were
committed; a storage failure answers ``451 4.3.0`` so the sending MTA keeps it and retries
(nothing is lost); a mail the parser refuses answers ``554 5.6.0`` with the reason, and
nothing is stored. Several recipients are several integrations, written in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections import Counter
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.payloads import payload_text
from tocsin.bootstrap import Tocsin
from tocsin.integrations import email
from tocsin.integrations.base import PayloadError

log = logging.getLogger("tocsin.receivers.smtp")

MAX_MESSAGE = 10 * 1024 * 1024
NO_SUCH_MAILBOX = "550 5.1.1 No such mailbox"
TRY_LATER = "451 4.3.0 The message could not be stored; try again later"


def reply_text(text: str, limit: int = 400) -> str:
    """A reason fit for one SMTP reply line: one line, printable ASCII, bounded."""
    flat = " ".join(text.split()).encode("ascii", "replace").decode("ascii")
    return flat[:limit]


def _host(peer: Any) -> str:
    return str(peer[0]) if isinstance(peer, tuple) and peer else str(peer or "")


class _Handler:
    """aiosmtpd hooks: RCPT picks integrations, DATA parses, stores, and answers."""

    def __init__(self, app: Tocsin, stats: Counter[str]) -> None:
        self.app = app
        self.stats = stats
        self.busy = 0

    async def _integration(self, address: str) -> IntegrationRef | None:
        local, at, _ = address.rpartition("@")
        local = local.strip('"')
        if not at or not local:
            return None
        loop = asyncio.get_running_loop()
        for key in dict.fromkeys((local, local.lower())):  # some MTAs change the case
            ref = await loop.run_in_executor(None, self.app.integrations.by_key, key)
            if ref is not None:
                return ref if ref.type == "email" and ref.enabled else None
        return None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            integration = await self._integration(address)
        except Exception:
            log.exception("e-mail integration lookup failed")
            return "451 4.3.0 Try again later"
        if integration is None:
            self.stats["unknown_mailbox"] += 1
            return NO_SUCH_MAILBOX
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.busy += 1
        try:
            return await self._deliver(session, envelope)
        except Exception:
            log.exception("e-mail could not be delivered")
            self.stats["failed"] += 1
            return TRY_LATER
        finally:
            self.busy -= 1

    async def _deliver(self, session: Session, envelope: Envelope) -> str:
        integrations: dict[int, IntegrationRef] = {}
        for address in envelope.rcpt_tos:
            ref = await self._integration(address)
            if ref is None:  # disabled or deleted since RCPT: RCPT will say so on retry
                return "451 4.3.0 A recipient is no longer available; try again later"
            integrations.setdefault(ref.id, ref)
        raw = envelope.original_content or b""
        peer = _host(session.peer)
        now = self.app.clock.now()
        items: list[Item] = []
        message = payload_text(raw)  # the raw message, once for every recipient
        for integration in integrations.values():
            try:
                parsed = email.parse(
                    raw, headers={"peer": peer}, received_at=now, config=integration.config.parser
                )
            except PayloadError as exc:
                return self._refused(exc, peer, integration)
            self.stats["ignored"] += sum(parsed.ignored.values())
            items += [Item(integration, alert, message) for alert in parsed.alerts]
        if items:
            # shield: a dropped connection must not cancel the writer's future.
            future = asyncio.wrap_future(self.app.alerts.submit(items))
            try:
                outcomes = await asyncio.shield(future)
            except Exception:
                self.stats["failed"] += 1
                log.error("e-mail alerts could not be stored", extra={"peer": peer})
                return TRY_LATER
            self.stats["alerts"] += len(outcomes)
        self.stats["messages"] += 1
        return "250 OK"

    def _refused(self, exc: PayloadError, peer: str, integration: IntegrationRef) -> str:
        if exc.status >= 500:  # the integration's configuration is wrong, not the mail
            self.stats["config_errors"] += 1
            log.warning(
                "e-mail integration is misconfigured",
                extra={"integration": integration.name, "reason": exc.message},
            )
            return "451 4.3.5 The mailbox is misconfigured; try again later"
        self.stats["refused"] += 1
        log.debug("e-mail refused", extra={"peer": peer, "reason": exc.message})
        return f"554 5.6.0 {reply_text(exc.message)}"


class SmtpReceiver:
    """The SMTP listener; `stats` counts messages, alerts, refused, unknown_mailbox, ..."""

    def __init__(self, app: Tocsin) -> None:
        self.app = app
        self.stats: Counter[str] = Counter()
        self.port: int | None = None
        self._handler = _Handler(app, self.stats)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    async def start(self, host: str, port: int) -> int:
        """Listen on `host`:`port` (0: a free port); answers the port."""
        loop = asyncio.get_running_loop()
        hostname = await loop.run_in_executor(None, socket.getfqdn)  # once, not per session
        chatty = logging.getLogger("mail.log")  # aiosmtpd logs every command at INFO
        if chatty.level == logging.NOTSET:
            chatty.setLevel(logging.WARNING)

        def session() -> SMTP:
            smtp = SMTP(
                self._handler,
                hostname=hostname,
                ident="Tocsin",
                data_size_limit=MAX_MESSAGE,
                enable_SMTPUTF8=True,
                decode_data=False,
                loop=loop,
            )
            self._sessions.add(smtp)
            return smtp

        self._server = await loop.create_server(session, host, port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, let mails being stored finish (their senders get their answer),
        then close the sessions."""
        if self._server is not None:
            await asyncio.sleep(0)  # see SyslogReceiver.stop: accepted connections attach
            self._server.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._handler.busy and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for smtp in list(self._sessions):
            if smtp.transport is not None:
                smtp.transport.close()
