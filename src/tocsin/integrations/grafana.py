"""Grafana unified alerting webhook (contact point of type "webhook", payload version "1").

The payload is Alertmanager's webhook (see `alertmanager`) plus ``orgId``, ``title``,
``state`` and ``message`` on the group, and per alert ``silenceURL``, ``dashboardURL``,
``panelURL``, ``imageURL``, ``values`` ({refId: number}, or null) and ``valueString``. The
mapping is Alertmanager's (same severity configuration), and in addition:
links += dashboardURL, panelURL (when not empty); details += {"values": values,
"value_string": valueString, "silence_url": silenceURL, "image_url": imageURL} as present.
Refused with 400 (every problem listed) or, over 10 MB, with 413.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tocsin.integrations._common import Errors, load_json, opt_obj, opt_str, path_of
from tocsin.integrations.alertmanager import DEFAULT_CONFIG, MAX_BODY, check_config, parse_group
from tocsin.integrations.base import IntegrationType, Parsed, ingest_route


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    doc = load_json(body, max_bytes=MAX_BODY)
    if isinstance(doc, dict):
        errors = Errors()
        for key in ("title", "state", "message"):
            opt_str(errors, doc, key)
        errors.raise_if_any()
    return parse_group(doc, config, sender="Grafana", extra=_grafana_fields)


def _grafana_fields(
    errors: Errors, raw: Mapping[str, Any], path: str
) -> tuple[list[str], dict[str, Any]]:
    links: list[str] = []
    for key in ("dashboardURL", "panelURL"):
        url = opt_str(errors, raw, key, path, max_len=4096)
        if url and url.strip():
            links.append(url)
    details: dict[str, Any] = {}
    values = opt_obj(errors, raw, "values", path)
    if values is not None:
        for ref, number in values.items():
            if number is not None and (
                isinstance(number, bool) or not isinstance(number, int | float)
            ):
                where = path_of(f"{path}.values", ref)
                errors.add(where, f"'{where}' must be a number")
        details["values"] = values
    for key, name in (("valueString", "value_string"), ("silenceURL", "silence_url"),
                      ("imageURL", "image_url")):  # fmt: skip
        text = opt_str(errors, raw, key, path, max_len=100_000)
        if text:
            details[name] = text
    return links, details


TYPE = IntegrationType(
    name="grafana",
    title="Grafana alerting",
    parse=parse,
    default_config=DEFAULT_CONFIG,
    check_config=check_config,
    routes=(ingest_route("grafana"),),
)
