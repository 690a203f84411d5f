"""Opsgenie Alert API: create (``POST /v2/alerts``, `parse`) and close / acknowledge
(``POST /v2/alerts/{identifier}/close|acknowledge?identifierType=alias|id``, `parse_action`).

Create accepts a JSON object with ``message`` (required, non-blank), ``alias``,
``description``, ``tags`` [string], ``details`` {string: string}, ``entity``, ``source``,
``priority`` (P1-P5, default P3), ``user``, ``note``, ``responders``, ``visibleTo``,
``actions``. As Opsgenie does, an over-long ``message`` (130), ``description`` (15,000),
``entity`` (512), ``source``, ``user`` (100) or ``note`` (25,000) is cut, not refused; an
``alias`` over 512 characters is refused, since cutting a key could merge two alerts. Wrong
types are refused with 400, bodies over 1 MB with 413.

Mapping: dedup_key = alias (None: the service generates one); summary = message;
severity from priority (P1 critical, P2 error, P3 warning, P4 and P5 info); source = entity,
else source; labels = details (non-string values as compact JSON) plus every ``key:value``
tag; details = {tags, responders, entity, source, user, note} as present.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tocsin.integrations._common import (
    Errors,
    clean_text,
    kind,
    load_json,
    opt_list,
    opt_obj,
    opt_str,
    path_of,
    truncate,
)
from tocsin.integrations.base import (
    JSON,
    AlertAction,
    Answer,
    Answers,
    FieldError,
    HttpRoute,
    IntegrationType,
    KeyFrom,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Severity,
    Stored,
)

MAX_BODY = 1024 * 1024
MAX_ALIAS = 512
# Opsgenie's own limits; longer values are cut like Opsgenie cuts them.
CUT = {"message": 130, "description": 15000, "entity": 512, "source": 100, "user": 100,
       "note": 25000}  # fmt: skip
PRIORITIES = {
    "P1": Severity.CRITICAL,
    "P2": Severity.ERROR,
    "P3": Severity.WARNING,
    "P4": Severity.INFO,
    "P5": Severity.INFO,
}
INVALID = "Request body is not processable. Please check the errors."
ACTIONS = {"close": AlertAction.RESOLVE, "acknowledge": AlertAction.ACKNOWLEDGE}


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    """A create-alert request."""
    doc = load_json(body, max_bytes=MAX_BODY)
    if not isinstance(doc, dict):
        raise PayloadError(INVALID, [FieldError("body", "The alert must be a JSON object")])
    errors = Errors()
    message = opt_str(errors, doc, "message", required=True, blank_ok=False)
    alias = opt_str(errors, doc, "alias", max_len=MAX_ALIAS)
    description = opt_str(errors, doc, "description")
    texts = {key: opt_str(errors, doc, key) for key in ("entity", "source", "user", "note")}
    severity = Severity.WARNING
    priority = opt_str(errors, doc, "priority")
    if priority is not None:
        if priority.upper() in PRIORITIES:
            severity = PRIORITIES[priority.upper()]
        else:
            errors.add("priority", "'priority' must be one of P1, P2, P3, P4, P5")
    tags = _tags(errors, doc)
    labels = _details(errors, doc)
    responders = opt_list(errors, doc, "responders")
    for key in ("visibleTo", "actions"):
        opt_list(errors, doc, key)
    errors.raise_if_any(INVALID)

    for tag in tags:
        name, colon, value = tag.partition(":")
        if colon and name.strip():
            labels[name.strip()] = value.strip()
    details: dict[str, Any] = {"tags": tags} if tags else {}
    if responders:
        details["responders"] = responders
    for key, text in texts.items():
        if text:
            details[key] = truncate(text, CUT[key])
    alert = NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=alias if alias and alias.strip() else None,
        summary=truncate((message or "").strip(), CUT["message"]),
        severity=severity,
        description=truncate(description or "", CUT["description"]),
        source=details.get("entity") or details.get("source"),
        labels=labels,
        details=details,
    )
    return Parsed(alerts=[alert])


def _tags(errors: Errors, doc: Mapping[str, Any]) -> list[str]:
    tags: list[str] = []
    for index, tag in enumerate(opt_list(errors, doc, "tags") or []):
        if isinstance(tag, str):
            if tag.strip():
                tags.append(tag.strip())
        else:
            where = path_of("tags", index)
            errors.add(where, f"'{where}' must be a string, not {kind(tag)}")
    return tags


def _details(errors: Errors, doc: Mapping[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, value in (opt_obj(errors, doc, "details") or {}).items():
        if isinstance(value, str):
            labels[key] = value
        elif value is not None:
            labels[key] = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return labels


def parse_action(
    action: str,
    identifier: str,
    identifier_type: str | None,
    body: bytes,
    *,
    received_at: datetime,
) -> Parsed:
    """A close or acknowledge request. `identifier` comes from the path, `identifier_type`
    from ``?identifierType=`` (None or empty: ``id``, Opsgenie's default); the body is
    optional JSON {user, source, note}. By alias the alert carries dedup_key, by id
    alert_id. Tiny ids are refused."""
    kind_of = ACTIONS.get(action)
    if kind_of is None:
        raise _refuse(
            "action",
            f"'{clean_text(action[:40])}' is not an alert action; use close or acknowledge",
        )
    id_type = (identifier_type or "id").strip().lower()
    if id_type == "tiny":
        raise _refuse(
            "identifierType",
            "Tiny ids are not supported; identify the alert by its alias (identifierType=alias) "
            "or by its id (identifierType=id)",
        )
    if id_type not in ("id", "alias"):
        raise _refuse("identifierType", "'identifierType' must be 'id' or 'alias'")
    ident = clean_text(identifier).strip()
    if not ident:
        raise _refuse("identifier", "The alert identifier is missing or blank")
    if len(ident) > MAX_ALIAS:
        raise _refuse("identifier", f"The alert identifier is longer than {MAX_ALIAS} characters")
    details: dict[str, Any] = {}
    if body.strip():
        doc = load_json(body, max_bytes=MAX_BODY)
        if not isinstance(doc, dict):
            raise _refuse("body", "The body must be a JSON object")
        errors = Errors()
        texts = {key: opt_str(errors, doc, key) for key in ("user", "source", "note")}
        errors.raise_if_any(INVALID)
        details = {key: truncate(text, CUT[key]) for key, text in texts.items() if text}
    alert = NormalizedAlert(
        action=kind_of,
        dedup_key=ident if id_type == "alias" else None,
        alert_id=ident if id_type == "id" else None,
        details=details,
    )
    return Parsed(alerts=[alert])


def _refuse(field: str, message: str) -> PayloadError:
    return PayloadError(message + ".", [FieldError(field, message)])


def parse_action_request(
    body: bytes,
    *,
    params: Mapping[str, str],
    query: Mapping[str, str],
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    """`parse_action` for ``POST /v2/alerts/{identifier}/{action}?identifierType=``."""
    return parse_action(
        params["action"],
        params["identifier"],
        query.get("identifierType", "id"),
        body,
        received_at=received_at,
    )


# Its answers, Opsgenie's: {result | message, took, requestId}; 422 for a payload refused.


def _answer(status: int, field: str, text: str, started: float) -> Answer:
    took = round(time.perf_counter() - started, 3)
    return status, {field: text, "took": took, "requestId": str(uuid.uuid4())}, JSON


def _accepted(parsed: Parsed, outcomes: Sequence[Stored], started: float) -> Answer:
    status, body, media_type = _answer(202, "result", "Request will be processed", started)
    if parsed.request_id is not None:  # the id `request_status` answers for
        body["requestId"] = parsed.request_id
    return status, body, media_type


# What `GET /v2/alerts/requests/{requestId}` says of a request: by the alert action and
# what the pipeline did with it -> (Opsgenie's action name, success, status sentence).
_REQUEST_ACTIONS = {"trigger": "Create", "resolve": "Close", "acknowledge": "Acknowledge"}
_DONE = {"trigger": "Created alert", "resolve": "Closed alert", "acknowledge": "Acknowledged alert"}
_FAILED = {"unknown": "Alert does not exist"}


def request_status(action: str, result: str) -> tuple[str, bool, str]:
    """(action, success, status) of a recorded request, in Opsgenie's words."""
    failed = _FAILED.get(result)
    if failed is not None:
        return _REQUEST_ACTIONS.get(action, action), False, failed
    return _REQUEST_ACTIONS.get(action, action), True, _DONE.get(action, result)


def request_answer(
    *,
    action: str,
    result: str,
    processed_at: datetime,
    integration_id: int,
    alert_id: int | None,
    alias: str | None,
    started: float,
) -> Answer:
    """Opsgenie's answer to `GET /v2/alerts/requests/{requestId}` for a recorded request."""
    name, success, status = request_status(action, result)
    data = {
        "success": success,
        "action": name,
        "processedAt": processed_at.isoformat().replace("+00:00", "Z"),
        "integrationId": str(integration_id),
        "isSuccess": success,
        "status": status,
        "alertId": str(alert_id) if alert_id is not None else "",
        "alias": alias or "",
    }
    took = round(time.perf_counter() - started, 3)
    # as in every Opsgenie answer, requestId is this request's own id
    return 200, {"data": data, "took": took, "requestId": str(uuid.uuid4())}, JSON


def request_not_found(started: float) -> Answer:
    return _answer(404, "message", "Request not found", started)


def _refused(exc: PayloadError, started: float) -> Answer:
    return _answer(exc.status if exc.status != 400 else 422, "message", exc.message, started)


def _unknown_key(started: float) -> Answer:
    return _answer(401, "message", "Key format is not valid or the key is unknown.", started)


def _known_action(params: Mapping[str, str], started: float) -> Answer | None:
    action = params["action"]
    if action in ACTIONS:
        return None
    return _answer(404, "message", f"Unknown action {action!r}; use close or acknowledge.", started)


TYPE = IntegrationType(
    name="opsgenie",
    title="Opsgenie Alert API",
    parse=parse,
    routes=(
        HttpRoute(
            path="/v2/alerts",
            operation_id="opsgenie_create",
            summary="Opsgenie Alert API: create an alert (alias = dedup key)",
            description="`Authorization: GenieKey <key>`. Answers 202 `{result, took, requestId}`.",
        ),
        HttpRoute(
            path="/v2/alerts/{identifier}/{action}",
            operation_id="opsgenie_action",
            summary="Opsgenie Alert API: close or acknowledge by alias or id",
            description="`action` is `close` or `acknowledge`; `?identifierType=alias|id` "
            "(default id).",
            parse=parse_action_request,
            check_params=_known_action,
        ),
    ),
    key=KeyFrom(scheme="geniekey", query="apiKey", name="GenieKey"),
    answers=Answers(
        accepted=_accepted,
        refused=_refused,
        unknown_key=_unknown_key,
        timed=True,
        tracks_requests=True,
    ),
)
