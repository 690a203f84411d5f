"""Change events from senders (pure): PagerDuty's Change Events API (``POST
/v2/change/enqueue``, `parse_pagerduty`) and Tocsin's own change webhook (``POST
/api/v1/ingest/change``, `parse_webhook`).

PagerDuty: a JSON object with ``routing_key`` (the integration key), ``payload`` {``summary``
(required, non-blank, at most 1024 characters), ``timestamp`` (ISO 8601, default: when it was
received), ``source``, ``custom_details`` (any JSON)} and ``links`` [{``href``, ``text``}].
Mapping: link = the first link's href; details = custom_details (an object, or
{"details": value}), plus every link under ``links`` when there are several.

Webhook: one change object or a list of at most `MAX_BATCH`, each {``summary`` (required),
``source``, ``link``, ``at`` (ISO 8601, default: when received), ``details`` (an object),
``service`` (a service slug of the integration's customer; default: the integration's)}.

Every problem of a payload is listed at once, each naming its field; nothing is kept of a
payload with one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
from tocsin.integrations.base import FieldError, PayloadError

MAX_BODY = 512 * 1024
MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_LINK = 4096
MAX_BATCH = 100
INVALID_PD = "Event object is invalid"
INVALID_WEBHOOK = "The change is invalid; nothing was recorded."


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One change as a sender reported it."""

    summary: str
    at: datetime
    source: str = ""
    link: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    service: str | None = None  # a slug the sender names (webhook only)


@dataclass(frozen=True, slots=True)
class PagerDutyChange:
    routing_key: str
    change: ChangeEvent


def parse_pagerduty(body: bytes, *, received_at: datetime) -> PagerDutyChange:
    doc = load_json(body, max_bytes=MAX_BODY)
    if not isinstance(doc, dict):
        raise PayloadError(INVALID_PD, [FieldError("body", "The event must be a JSON object")])
    errors = Errors()
    key = opt_str(errors, doc, "routing_key", required=True, blank_ok=False)
    payload = opt_obj(errors, doc, "payload", required=True)
    summary = at = source = None
    details: dict[str, Any] = {}
    if payload is not None:
        summary = opt_str(
            errors, payload, "summary", "payload", required=True, blank_ok=False,
            max_len=MAX_SUMMARY,
        )  # fmt: skip
        at = opt_time(errors, payload, "timestamp", "payload")
        source = opt_str(errors, payload, "source", "payload", max_len=MAX_SOURCE)
        custom = payload.get("custom_details")
        if custom is not None:
            details = dict(custom) if isinstance(custom, dict) else {"details": custom}
    links = _links(errors, doc)
    errors.raise_if_any(INVALID_PD)
    if len(links) > 1:
        details["links"] = links
    change = ChangeEvent(
        summary=(summary or "").strip(),
        at=at or received_at,
        source=(source or "").strip(),
        link=links[0]["href"] if links else None,
        details=details,
    )
    return PagerDutyChange(routing_key=(key or "").strip(), change=change)


def _links(errors: Errors, doc: Mapping[str, Any]) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for index, item in enumerate(opt_list(errors, doc, "links") or []):
        where = path_of("links", index)
        if not isinstance(item, dict):
            errors.add(where, f"'{where}' must be an object with 'href' and 'text'")
            continue
        href = opt_str(errors, item, "href", where, required=True, blank_ok=False, max_len=MAX_LINK)
        text = opt_str(errors, item, "text", where, max_len=MAX_SUMMARY)
        if href:
            links.append({"href": href.strip(), "text": (text or "").strip()})
    return links


def parse_webhook(body: bytes, *, received_at: datetime) -> list[ChangeEvent]:
    doc = load_json(body, max_bytes=MAX_BODY)
    items = doc if isinstance(doc, list) else [doc]
    if not items:
        raise _refuse("body", "The list of changes is empty; send at least one change")
    if len(items) > MAX_BATCH:
        raise _refuse("body", f"At most {MAX_BATCH} changes per request; this one has {len(items)}")
    errors = Errors()
    changes: list[ChangeEvent] = []
    for index, item in enumerate(items):
        where = path_of("", index) if isinstance(doc, list) else ""
        if not isinstance(item, dict):
            errors.add(where or "body", f"'{where or 'body'}' must be a change object")
            continue
        change = _webhook_change(errors, item, where, received_at)
        if change is not None:
            changes.append(change)
    errors.raise_if_any()
    return changes


def _webhook_change(
    errors: Errors, item: Mapping[str, Any], where: str, received_at: datetime
) -> ChangeEvent | None:
    before = len(errors)
    summary = opt_str(
        errors, item, "summary", where, required=True, blank_ok=False, max_len=MAX_SUMMARY
    )
    source = opt_str(errors, item, "source", where, max_len=MAX_SOURCE)
    link = opt_str(errors, item, "link", where, max_len=MAX_LINK)
    at = opt_time(errors, item, "at", where)
    details = opt_obj(errors, item, "details", where)
    service = opt_str(errors, item, "service", where, max_len=63)
    if len(errors) > before:
        return None
    return ChangeEvent(
        summary=(summary or "").strip(),
        at=at or received_at,
        source=(source or "").strip(),
        link=link.strip() if link and link.strip() else None,
        details=details or {},
        service=service.strip() if service and service.strip() else None,
    )


def _refuse(field_name: str, message: str) -> PayloadError:
    return PayloadError(message + ".", [FieldError(field_name, message)])
