"""Guarded outbound HTTP: one POST, its redirects re-checked, its reply read as an Outcome.

Connections go only to addresses the outbound guard accepted at connect time (the
resolver's answer is checked and then connected to, not resolved again), so a host name
that resolves to a public address for the check and to a private one for the connection
(DNS rebinding) is refused. The address a reply came from is checked once more before
the reply is trusted.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from tocsin.core.clock import Clock
from tocsin.notifications.channels.base import Delivered, Failed, Gone, Outcome, Retry
from tocsin.notifications.outbound import HostUnresolved, OutboundPolicy, OutboundRefused

MAX_REDIRECTS = 5
# A reply body is read only this far: enough for an error message, never a download.
_MAX_REPLY = 64 * 1024
_EXCERPT = 200
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to addresses the policy accepts, and only to those it checked."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in self._policy.addresses(host, port):
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        assert last is not None  # addresses() answers at least one address or raises
        raise last


@cache
def _trust_store() -> ssl.SSLContext:
    """The certificates a receiver is checked against, loaded once per process: loading
    them takes tens of milliseconds, paid by every app built (each test builds one)."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    return _trust_store() if verify else httpx.create_ssl_context(verify=False)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, policy: OutboundPolicy, verify: ssl.SSLContext | bool) -> None:
        context = _ssl_context(verify)
        super().__init__(verify=context, trust_env=False)
        # httpx has no parameter for the network backend; the pool is built again with it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=30.0,
            network_backend=_GuardedBackend(policy),
        )


class GuardedHttp:
    """POSTs through the outbound guard; safe to share between threads (one pool)."""

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        clock: Clock,
        timeout_seconds: float = 10.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._timeout = timeout_seconds
        self._client = httpx.Client(
            transport=_GuardedTransport(policy, verify),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": "Tocsin"},
        )

    def post(self, url: str, *, body: bytes, headers: Mapping[str, str]) -> Outcome:
        """POST `body` to `url`; never raises for the receiver's failure."""
        method, content, sent = "POST", body, dict(headers)
        for hop in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or url
            refusal = self._check(url, redirected=hop > 0)
            if refusal is not None:
                return refusal
            try:
                request = self._client.build_request(method, url, content=content, headers=sent)
                response = self._client.send(request, stream=True)
            except OutboundRefused as error:
                return Failed(error.sentence)
            except HostUnresolved as error:
                return Retry(error.sentence)
            except httpx.TimeoutException:
                return Retry(f"{host} did not answer within {self._timeout:g} s")
            except httpx.TransportError as error:
                return Retry(f"could not reach {host}: {error or type(error).__name__}")
            try:
                refusal = self._check_peer(host, response)
                if refusal is not None:
                    return refusal
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    next_url = str(response.url.join(location))
                    if response.status_code not in (307, 308):
                        method, content = "GET", b""
                        sent = {k: v for k, v in sent.items() if k.lower() != "content-type"}
                    if _origin(next_url) != _origin(url):
                        sent = {k: v for k, v in sent.items() if k.lower() != "authorization"}
                    url = next_url
                    continue
                reply = _read_some(response)
            except httpx.TimeoutException:
                return Retry(f"{host} did not finish its answer within {self._timeout:g} s")
            except httpx.TransportError as error:
                return Retry(f"the connection to {host} broke: {error or type(error).__name__}")
            finally:
                response.close()
            return self._classify(host, response, reply)
        return Failed(f"more than {MAX_REDIRECTS} redirects, the last to {url}")

    def close(self) -> None:
        self._client.close()

    def _check(self, url: str, *, redirected: bool) -> Outcome | None:
        try:
            self._policy.check_url(url)
        except OutboundRefused as error:
            return Failed(
                f"redirected to {url}: {error.sentence}" if redirected else error.sentence
            )
        except HostUnresolved as error:
            return Retry(error.sentence)
        return None

    def _check_peer(self, host: str, response: httpx.Response) -> Outcome | None:
        stream = response.extensions.get("network_stream")
        peer = stream.get_extra_info("server_addr") if stream is not None else None
        if not peer:
            return None
        try:
            self._policy.check_address(host, str(peer[0]))
        except OutboundRefused as error:
            return Failed(f"the reply came from a refused address: {error.sentence}")
        return None

    def _classify(self, host: str, response: httpx.Response, reply: str) -> Outcome:
        code = response.status_code
        said = f"{host} answered HTTP {code}"
        if 200 <= code < 300:
            return Delivered(said)
        excerpt = f": {reply}" if reply else ""
        if code == 410:
            return Gone(f"{said} (Gone){excerpt}")
        if code in (408, 429) or code >= 500:
            after = _retry_after(response.headers.get("retry-after"), self._clock)
            return Retry(f"{said}{excerpt}", after_seconds=after)
        return Failed(f"{said}{excerpt}")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port


def _read_some(response: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= _MAX_REPLY:
            break
    text = b"".join(chunks)[:_MAX_REPLY].decode("utf-8", "replace")
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"


def _retry_after(value: str | None, clock: Clock) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent
    or unreadable (the sender's backoff decides then)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - clock.now()).total_seconds())
