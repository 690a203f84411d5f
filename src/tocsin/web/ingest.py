"""Ingest endpoints: each sender is answered in its own protocol, and only after commit."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.routing import Route

from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.keys import IntegrationRef
from tocsin.auth.service import Denial
from tocsin.bootstrap import Tocsin
from tocsin.core.jsontext import json_encoder
from tocsin.integrations import opsgenie, pagerduty, registry
from tocsin.integrations.base import NormalizedAlert, Parsed, PayloadError
from tocsin.web.access import IntegrationKey, get_app

log = logging.getLogger("tocsin.ingest")
KEYED_TYPES = ("alertmanager", "grafana", "generic", "suricata")


async def _refused(app: Tocsin, request: Request, reason: str) -> None:
    """Audit a refused key before answering, in group commit with the other refusals of
    the moment: a flood of bad keys must not cost a transaction each on the event loop
    that serves the good ones."""
    source = request.client.host if request.client else "unknown"
    path = request.scope["path"]
    await app.denials.store(
        [Denial(None, what=f"{request.method} {path}", source=source, reason=reason)]
    )


async def _store(
    app: Tocsin, integration: IntegrationRef, alerts: Sequence[NormalizedAlert]
) -> list[Outcome]:
    return await app.batcher.store([Item(integration, alert) for alert in alerts])


def _log_misconfigured(integration: IntegrationRef, exc: PayloadError) -> None:
    log.error(
        "integration configuration rejected by its parser",
        extra={"integration": integration.name, "detail": exc.message},
    )


# One encoder for every answer (JSONResponse builds a new one each time), spelled as
# JSONResponse spells it.
_ENCODE = json_encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json(content: Any, status: int, media_type: str = "application/json") -> Response:
    return Response(_ENCODE(content).encode(), status_code=status, media_type=media_type)


def _problem(status: int, detail: str, **extra: Any) -> Response:
    return _json(
        {
            "type": "about:blank",
            "title": "Alert refused",
            "status": status,
            "detail": detail,
            **extra,
        },
        status,
        "application/problem+json",
    )


# PagerDuty Events API v2 --------------------------------------------------------------------


def _pd_invalid(message: str, errors: list[str], status: int = 400) -> Response:
    return _json({"status": "invalid event", "message": message, "errors": errors}, status)


async def pagerduty_enqueue(request: Request) -> Response:
    app = get_app(request)
    body = await request.body()
    try:
        parsed = pagerduty.parse(
            body, headers=request.headers, received_at=app.clock.now(), config={}
        )
    except PayloadError as exc:
        return _pd_invalid(
            exc.message, [e.message for e in exc.errors] or [exc.message], exc.status
        )
    integration = app.integrations.by_key(parsed.key or "")
    if integration is None or integration.type != "pagerduty" or not integration.enabled:
        await _refused(app, request, "unknown or disabled routing key")
        return _pd_invalid(
            "Event object is invalid",
            ["'routing_key' is not the key of an enabled PagerDuty integration"],
        )
    outcomes = await _store(app, integration, parsed.alerts)
    dedup_key = outcomes[0].dedup_key if outcomes else None
    return _json({"status": "success", "message": "Event processed", "dedup_key": dedup_key}, 202)


# Opsgenie Alert API ---------------------------------------------------------------------------


def _genie_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "geniekey" and value.strip():
        return value.strip()
    return request.query_params.get("apiKey", "")


def _opsgenie_answer(started: float) -> Response:
    return _json(
        {
            "result": "Request will be processed",
            "took": round(time.perf_counter() - started, 3),
            "requestId": str(uuid.uuid4()),
        },
        202,
    )


async def _opsgenie_integration(app: Tocsin, request: Request) -> IntegrationRef | None:
    integration = app.integrations.by_key(_genie_key(request))
    if integration is None or integration.type != "opsgenie" or not integration.enabled:
        await _refused(app, request, "unknown or disabled GenieKey")
        return None
    return integration


def _opsgenie_error(message: str, status: int, started: float) -> Response:
    return _json(
        {
            "message": message,
            "took": round(time.perf_counter() - started, 3),
            "requestId": str(uuid.uuid4()),
        },
        status,
    )


async def opsgenie_create(request: Request) -> Response:
    started = time.perf_counter()
    app = get_app(request)
    integration = await _opsgenie_integration(app, request)
    if integration is None:
        return _opsgenie_error("Key format is not valid or the key is unknown.", 401, started)
    try:
        parsed = opsgenie.parse(
            await request.body(),
            headers=request.headers,
            received_at=app.clock.now(),
            config=integration.config.parser,
        )
    except PayloadError as exc:
        return _opsgenie_error(exc.message, exc.status if exc.status != 400 else 422, started)
    await _store(app, integration, parsed.alerts)
    return _opsgenie_answer(started)


async def opsgenie_action(request: Request) -> Response:
    identifier = str(request.path_params["identifier"])
    action = str(request.path_params["action"])
    started = time.perf_counter()
    app = get_app(request)
    if action not in ("close", "acknowledge"):
        return _opsgenie_error(
            f"Unknown action {action!r}; use close or acknowledge.", 404, started
        )
    integration = await _opsgenie_integration(app, request)
    if integration is None:
        return _opsgenie_error("Key format is not valid or the key is unknown.", 401, started)
    try:
        parsed = opsgenie.parse_action(
            action,
            identifier,
            request.query_params.get("identifierType", "id"),
            await request.body(),
            received_at=app.clock.now(),
        )
    except PayloadError as exc:
        return _opsgenie_error(exc.message, exc.status if exc.status != 400 else 422, started)
    await _store(app, integration, parsed.alerts)
    return _opsgenie_answer(started)


# Tocsin's own ingest endpoints ---------------------------------------------------------------


def _bearer_or_query_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("key", "")


async def ingest(request: Request, kind: str) -> Response:
    app = get_app(request)
    integration = app.integrations.by_key(_bearer_or_query_key(request))
    if integration is None or not integration.enabled:
        await _refused(app, request, "unknown or disabled integration key")
        return _problem(
            401,
            "Send the integration key as `Authorization: Bearer <key>` or "
            "`?key=<key>` (create one with `tocsin integration create`).",
        )
    if integration.type != kind:
        return _problem(
            400,
            f"This key belongs to a {integration.type} integration; send it "
            f"to that endpoint, not to /api/v1/ingest/{kind}.",
        )
    try:
        parsed: Parsed = registry.get(kind).parse(
            await request.body(),
            headers=request.headers,
            received_at=app.clock.now(),
            config=integration.config.parser,
        )
    except PayloadError as exc:
        if exc.status >= 500:  # the integration's configuration, not the sender, is wrong
            _log_misconfigured(integration, exc)
        return _problem(
            exc.status,
            exc.message,
            errors=[{"field": e.field, "message": e.message} for e in exc.errors],
        )
    outcomes = await _store(app, integration, parsed.alerts)
    return _json(
        {
            "status": "accepted",
            "alerts": len(outcomes),
            "ignored": parsed.ignored,
            "results": [
                {"dedup_key": o.dedup_key, "result": o.result, "incident": o.incident_number}
                for o in outcomes
            ],
        },
        202,
    )


def _endpoint(kind: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return await ingest(request, kind)

    endpoint.__name__ = f"ingest_{kind}"
    return endpoint


def _route(path: str, endpoint: Any, summary: str, description: str) -> Route:
    """A plain Starlette route, answered by `web.front.Front` before FastAPI sees the
    request (the senders' hot path skips FastAPI's middleware and router). Its access rule
    rides on the endpoint, where the route-table test finds it; its documentation is added
    to the OpenAPI schema."""
    endpoint.access_rule = IntegrationKey()
    endpoint.openapi = {"summary": summary, "description": description}
    return Route(path, endpoint, methods=["POST"])


routes: list[Route] = [
    _route(
        "/v2/enqueue",
        pagerduty_enqueue,
        "PagerDuty Events API v2 (trigger / acknowledge / resolve)",
        "Drop-in for PagerDuty's events endpoint: `routing_key` is the integration key. "
        "Answers 202 `{status, message, dedup_key}` after commit, 400 `invalid event` "
        "with `errors[]`, 413 over 512 KB.",
    ),
    _route(
        "/v2/alerts",
        opsgenie_create,
        "Opsgenie Alert API: create an alert (alias = dedup key)",
        "`Authorization: GenieKey <key>`. Answers 202 `{result, took, requestId}`.",
    ),
    _route(
        "/v2/alerts/{identifier}/{action}",
        opsgenie_action,
        "Opsgenie Alert API: close or acknowledge by alias or id",
        "`action` is `close` or `acknowledge`; `?identifierType=alias|id` (default id).",
    ),
    *(
        _route(
            f"/api/v1/ingest/{kind}",
            _endpoint(kind),
            f"Receive {kind} alerts",
            "Authenticate with `Authorization: Bearer <integration key>` or `?key=`. "
            "Answers 202 `{status, alerts, ignored, results[]}` after commit; 400 / 413 "
            "problem+json naming what is wrong, nothing stored.",
        )
        for kind in KEYED_TYPES
    ),
]


def document(schema: dict[str, Any]) -> dict[str, Any]:
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
