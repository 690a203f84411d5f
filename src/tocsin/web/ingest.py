"""Ingest endpoints, built from the senders' registry entries (`tocsin.integrations`): each
sender is served on the routes its `IntegrationType` declares, authenticated by the key where
it says the key is, answered in its own protocol by its own `answers`, and only after commit.
Nothing here names a sender: a new one is a module that registers its type."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from time import perf_counter
from types import MappingProxyType
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.routing import Route

from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.payloads import payload_text, without_key
from tocsin.auth.service import Denial
from tocsin.bootstrap import Tocsin
from tocsin.core.jsontext import json_encoder
from tocsin.integrations import registry
from tocsin.integrations.base import (
    Answer,
    HttpRoute,
    IntegrationType,
    KeyFrom,
    Parsed,
    PayloadError,
)
from tocsin.web.access import IntegrationKey, get_app

log = logging.getLogger("tocsin.ingest")
Endpoint = Callable[[Request], Awaitable[Response]]


async def _refused(app: Tocsin, request: Request, reason: str) -> None:
    source = request.client.host if request.client else "unknown"
    path = request.scope["path"]
    await app.auth.audit_refused(
        Denial(None, what=f"{request.method} {path}", source=source, reason=reason)
    )


def _log_misconfigured(integration: IntegrationRef, exc: PayloadError) -> None:
    log.error(
        "integration configuration rejected by its parser",
        extra={"integration": integration.name, "detail": exc.message},
    )


# One encoder for every answer (JSONResponse builds a new one each time), spelled as
# JSONResponse spells it.
_ENCODE = json_encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
# The configuration a sender's payload is parsed with when it carries the key itself (the
# integration is known only once it is parsed).
_NO_CONFIG: Mapping[str, Any] = MappingProxyType({})


def _respond(answer: Answer) -> Response:
    status, content, media_type = answer
    return Response(_ENCODE(content).encode(), status_code=status, media_type=media_type)


def key_reader(source: KeyFrom) -> Callable[[Request], str]:
    """The key a request presents in its `Authorization` header or its query ("": none)."""
    scheme = source.scheme.lower() if source.scheme is not None else None
    query = source.query

    def key_of(request: Request) -> str:
        if scheme is not None:
            header = request.headers.get("authorization", "")
            given, _, value = header.partition(" ")
            if given.lower() == scheme and value.strip():
                return value.strip()
        return request.query_params.get(query, "") if query is not None else ""

    return key_of


def _parser(kind: IntegrationType, spec: HttpRoute) -> Callable[..., Parsed]:
    """run(request, body, received_at, config): the route's parser, given what it reads."""
    parse_request = spec.parse
    if parse_request is None:
        parse = kind.parse

        def run(request: Request, body: bytes, received_at: datetime, config: Any) -> Parsed:
            return parse(body, headers=request.headers, received_at=received_at, config=config)

    else:

        def run(request: Request, body: bytes, received_at: datetime, config: Any) -> Parsed:
            return parse_request(
                body,
                params=request.path_params,
                query=request.query_params,
                headers=request.headers,
                received_at=received_at,
                config=config,
            )

    return run


def _endpoint(kind: IntegrationType, spec: HttpRoute) -> Endpoint:
    """The endpoint of one route. All it consults of the registry entry is bound here,
    once: a request costs no registry work."""
    name, path, check_params, run = kind.name, spec.path, spec.check_params, _parser(kind, spec)
    answers = kind.answers
    accepted, refused, unknown_key = answers.accepted, answers.refused, answers.unknown_key
    wrong_type, timed = answers.wrong_type, answers.timed
    tracks_requests = answers.tracks_requests
    key_in_body, key_of = kind.key.in_body, key_reader(kind.key)
    reason = f"unknown or disabled {kind.key.name}"

    async def endpoint(request: Request) -> Response:
        started = perf_counter() if timed else 0.0
        app = get_app(request)
        if check_params is not None:
            refusal = check_params(request.path_params, started)
            if refusal is not None:
                return _respond(refusal)
        body = await request.body()
        if key_in_body:  # the payload carries the key: parsed before the integration is known
            try:
                parsed = run(request, body, app.clock.now(), _NO_CONFIG)
            except PayloadError as exc:
                return _respond(refused(exc, started))
            integration = app.integrations.by_key(parsed.key or "")
        else:
            integration = app.integrations.by_key(key_of(request))
        if integration is None or not integration.enabled or integration.type != name:
            if integration is not None and integration.enabled and wrong_type is not None:
                return _respond(wrong_type(integration.type, path, started))
            await _refused(app, request, reason)
            return _respond(unknown_key(started))
        if not key_in_body:
            config = integration.config.parser
            try:
                parsed = run(request, body, app.clock.now(), config)
            except PayloadError as exc:
                if exc.status >= 500:  # the integration's configuration, not the sender, is wrong
                    _log_misconfigured(integration, exc)
                return _respond(refused(exc, started))
        # decoded once: every alert of the request shares the one string
        payload = payload_text(body) if parsed.alerts else None
        if key_in_body and payload is not None:
            payload = without_key(payload, parsed.key)
        if tracks_requests:
            parsed = replace(parsed, request_id=str(uuid.uuid4()))
        outcomes = await app.alerts.store(
            integration, parsed.alerts, payload, request_id=parsed.request_id
        )
        return _respond(accepted(parsed, outcomes, started))

    endpoint.__name__ = endpoint.__qualname__ = spec.operation_id
    return endpoint


def _route(spec: HttpRoute, endpoint: Any) -> Route:
    """A plain Starlette route, answered by `web.front.Front` before FastAPI sees the
    request (the senders' hot path skips FastAPI's middleware and router). Its access rule
    rides on the endpoint, where the route-table test finds it; its documentation is added
    to the OpenAPI schema."""
    endpoint.access_rule = IntegrationKey()
    endpoint.openapi = {"summary": spec.summary, "description": spec.description}
    return Route(spec.path, endpoint, methods=["POST"])


def build_routes(kinds: Iterable[IntegrationType] | None = None) -> list[Route]:
    """The routes of every registered sender (or of `kinds`), built once per app."""
    if kinds is None:
        kinds = [registry.get(name) for name in registry.names()]
    routes: list[Route] = []
    taken: dict[str, str] = {}
    for kind in kinds:
        for spec in kind.routes:
            for claim in (spec.path, spec.operation_id):
                if claim in taken:
                    raise ValueError(
                        f"integration types {taken[claim]!r} and {kind.name!r} both declare "
                        f"{claim!r} (a route's path or operation id)"
                    )
                taken[claim] = kind.name
            routes.append(_route(spec, _endpoint(kind, spec)))
    return routes


def document(schema: dict[str, Any], routes: Sequence[Route]) -> dict[str, Any]:
    """Add the ingest routes (plain Starlette routes) to FastAPI's OpenAPI schema."""
    paths = schema.setdefault("paths", {})
    for route in routes:
        info = route.endpoint.openapi  # type: ignore[attr-defined]
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.param_convertors
        ]
        paths[route.path] = {
            "post": {
                "tags": ["ingest"],
                "summary": info["summary"],
                "description": info["description"],
                "operationId": route.endpoint.__name__,
                "parameters": parameters,
                "requestBody": {"content": {"application/json": {"schema": {}}}},
                "responses": {
                    "202": {"description": "Stored (committed)"},
                    "400": {"description": "Malformed: nothing stored"},
                    "401": {"description": "Unknown integration key"},
                    "413": {"description": "Body too large"},
                },
            }
        }
    return schema
