"""PagerDuty Events API v2 (``POST /v2/enqueue``): one event per request.

Accepted: a JSON object with ``routing_key`` (string; the endpoint authenticates with it via
`routing_key`), ``event_action`` (``trigger``, ``acknowledge`` or ``resolve``), ``dedup_key``
(optional on trigger, required otherwise, at most 255 characters) and, for a trigger, a
``payload`` with ``summary`` (non-blank, at most 1024 characters), ``source``, ``severity``
(``critical``, ``error``, ``warning`` or ``info``) and optional ``timestamp`` (ISO 8601),
``component``, ``group``, ``class``, ``custom_details`` (any JSON); ``links`` [{href, text}],
``images`` [{src, href, alt}], ``client``, ``client_url``.

On acknowledge / resolve the payload is optional and only what is valid in it is kept, as
PagerDuty does. Refused with 400 (every problem listed, PagerDuty's wording) or, over 512 KB,
with 413.

Mapping: summary, source, severity; labels {component, group, class} when present;
details = custom_details (an object, or {"details": value} otherwise); occurred_at =
payload.timestamp; links = link hrefs, image hrefs (else srcs), then client_url.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tocsin.integrations._common import (
    Errors,
    load_json,
    opt_list,
    opt_obj,
    opt_str,
    opt_time,
    path_of,
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

MAX_BODY = 512 * 1024
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
INVALID = "Event object is invalid"
_ACTIONS = "'trigger', 'acknowledge' or 'resolve'"
_SEVERITIES = "'critical', 'warning', 'error' or 'info'"
_ACTION_BY_NAME = {a.value: a for a in AlertAction}
_SEVERITY_BY_NAME = {s.value: s for s in Severity}
_LINK_FIELDS = ("links", "images", "client_url")


def routing_key(body: bytes) -> str | None:
    """The event's routing_key (the integration key), or None; never raises."""
    try:
        doc = load_json(body, max_bytes=MAX_BODY)
    except PayloadError:
        return None
    key = doc.get("routing_key") if isinstance(doc, dict) else None
    return key if isinstance(key, str) and key.strip() else None


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    doc = load_json(body, max_bytes=MAX_BODY)
    if not isinstance(doc, dict):
        raise PayloadError(INVALID, [FieldError("body", "The event must be a JSON object")])
    errors = Errors()
    key = opt_str(errors, doc, "routing_key", required=True, blank_ok=False)
    action = _action(errors, doc)
    dedup_key = opt_str(errors, doc, "dedup_key", max_len=MAX_DEDUP_KEY)
    if dedup_key is not None and not dedup_key.strip():
        dedup_key = None
    needs_key = action in (AlertAction.ACKNOWLEDGE, AlertAction.RESOLVE)
    if needs_key and dedup_key is None and action is not None and not errors.has("dedup_key"):
        errors.add("dedup_key", f"'dedup_key' is required to {action.value} an alert")
    # The payload, links and images matter on a trigger only; elsewhere keep what is valid.
    extra = Errors()
    fields = _payload(extra, doc, required=action is AlertAction.TRIGGER)
    links = _links(extra, doc)
    if action is AlertAction.TRIGGER:
        errors.extend(extra)
    errors.raise_if_any(INVALID)
    if action is None:  # unreachable: a missing or invalid action is an error above
        raise PayloadError(INVALID, [FieldError("event_action", "'event_action' is missing")])
    alert = NormalizedAlert(action=action, dedup_key=dedup_key, links=links, **fields)
    return Parsed(alerts=[alert], key=key)


def _action(errors: Errors, doc: Mapping[str, Any]) -> AlertAction | None:
    text = opt_str(errors, doc, "event_action", required=True, blank_ok=False)
    if text is None:
        return None
    action = _ACTION_BY_NAME.get(text)
    if action is None:
        errors.add(
            "event_action", f"'event_action' is invalid (must be one of the following: {_ACTIONS})"
        )
    return action


def _payload(errors: Errors, doc: Mapping[str, Any], *, required: bool) -> dict[str, Any]:
    """The NormalizedAlert fields found in `payload` (only those that are valid)."""
    payload = opt_obj(errors, doc, "payload", required=required)
    if payload is None:
        return {}
    fields: dict[str, Any] = {}
    summary = opt_str(
        errors, payload, "summary", "payload", required=True, blank_ok=False, max_len=MAX_SUMMARY
    )
    if summary is not None:
        fields["summary"] = summary
    source = opt_str(errors, payload, "source", "payload", required=True, blank_ok=False)
    if source is not None:
        fields["source"] = source
    severity = opt_str(errors, payload, "severity", "payload", required=True, blank_ok=False)
    if severity is not None:
        if severity in _SEVERITY_BY_NAME:
            fields["severity"] = _SEVERITY_BY_NAME[severity]
        else:
            errors.add(
                "payload.severity",
                f"'payload.severity' is invalid (must be one of the following: {_SEVERITIES})",
            )
    occurred_at = opt_time(errors, payload, "timestamp", "payload")
    if occurred_at is not None:
        fields["occurred_at"] = occurred_at
    labels: dict[str, str] = {}
    for name in ("component", "group", "class"):
        value = opt_str(errors, payload, name, "payload", max_len=1024)
        if value is not None and value.strip():
            labels[name] = value
    fields["labels"] = labels
    custom = payload.get("custom_details")
    if custom is not None:
        fields["details"] = custom if isinstance(custom, dict) else {"details": custom}
    return fields


def _links(errors: Errors, doc: Mapping[str, Any]) -> list[str]:
    links: list[str] = []
    if all(name not in doc for name in _LINK_FIELDS):
        return links
    for index, item in enumerate(opt_list(errors, doc, "links") or []):
        where = path_of("links", index)
        if not isinstance(item, dict):
            errors.add(where, f"'{where}' must be an object with 'href' and 'text'")
            continue
        href = opt_str(errors, item, "href", where, required=True, blank_ok=False, max_len=4096)
        opt_str(errors, item, "text", where)
        if href:
            links.append(href)
    for index, item in enumerate(opt_list(errors, doc, "images") or []):
        where = path_of("images", index)
        if not isinstance(item, dict):
            errors.add(where, f"'{where}' must be an object with 'src', 'href' and 'alt'")
            continue
        src = opt_str(errors, item, "src", where, required=True, blank_ok=False, max_len=4096)
        href = opt_str(errors, item, "href", where, max_len=4096)
        opt_str(errors, item, "alt", where)
        if href or src:
            links.append(href or src or "")
    client_url = opt_str(errors, doc, "client_url", max_len=4096)
    if client_url:
        links.append(client_url)
    return links


# Its answers, PagerDuty's: 202 {status, message, dedup_key}, else `invalid event`.


def _invalid(message: str, errors: list[str], status: int = 400) -> Answer:
    return status, {"status": "invalid event", "message": message, "errors": errors}, JSON


def _accepted(parsed: Parsed, outcomes: Sequence[Stored], started: float) -> Answer:
    dedup_key = outcomes[0].dedup_key if outcomes else None
    return 202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key}, JSON


def _refused(exc: PayloadError, started: float) -> Answer:
    return _invalid(exc.message, [e.message for e in exc.errors] or [exc.message], exc.status)


def _unknown_key(started: float) -> Answer:
    return _invalid(INVALID, ["'routing_key' is not the key of an enabled PagerDuty integration"])


TYPE = IntegrationType(
    name="pagerduty",
    title="PagerDuty Events API v2",
    parse=parse,
    routes=(
        HttpRoute(
            path="/v2/enqueue",
            operation_id="pagerduty_enqueue",
            summary="PagerDuty Events API v2 (trigger / acknowledge / resolve)",
            description="Drop-in for PagerDuty's events endpoint: `routing_key` is the "
            "integration key. Answers 202 `{status, message, dedup_key}` after commit, 400 "
            "`invalid event` with `errors[]`, 413 over 512 KB.",
        ),
    ),
    key=KeyFrom(scheme=None, query=None, in_body=True, name="routing key"),
    answers=Answers(accepted=_accepted, refused=_refused, unknown_key=_unknown_key),
)
