"""Change events from senders: PagerDuty's Change Events API (``POST /v2/change/enqueue``,
the routing key of a `pagerduty` integration) and Tocsin's change webhook (``POST
/api/v1/ingest/change``, the key of a `generic` integration as ``Authorization: Bearer`` or
``?key=``), for deploy tools and CI jobs. Each answers in its sender's protocol, 202 only
after the changes are committed; a refused payload records nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.alerts.keys import IntegrationRef
from tocsin.auth.service import Denial
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import ValidationFailed
from tocsin.core.jsontext import json_encoder
from tocsin.integrations import pagerduty
from tocsin.integrations.base import (
    BEARER_OR_QUERY,
    TOCSIN_ANSWERS,
    Answer,
    Answers,
    FieldError,
    PayloadError,
)
from tocsin.integrations.changes import ChangeEvent, parse_pagerduty, parse_webhook
from tocsin.web.access import IntegrationKey, get_app
from tocsin.web.ingest import key_reader

router = APIRouter(tags=["ingest"])
_ENCODE = json_encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_RESPONSES: dict[int | str, dict[str, str]] = {
    400: {"description": "Malformed or unknown key: nothing recorded"},
    413: {"description": "Body too large"},
}
_bearer_key = key_reader(BEARER_OR_QUERY)
# The type whose key each route takes: a change arrives on the integration that already
# pages for the service, so no new integration type is needed.
PAGERDUTY, WEBHOOK = "pagerduty", "generic"


def _respond(answer: Answer) -> Response:
    status, content, media_type = answer
    return Response(_ENCODE(content).encode(), status_code=status, media_type=media_type)


async def _audit_refused(app: Tocsin, request: Request, reason: str) -> None:
    source = request.client.host if request.client else "unknown"
    await app.auth.audit_refused(
        Denial(None, what=f"POST {request.url.path}", source=source, reason=reason)
    )


async def _record(
    app: Tocsin,
    answers: Answers,
    integration: IntegrationRef,
    events: list[ChangeEvent],
    accepted: Callable[[list[int]], Answer],
) -> Response:
    try:
        changes = await run_in_threadpool(app.changes.record_from, integration, events)
    except ValidationFailed as exc:
        error = PayloadError(exc.detail, [FieldError(exc.field or "body", exc.detail)])
        return _respond(answers.refused(error, 0.0))
    return _respond(accepted([change.id for change in changes]))


@router.post(
    "/v2/change/enqueue",
    summary="PagerDuty Change Events API: record a change",
    description="Drop-in for PagerDuty's change events endpoint: `routing_key` is the key of "
    "a `pagerduty` integration; the change is recorded on its service. Answers 202 "
    '`{"status": "success", "message": "Change event processed"}` after commit, 400 '
    "`invalid event` with `errors[]`.",
    responses=_RESPONSES,
    status_code=202,
    dependencies=[Depends(IntegrationKey())],
)
async def pagerduty_change(request: Request) -> Response:
    app = get_app(request)
    answers = pagerduty.TYPE.answers
    try:
        event = parse_pagerduty(await request.body(), received_at=app.clock.now())
    except PayloadError as exc:
        return _respond(answers.refused(exc, 0.0))
    integration = app.integrations.by_key(event.routing_key)
    if integration is None or not integration.enabled or integration.type != PAGERDUTY:
        await _audit_refused(app, request, "unknown or disabled routing key")
        return _respond(answers.unknown_key(0.0))
    return await _record(
        app,
        answers,
        integration,
        [event.change],
        lambda ids: (
            202,
            {"status": "success", "message": "Change event processed"},
            "application/json",
        ),
    )


def _change_refused(exc: PayloadError, started: float) -> Answer:
    """Tocsin's problem answer, titled for what was refused."""
    status, body, media_type = TOCSIN_ANSWERS.refused(exc, started)
    return status, {**body, "title": "Change refused"}, media_type


# Tocsin's own protocol (problem+json), as the /api/v1/ingest/* alert routes answer.
WEBHOOK_ANSWERS = replace(TOCSIN_ANSWERS, refused=_change_refused)


def _webhook_accepted(ids: list[int]) -> Answer:
    body: dict[str, Any] = {"status": "accepted", "changes": len(ids), "ids": ids}
    return 202, body, "application/json"


@router.post(
    "/api/v1/ingest/change",
    summary="Record changes (deploys, configuration) from a CI/CD job",
    description="Authenticate with the key of a `generic` integration as `Authorization: "
    "Bearer <key>` or `?key=`. The body is one change `{summary, source, link, at, details, "
    "service}` or a list of at most 100. Answers 202 `{status, changes, ids}` after commit; "
    "400 / 413 problem+json naming what is wrong, nothing recorded.",
    responses=_RESPONSES,
    status_code=202,
    dependencies=[Depends(IntegrationKey())],
)
async def change_webhook(request: Request) -> Response:
    app = get_app(request)
    answers = WEBHOOK_ANSWERS
    integration = app.integrations.by_key(_bearer_key(request))
    if integration is None or not integration.enabled or integration.type != WEBHOOK:
        if integration is not None and integration.enabled and answers.wrong_type is not None:
            return _respond(answers.wrong_type(integration.type, request.url.path, 0.0))
        await _audit_refused(app, request, "unknown or disabled integration key")
        return _respond(answers.unknown_key(0.0))
    try:
        events = parse_webhook(await request.body(), received_at=app.clock.now())
    except PayloadError as exc:
        return _respond(answers.refused(exc, 0.0))
    return await _record(app, answers, integration, events, _webhook_accepted)
