"""The ASGI app the server runs: the senders' routes are answered here, the rest by FastAPI.

An ingest request is most of what a busy Tocsin serves, and FastAPI's stack costs more than
the request's own HTTP work: each layer (server-error, telemetry, body-limit and request
middleware, then Starlette's router walking every route) is a coroutine with its own
wrapped `send`, and every ingest request would pass through all of them. So the senders'
routes (`web.ingest.build_routes`) are matched first, here, and get what the middleware gives
every other request, done once: the body limit and NUL check, metrics and the request log,
and a 500 problem for an error nobody foresaw. Everything else, including a sender's path
with the wrong method, goes to FastAPI unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, cast

from fastapi import FastAPI
from starlette.datastructures import State
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from tocsin.web import errors
from tocsin.web.metrics import Metrics
from tocsin.web.middleware import BodyTooLarge, observe, refusal, send_problem, too_large

log = logging.getLogger("tocsin.web")
CLIENT_GONE = 499  # counted for a sender that hung up before its answer (nginx's number)


class _ReadRequest(Request):
    """A request whose body was read already (Starlette reads it through an async
    generator: a few microseconds of every alert)."""

    def __init__(self, scope: Scope, receive: Receive, body: bytes) -> None:
        super().__init__(scope, receive)
        self._whole_body = body

    async def body(self) -> bytes:
        return self._whole_body


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            return body


class Front:
    """Senders' routes (`sender_routes`, from `web.ingest.build_routes`) first, FastAPI
    (`api`) for everything else (see the module)."""

    def __init__(
        self,
        api: FastAPI,
        sender_routes: Sequence[Route],
        *,
        metrics: Metrics,
        max_body: int,
        trusted_proxies: str = "",
    ) -> None:
        self.api = api
        self.metrics = metrics
        self.max_body = max_body
        # Most senders' paths have no parameters: one dictionary look-up finds them.
        self._exact = {r.path: (r,) for r in sender_routes if not r.param_convertors}
        self._patterned = tuple(r for r in sender_routes if r.param_convertors)
        # Behind a trusted reverse proxy the client's address and scheme are the ones it
        # forwards: what the refusal limits count, and what makes cookies Secure.
        self._entry: Any = (
            ProxyHeadersMiddleware(cast(Any, self._dispatch), trusted_hosts=trusted_proxies)
            if trusted_proxies
            else self._dispatch
        )

    # What callers of the FastAPI app ask of the app they were given.
    @property
    def state(self) -> State:
        return self.api.state

    @property
    def routes(self) -> list[BaseRoute]:
        return self.api.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._entry(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self._exact.get(scope["path"], self._patterned):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child_scope)
                    scope["route"] = route  # what metrics and the log name it by
                    await self._sender(route, scope, receive, send)
                    return
        await self.api(scope, receive, send)

    async def _sender(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        scope["app"] = self.api  # where the endpoints find Tocsin (request.app.state)
        status = 500
        answering = False
        try:
            refused = refusal(scope, self.max_body)
            if refused is None:
                body = await _read_body(receive, self.max_body)
                response: Any = await route.endpoint(_ReadRequest(scope, receive, body))
                status, answering = response.status_code, True
                await response(scope, receive, send)
            else:
                status = refused[0]
                await send_problem(send, *refused)
        except BodyTooLarge:
            status = 413
            await send_problem(send, *too_large(self.max_body))
        except ClientDisconnect:
            status = CLIENT_GONE
        except Exception:
            log.exception("unhandled error", extra={"path": scope["path"]})
            status = 500
            if not answering:
                await errors.unexpected()(scope, receive, send)
        finally:
            observe(self.metrics, scope, status, started)
