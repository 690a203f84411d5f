"""Syslog receiver: UDP and TCP on one port, a thin adapter around `tocsin.integrations.syslog`.

Each message is parsed by the pure parser with the configuration of the integration its
sender routes to (`syslog_routing`), and its alerts go to the group-commit writer. Senders
outside ``TOCSIN_SYSLOG_ALLOW`` are dropped, counted, and logged at most once a minute each.

UDP or TCP? A UDP datagram is never acknowledged: one lost on the network, dropped by a full
socket buffer, or not stored because the database failed is gone without the sender
knowing. Over TCP (RFC 6587: octet counting or LF framing, detected frame by frame) the
receiver reads the next bytes only after the alerts of the previous ones were committed, so
a slow database pushes back on the sender, whose queue grows instead of messages vanishing.
Choose TCP when every message matters (rsyslog ``omfwd`` with ``protocol="tcp"``,
syslog-ng ``network(transport("tcp"))``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from tocsin.alerts.items import Item
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.payloads import payload_text
from tocsin.bootstrap import Tocsin
from tocsin.integrations import syslog
from tocsin.integrations.base import PayloadError
from tocsin.receivers.peers import AllowList, Throttle, peer_address
from tocsin.receivers.syslog_routing import SyslogRoutes, choose

log = logging.getLogger("tocsin.receivers.syslog")

MAX_IN_FLIGHT = 10_000  # datagrams being processed at once; beyond, they are dropped
MAX_CONNECTIONS = 1_000
UDP_BUFFER = 4 * 1024 * 1024  # ask the kernel for room to absorb bursts


class SyslogReceiver:
    """Listens on UDP and TCP; `stats` counts what happened (messages, alerts, denied,
    refused, ignored, unrouted, failed, ...)."""

    def __init__(
        self,
        app: Tocsin,
        *,
        allow: AllowList,
        routes: SyslogRoutes | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.app = app
        self.allow = allow
        self.routes = routes or SyslogRoutes(lambda: app.integrations.of_type("syslog"))
        self.throttle = throttle or Throttle()
        self.stats: Counter[str] = Counter()
        self.port: int | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._streams: set[_Stream] = set()
        self._closing = False

    # life cycle -------------------------------------------------------------------------

    async def start(self, host: str, port: int) -> int:
        """Listen on `host`:`port` over TCP and UDP (port 0: a free port, the same number for
        both); answers the port."""
        loop = asyncio.get_running_loop()
        for attempt in range(20):
            tcp = await loop.create_server(lambda: _Stream(self), host, port)
            bound = int(tcp.sockets[0].getsockname()[1])
            try:
                udp, _ = await loop.create_datagram_endpoint(
                    lambda: _Datagrams(self), local_addr=(host, bound)
                )
            except OSError:
                tcp.close()
                if port != 0 or attempt == 19:
                    raise
                continue  # that number was free for TCP only: try another
            break
        sock = udp.get_extra_info("socket")
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_BUFFER)
        self._tcp, self._udp, self.port = tcp, udp, bound
        return bound

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, let messages already read reach the database, then close."""
        self._closing = True
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            # Let connections accepted a moment ago attach first: on CPython 3.11 a
            # connection accepted but not yet attached when the server closes leaks.
            await asyncio.sleep(0)
            self._tcp.close()
        for stream in list(self._streams):
            stream.close()
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in late:
                task.cancel()

    # UDP ----------------------------------------------------------------------------------

    def datagram(self, data: bytes, host: str) -> None:
        """One datagram is one message."""
        if not self._admit(host):
            return
        if len(self._tasks) >= MAX_IN_FLIGHT:
            self.stats["overloaded"] += 1
            if dropped := self.throttle.ready("overloaded"):
                log.warning(
                    "syslog receiver overloaded; datagrams dropped", extra={"dropped": dropped}
                )
            return
        self.spawn(self._process([data], host))

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` as a task that `stop` waits for."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # TCP ----------------------------------------------------------------------------------

    def opened(self, stream: _Stream) -> bool:
        """A TCP connection came in: may it stay?"""
        if self._closing or not self._admit(stream.host):
            return False
        if len(self._streams) >= MAX_CONNECTIONS:
            self.stats["connections_refused"] += 1
            return False
        self._streams.add(stream)
        self.stats["connections"] += 1
        return True

    def closed(self, stream: _Stream) -> None:
        self._streams.discard(stream)

    def framing_error(self, host: str, exc: PayloadError) -> None:
        self.stats["framing_errors"] += 1
        if self.throttle.ready(f"framing:{host}"):
            log.warning(
                "syslog TCP stream is not framed; connection closed",
                extra={"peer": host, "reason": exc.message},
            )

    def received(self, messages: list[bytes], host: str) -> asyncio.Task[None]:
        return self.spawn(self._process(messages, host))

    # both ---------------------------------------------------------------------------------

    def _admit(self, host: str) -> bool:
        if self.allow.allows(host):
            return True
        self.stats["denied"] += 1
        if dropped := self.throttle.ready(f"denied:{host}"):
            log.warning(
                "syslog sender is not in TOCSIN_SYSLOG_ALLOW; dropped",
                extra={"peer": host, "dropped": dropped},
            )
        return False

    async def _route(self, host: str) -> IntegrationRef | None:
        address = peer_address(host)
        if address is None:
            return None
        routes = self.routes.cached()
        if routes is None:  # the database is read in a worker thread, never on the loop
            routes = await asyncio.get_running_loop().run_in_executor(None, self.routes.load)
        return choose(routes, address)

    async def _process(self, messages: list[bytes], host: str) -> None:
        try:
            integration = await self._route(host)
        except Exception:
            self.stats["failed"] += len(messages)
            if self.throttle.ready("routes"):
                log.exception("syslog integrations could not be read; messages dropped")
            return
        self.stats["messages"] += len(messages)
        if integration is None:
            self.stats["unrouted"] += len(messages)
            if dropped := self.throttle.ready(f"unrouted:{host}", len(messages)):
                log.warning(
                    "no enabled syslog integration takes this sender; dropped",
                    extra={"peer": host, "dropped": dropped},
                )
            return
        items = self._parse(messages, host, integration)
        if items:
            await self._submit(items)

    def _parse(self, messages: list[bytes], host: str, integration: IntegrationRef) -> list[Item]:
        items: list[Item] = []
        now = self.app.clock.now()
        for data in messages:
            try:
                parsed = syslog.parse(
                    data, headers={"peer": host}, received_at=now, config=integration.config.parser
                )
            except PayloadError as exc:
                self._refused(exc, host, integration)
                continue
            self.stats["ignored"] += sum(parsed.ignored.values())
            if parsed.alerts:
                line = payload_text(data)
                items += [Item(integration, alert, line) for alert in parsed.alerts]
        return items

    def _refused(self, exc: PayloadError, host: str, integration: IntegrationRef) -> None:
        if exc.status >= 500:  # the integration's rule is wrong, not the message
            self.stats["config_errors"] += 1
            if self.throttle.ready(f"config:{integration.id}"):
                log.warning(
                    "syslog integration is misconfigured",
                    extra={"integration": integration.name, "reason": exc.message},
                )
            return
        self.stats["refused"] += 1
        log.debug("syslog message refused", extra={"peer": host, "reason": exc.message})

    async def _submit(self, items: list[Item]) -> None:
        # shield: cancelling this coroutine must not cancel the writer's future, which
        # the writer thread resolves after its commit.
        future = asyncio.wrap_future(self.app.alerts.submit(items))
        try:
            outcomes = await asyncio.shield(future)
        except Exception:
            self.stats["failed"] += len(items)
            if self.throttle.ready("store"):
                log.error("syslog alerts could not be stored", extra={"alerts": len(items)})
            return
        self.stats["alerts"] += len(outcomes)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, receiver: SyslogReceiver) -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.receiver.datagram(data, str(addr[0]))

    def error_received(self, exc: Exception) -> None:
        log.debug("syslog UDP socket error", extra={"error": str(exc)})


class _Stream(asyncio.Protocol):
    """One TCP connection. Reading pauses while a batch of messages is being stored, so a
    slow database pushes back on the sender instead of filling memory."""

    def __init__(self, receiver: SyslogReceiver) -> None:
        self.receiver = receiver
        self.transport: asyncio.Transport | None = None
        self.host = ""
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.host = str(peer[0]) if isinstance(peer, tuple) else ""
        if not self.receiver.opened(self):
            transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        try:
            messages, self.buffer = syslog.frame(self.buffer)
        except PayloadError as exc:
            self.receiver.framing_error(self.host, exc)
            self.close()
            return
        if messages and self.transport is not None:
            self.transport.pause_reading()
            self.receiver.received(messages, self.host).add_done_callback(self._stored)

    def _stored(self, _: asyncio.Task[None]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def eof_received(self) -> bool:
        rest, self.buffer = self.buffer, b""
        if rest.strip(b"\r\n\x00"):
            if rest.startswith(b"<"):  # a last LF-framed line without its LF
                self.receiver.received([rest], self.host)
            else:
                self.receiver.stats["truncated"] += 1
        return False  # close the connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.receiver.closed(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
