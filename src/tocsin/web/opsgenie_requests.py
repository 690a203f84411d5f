"""Opsgenie's request status, ``GET /v2/alerts/requests/{requestId}``: what became of a
create, close or acknowledge request this integration sent (its alert's id and alias),
authenticated by the same GenieKey, in Opsgenie's own answer shape."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.auth.service import Denial
from tocsin.core.jsontext import json_encoder
from tocsin.integrations import opsgenie
from tocsin.integrations.base import Answer
from tocsin.web.access import IntegrationKey, get_app
from tocsin.web.ingest import key_reader

router = APIRouter(tags=["ingest"])
_genie_key = key_reader(opsgenie.TYPE.key)


_ENCODE = json_encoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _respond(answer: Answer) -> Response:
    status, content, media_type = answer
    return Response(_ENCODE(content).encode(), status_code=status, media_type=media_type)


@router.get(
    "/v2/alerts/requests/{request_id}",
    summary="Opsgenie Alert API: the status of a create / close / acknowledge request",
    description="`Authorization: GenieKey <key>` (the key the request was sent with). "
    "Answers 200 `{data: {success, action, processedAt, integrationId, isSuccess, status, "
    "alertId, alias}, took, requestId}`; 404 `Request not found` for an id this integration "
    "did not send in the last 7 days.",
    responses={401: {"description": "Unknown key"}, 404: {"description": "Request not found"}},
    dependencies=[Depends(IntegrationKey())],
)
async def request_status(request: Request, request_id: str) -> Response:
    started = time.perf_counter()
    app = get_app(request)
    integration = app.integrations.by_key(_genie_key(request))
    if integration is None or not integration.enabled or integration.type != opsgenie.TYPE.name:
        source = request.client.host if request.client else "unknown"
        await app.auth.audit_refused(
            Denial(
                None,
                what="GET /v2/alerts/requests/{requestId}",
                source=source,
                reason="unknown or disabled GenieKey",
            )
        )
        return _respond(opsgenie.TYPE.answers.unknown_key(started))
    record = await run_in_threadpool(app.alerts.request_status, integration, request_id)
    if record is None:
        return _respond(opsgenie.request_not_found(started))
    return _respond(
        opsgenie.request_answer(
            action=record.action,
            result=record.result,
            processed_at=record.processed_at,
            integration_id=record.integration_id,
            alert_id=record.alert_id,
            alias=record.dedup_key,
            started=started,
        )
    )
