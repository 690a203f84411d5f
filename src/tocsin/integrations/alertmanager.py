"""Prometheus Alertmanager webhook (version 4): one notification, a group of alerts.

Accepted: a JSON object {version, groupKey, truncatedAlerts, status, receiver, groupLabels,
commonLabels, commonAnnotations, externalURL, alerts: [{status, labels, annotations,
startsAt, endsAt, generatorURL, fingerprint}]}; only ``alerts`` is required, and in each
alert ``status`` (``firing`` or ``resolved``). Labels and annotations must map strings to
strings, times must be RFC 3339. A group may mix firing and resolved alerts. Refused with
400 (every problem listed) or, over 10 MB, with 413.

One NormalizedAlert per alert: firing -> trigger, resolved -> resolve;
dedup_key = fingerprint, or when absent ``sha256(json.dumps(sorted(labels.items()),
separators=(",", ":"), ensure_ascii=False))`` in hex; summary = annotations.summary, else
``alertname on instance``; description = annotations.description; severity = the
``severity`` label through the severity map (configurable: ``severity_map`` {label value:
severity} extends the built-in one, ``default_severity`` answers unknown and absent values);
source = labels.instance; service = labels.service; labels = all labels; details = all
annotations; links = generatorURL and annotations.runbook_url; occurred_at = startsAt
(endsAt for a resolved alert); group_key = groupKey. ``truncatedAlerts`` > 0 is reported as
``Parsed.ignored["truncated"]``.

`parse_group` is shared with the Grafana parser, which adds its own per-alert fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from tocsin.integrations._common import (
    SEVERITY_NAMES,
    SEVERITY_VALUES,
    Errors,
    config_error,
    config_severity,
    kind,
    load_json,
    opt_list,
    opt_str,
    opt_time,
    path_of,
    str_map,
    truncate,
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

MAX_BODY = 10 * 1024 * 1024
MAX_SUMMARY = 1024
DEFAULT_SEVERITY_MAP: dict[str, Severity] = {
    **dict.fromkeys(("critical", "page", "emergency", "alert"), Severity.CRITICAL),
    **dict.fromkeys(("error", "high", "major"), Severity.ERROR),
    **dict.fromkeys(("warning", "warn", "minor"), Severity.WARNING),
    **dict.fromkeys(("info", "low", "none"), Severity.INFO),
}
DEFAULT_CONFIG: dict[str, Any] = {"severity_map": {}, "default_severity": "error"}
_STATUSES = {"firing": AlertAction.TRIGGER, "resolved": AlertAction.RESOLVE}

# Per-alert additions of a sender built on this format: (links, details) for one alert.
Extra = Callable[[Errors, Mapping[str, Any], str], tuple[list[str], dict[str, Any]]]


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    return parse_group(load_json(body, max_bytes=MAX_BODY), config, sender="Alertmanager")


def parse_group(
    doc: Any, config: Mapping[str, Any], *, sender: str, extra: Extra | None = None
) -> Parsed:
    """The alerts of one Alertmanager-shaped notification (already decoded JSON)."""
    severity_of = severity_mapper(config)
    if not isinstance(doc, dict):
        message = f"The {sender} notification must be a JSON object, not {kind(doc)}."
        raise PayloadError(message, [FieldError("body", message)])
    errors = Errors()
    raw_alerts = opt_list(errors, doc, "alerts", required=True) or []
    group_key = opt_str(errors, doc, "groupKey", max_len=4096)
    for key in ("version", "status", "receiver", "externalURL"):
        opt_str(errors, doc, key)
    truncated = doc.get("truncatedAlerts", 0)
    if truncated is None:
        truncated = 0
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        errors.add("truncatedAlerts", "'truncatedAlerts' must be a whole number, 0 or more")
        truncated = 0
    alerts = []
    for index, raw in enumerate(raw_alerts):
        alert = _alert(errors, raw, path_of("alerts", index), group_key or None, severity_of, extra)
        if alert is not None:
            alerts.append(alert)
    errors.raise_if_any()
    return Parsed(alerts=alerts, ignored={"truncated": truncated} if truncated else {})


def _alert(
    errors: Errors,
    raw: Any,
    path: str,
    group_key: str | None,
    severity_of: Callable[[str | None], Severity],
    extra: Extra | None,
) -> NormalizedAlert | None:
    if not isinstance(raw, dict):
        errors.add(path, f"'{path}' must be an object, not {kind(raw)}")
        return None
    before = len(errors)
    status = opt_str(errors, raw, "status", path, required=True)
    action = _STATUSES.get(status) if status is not None else None
    if status is not None and action is None:
        errors.add(
            f"{path}.status",
            f"'{path}.status' must be 'firing' or 'resolved', not {truncate(status, 40)!r}",
        )
    labels = str_map(errors, raw, "labels", path)
    annotations = str_map(errors, raw, "annotations", path, max_len=100_000)
    starts_at = opt_time(errors, raw, "startsAt", path, zero_is_none=True)
    ends_at = opt_time(errors, raw, "endsAt", path, zero_is_none=True)
    generator_url = opt_str(errors, raw, "generatorURL", path, max_len=4096)
    fingerprint = opt_str(errors, raw, "fingerprint", path, max_len=255)
    more_links, more_details = extra(errors, raw, path) if extra else ([], {})
    if len(errors) > before or action is None:
        return None
    dedup_key = fingerprint.strip() if fingerprint and fingerprint.strip() else labels_hash(labels)
    links = [url for url in (generator_url, annotations.get("runbook_url")) if url and url.strip()]
    return NormalizedAlert(
        action=action,
        dedup_key=dedup_key,
        summary=truncate(_summary(labels, annotations, dedup_key), MAX_SUMMARY),
        severity=severity_of(labels.get("severity")),
        description=annotations.get("description", ""),
        source=labels.get("instance"),
        service=labels.get("service"),
        labels=labels,
        details={**annotations, **more_details},
        links=links + more_links,
        occurred_at=(ends_at or starts_at) if action is AlertAction.RESOLVE else starts_at,
        group_key=group_key,
    )


def _summary(labels: Mapping[str, str], annotations: Mapping[str, str], key: str) -> str:
    summary = annotations.get("summary", "").strip()
    if summary:
        return summary
    name = labels.get("alertname", "").strip() or f"Alert {key[:16]}"
    instance = labels.get("instance", "").strip()
    return f"{name} on {instance}" if instance else name


def labels_hash(labels: Mapping[str, str]) -> str:
    """The dedup key of an alert without a fingerprint: sha256 of its sorted labels."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def severity_mapper(config: Mapping[str, Any]) -> Callable[[str | None], Severity]:
    """The severity of a ``severity`` label value under `config` (PayloadError 500 if the
    configuration is wrong)."""
    default = config_severity(config, "default_severity", Severity.ERROR)
    mapping = dict(DEFAULT_SEVERITY_MAP)
    custom = config.get("severity_map") or {}
    if not isinstance(custom, Mapping):
        raise config_error("'severity_map' must map label values to severities")
    for name, value in custom.items():
        if not isinstance(value, str) or value.lower() not in SEVERITY_VALUES:
            raise config_error(f"'severity_map.{name}' must be one of {SEVERITY_NAMES}")
        mapping[str(name).strip().lower()] = Severity(value.lower())

    def severity_of(label: str | None) -> Severity:
        return mapping.get(label.strip().lower(), default) if label else default

    return severity_of


def check_config(config: Mapping[str, Any]) -> list[FieldError]:
    try:
        severity_mapper(config)
    except PayloadError as exc:
        return list(exc.errors)
    return []


TYPE = IntegrationType(
    name="alertmanager",
    title="Prometheus Alertmanager",
    parse=parse,
    default_config=DEFAULT_CONFIG,
    check_config=check_config,
    routes=(ingest_route("alertmanager"),),
    # Alerts of one notification group (its groupKey) join one incident.
    default_group_by=("group_key",),
)
