"""Generic JSON alerts: Tocsin's own documented format, for scripts and tools without a
dedicated integration. The text below is the user documentation (Markdown).

## The generic JSON format

`POST /api/v1/ingest/generic` with `Content-Type: application/json` and a body that is one
alert object, a list of alert objects, or `{"alerts": [ ... ]}` (at most 1000 alerts and
1 MB per request; an empty list is accepted and does nothing). Each alert object has:

- `summary` (string, at most 1024 characters): what is wrong, in one line. Required to
  trigger.
- `status` (`firing`, `resolved` or `acknowledged`) or `action` (`trigger`, `resolve` or
  `acknowledge`): what happens to the alert. Give either one (or both, if they agree); with
  neither, the alert triggers.
- `dedup_key` (string, at most 255 characters): your key for this alert. A trigger with the
  key of an open alert updates that alert; a resolve closes it. Without a key a trigger
  always opens a new alert (Tocsin makes up its key), and resolve / acknowledge are refused.
- `severity` (`critical`, `error`, `warning` or `info`): default `error` (each integration
  can change it with its `default_severity` setting).
- `source` (string, at most 255 characters): the host, instance or component with the
  problem.
- `service` (string, at most 255 characters): the name of the affected service, used to
  route the alert.
- `description` (string, at most 100,000 characters): the details, on several lines.
- `labels` (object of strings, values at most 1024 characters): short key / value facts used
  by rules and filters.
- `details` (object, any JSON): anything else worth keeping with the alert.
- `links` (list of URLs): runbooks, dashboards, graphs.
- `timestamp` (ISO 8601 date and time, e.g. `2026-03-02T09:00:00Z`; without an offset it is
  UTC): when the problem started (trigger) or ended (resolve).

Case does not matter in `status`, `action` and `severity`. Unknown fields are refused, so a
misspelt field does not go unnoticed.

Examples:

    {"summary": "Disk almost full on db-01", "dedup_key": "disk-db-01",
     "severity": "warning", "source": "db-01", "service": "billing",
     "labels": {"mount": "/var"}, "links": ["https://runbooks.example.com/disk"]}

    {"status": "resolved", "dedup_key": "disk-db-01"}

The answer is 202 once the alerts are stored; 400 with `errors` [{field, message}] naming
every problem (in a list the field is `[2].severity`, in `{"alerts": ...}` it is
`alerts[2].severity`); 413 for a body over 1 MB or more than 1000 alerts.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tocsin.integrations._common import (
    SEVERITY_NAMES,
    SEVERITY_VALUES,
    Errors,
    check_severity_config,
    config_severity,
    kind,
    load_json,
    opt_list,
    opt_obj,
    opt_str,
    opt_time,
    path_of,
    str_map,
)
from tocsin.integrations.base import (
    AlertAction,
    FieldError,
    IntegrationType,
    NormalizedAlert,
    Parsed,
    PayloadError,
    Severity,
    ingest_route,
)

MAX_BODY = 1024 * 1024
MAX_ALERTS = 1000
FIELDS = ("summary", "status", "action", "dedup_key", "severity", "source", "service",
          "description", "labels", "details", "links", "timestamp")  # fmt: skip
STATUSES = {
    "firing": AlertAction.TRIGGER,
    "resolved": AlertAction.RESOLVE,
    "acknowledged": AlertAction.ACKNOWLEDGE,
}
DEFAULT_CONFIG: dict[str, Any] = {"default_severity": "error"}


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    default = config_severity(config, "default_severity", Severity.ERROR)
    doc = load_json(body, max_bytes=MAX_BODY)
    prefix = ""
    if isinstance(doc, dict) and "alerts" in doc:
        errors = Errors()
        extra = sorted(set(doc) - {"alerts"})
        if extra:
            errors.add(extra[0], f"'{extra[0]}' is not expected beside 'alerts'")
        items: list[Any] = opt_list(errors, doc, "alerts", required=True) or []
        errors.raise_if_any()
        prefix = "alerts"
    elif isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        items = [doc]
    else:
        message = f"The body must be an alert object or a list of them, not {kind(doc)}."
        raise PayloadError(message, [FieldError("body", message)])
    if len(items) > MAX_ALERTS:
        message = f"The body holds {len(items)} alerts; send at most {MAX_ALERTS} per request."
        raise PayloadError(message, [FieldError(prefix or "body", message)], status=413)
    errors = Errors()
    alerts = []
    for index, item in enumerate(items):
        where = path_of(prefix, index) if prefix or isinstance(doc, list) else ""
        alert = _alert(errors, item, where, default)
        if alert is not None:
            alerts.append(alert)
    errors.raise_if_any()
    return Parsed(alerts=alerts)


def _alert(errors: Errors, item: Any, path: str, default: Severity) -> NormalizedAlert | None:
    if not isinstance(item, dict):
        errors.add(path or "body", f"'{path or 'body'}' must be an alert object, not {kind(item)}")
        return None
    before = len(errors)
    for key in item:
        if key not in FIELDS:
            where = path_of(path, key)
            close = difflib.get_close_matches(key[:64], FIELDS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            errors.add(where, f"'{where}' is not a field of the generic format{hint}")
    action = _action(errors, item, path)
    summary = opt_str(
        errors,
        item,
        "summary",
        path,
        required=action is AlertAction.TRIGGER,
        blank_ok=action is not AlertAction.TRIGGER,
        max_len=1024,
    )
    dedup_key = opt_str(errors, item, "dedup_key", path, max_len=255)
    dedup_key = dedup_key.strip() if dedup_key and dedup_key.strip() else None
    if action not in (None, AlertAction.TRIGGER) and dedup_key is None:
        where = path_of(path, "dedup_key")
        if not errors.has(where):
            errors.add(where, f"'{where}' is required to resolve or acknowledge an alert")
    severity = default
    severity_text = opt_str(errors, item, "severity", path)
    if severity_text is not None:
        if severity_text.strip().lower() in SEVERITY_VALUES:
            severity = Severity(severity_text.strip().lower())
        else:
            where = path_of(path, "severity")
            errors.add(where, f"'{where}' must be one of {SEVERITY_NAMES}")
    texts = {
        key: opt_str(errors, item, key, path, max_len=limit)
        for key, limit in (("source", 255), ("service", 255), ("description", 100_000))
    }
    labels = str_map(errors, item, "labels", path, max_len=1024)
    details = opt_obj(errors, item, "details", path) or {}
    links = _links(errors, item, path)
    occurred_at = opt_time(errors, item, "timestamp", path)
    if len(errors) > before or action is None:
        return None
    return NormalizedAlert(
        action=action,
        dedup_key=dedup_key,
        summary=(summary or "").strip(),
        severity=severity,
        description=texts["description"] or "",
        source=(texts["source"] or "").strip() or None,
        service=(texts["service"] or "").strip() or None,
        labels=labels,
        details=details,
        links=links,
        occurred_at=occurred_at,
    )


def _action(errors: Errors, item: Mapping[str, Any], path: str) -> AlertAction | None:
    status = opt_str(errors, item, "status", path)
    action_text = opt_str(errors, item, "action", path)
    by_status = by_action = None
    if status is not None:
        by_status = STATUSES.get(status.strip().lower())
        if by_status is None:
            where = path_of(path, "status")
            errors.add(where, f"'{where}' must be 'firing', 'resolved' or 'acknowledged'")
    if action_text is not None:
        if action_text.strip().lower() in {a.value for a in AlertAction}:
            by_action = AlertAction(action_text.strip().lower())
        else:
            where = path_of(path, "action")
            errors.add(where, f"'{where}' must be 'trigger', 'resolve' or 'acknowledge'")
    if by_status and by_action and by_status is not by_action:
        where = path_of(path, "action")
        errors.add(where, f"'{where}' contradicts 'status'; give one of them")
        return None
    if (status is not None and by_status is None) or (action_text is not None and not by_action):
        return None
    return by_status or by_action or AlertAction.TRIGGER


def _links(errors: Errors, item: Mapping[str, Any], path: str) -> list[str]:
    links: list[str] = []
    for index, link in enumerate(opt_list(errors, item, "links", path) or []):
        where = path_of(path_of(path, "links"), index)
        if not isinstance(link, str) or not link.strip() or len(link) > 4096:
            errors.add(where, f"'{where}' must be a URL (a string of at most 4096 characters)")
        else:
            links.append(link.strip())
    return links


def check_config(config: Mapping[str, Any]) -> list[FieldError]:
    return check_severity_config(config, "default_severity")


TYPE = IntegrationType(
    name="generic",
    title="Generic JSON",
    parse=parse,
    default_config=DEFAULT_CONFIG,
    check_config=check_config,
    routes=(ingest_route("generic"),),
)
