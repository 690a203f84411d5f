"""Suricata EVE JSON: one event per line (NDJSON), as Suricata writes eve.json.

Accepted: lines of JSON objects (blank lines are skipped, CRLF is fine), at most 10 MB per
request (413 beyond). Every ``event_type`` other than ``alert`` (flow, stats, http, dns,
tls, fileinfo, anomaly, ...) is counted in ``Parsed.ignored[event_type]`` and is never an
error (an event without a usable event_type is counted as "unknown"). A line that is not
UTF-8, not JSON, not an object, or an alert without ``alert.signature`` (string) and
``alert.signature_id`` (integer), or with a field of the wrong type, refuses the whole
request with 400, naming the line.

Each alert event is one security incident trigger:
dedup_key = ``{community_id}:{signature_id}``; without a community_id,
``{sha256("{proto}|{src_ip}|{dest_ip}|{dest_port}")[:32]}:{signature_id}`` (the source
port is left out on purpose: repeated attempts from one host to one service are one alert);
summary = alert.signature; severity from alert.severity (1 critical, 2 error, 3 warning,
anything else info); source = src_ip; occurred_at = timestamp; labels {category,
signature_id, proto}; details {metadata} (the rule's metadata, when present); evidence
{src_ip, src_port, dest_ip, dest_port, proto, community_id, flow_id, signature,
signature_id, rev, category, action, app_proto, http_hostname, http_url, http_user_agent,
dns_rrname, tls_sni}, each when present.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tocsin.integrations._common import (
    Errors,
    kind,
    load_json,
    opt_obj,
    opt_time,
    too_large,
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
MAX_SID = 2**32 - 1  # Suricata's signature ids are unsigned 32-bit numbers
SEVERITIES = {1: Severity.CRITICAL, 2: Severity.ERROR, 3: Severity.WARNING}
_EVENT_TYPE = re.compile(r"[a-z0-9_]{1,40}")
# Fields copied into the evidence: (object path, evidence key, expected type).
_EVIDENCE: tuple[tuple[tuple[str, ...], str, type], ...] = (
    (("src_ip",), "src_ip", str),
    (("src_port",), "src_port", int),
    (("dest_ip",), "dest_ip", str),
    (("dest_port",), "dest_port", int),
    (("proto",), "proto", str),
    (("community_id",), "community_id", str),
    (("flow_id",), "flow_id", int),
    (("alert", "signature"), "signature", str),
    (("alert", "signature_id"), "signature_id", int),
    (("alert", "rev"), "rev", int),
    (("alert", "category"), "category", str),
    (("alert", "action"), "action", str),
    (("app_proto",), "app_proto", str),
    (("http", "hostname"), "http_hostname", str),
    (("http", "url"), "http_url", str),
    (("http", "http_user_agent"), "http_user_agent", str),
    (("dns", "rrname"), "dns_rrname", str),
    (("tls", "sni"), "tls_sni", str),
)


def parse(
    body: bytes,
    *,
    headers: Mapping[str, str],
    received_at: datetime,
    config: Mapping[str, Any],
) -> Parsed:
    if len(body) > MAX_BODY:
        raise too_large(len(body), MAX_BODY)
    alerts: list[NormalizedAlert] = []
    ignored: Counter[str] = Counter()
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        event = load_json(line, max_bytes=MAX_BODY, what=f"Line {number}", field=f"line {number}")
        if not isinstance(event, dict):
            message = f"Line {number} must be a JSON object (an EVE event), not {kind(event)}."
            raise PayloadError(message, [FieldError(f"line {number}", message)])
        event_type = event.get("event_type")
        if event_type == "alert":
            alerts.append(_alert(event, number))
        elif isinstance(event_type, str) and _EVENT_TYPE.fullmatch(event_type):
            ignored[event_type] += 1
        else:
            ignored["unknown"] += 1
    return Parsed(alerts=alerts, ignored=dict(ignored))


def _alert(event: Mapping[str, Any], number: int) -> NormalizedAlert:
    errors = Errors()
    alert = opt_obj(errors, event, "alert", required=True) or {}
    for name in ("http", "dns", "tls"):
        opt_obj(errors, event, name)
    evidence = _evidence(errors, event)
    signature = evidence.get("signature")
    sid = evidence.get("signature_id")
    known = errors.has("alert.signature") or errors.has("alert")
    if (not isinstance(signature, str) or not signature.strip()) and not known:
        errors.add("alert.signature", "'alert.signature' is missing or blank")
    if sid is None and not errors.has("alert.signature_id") and not errors.has("alert"):
        errors.add("alert.signature_id", "'alert.signature_id' is missing")
    elif isinstance(sid, int) and not 0 <= sid <= MAX_SID:
        errors.add("alert.signature_id", f"'alert.signature_id' must be from 0 to {MAX_SID}")
    severity = alert.get("severity")
    if severity is not None and (not isinstance(severity, int) or isinstance(severity, bool)):
        message = f"'alert.severity' must be a whole number, not {kind(severity)}"
        errors.add("alert.severity", message)
    occurred_at = opt_time(errors, event, "timestamp")
    if len(errors):
        raise PayloadError(
            f"Line {number} is not a valid EVE alert: {errors.items[0].message}.",
            [
                FieldError(f"line {number}: {e.field}", f"Line {number}: {e.message}")
                for e in errors.items
            ],
        )
    labels: dict[str, str] = {
        key: str(evidence[key]) for key in ("category", "signature_id", "proto") if key in evidence
    }
    details = {"metadata": alert["metadata"]} if alert.get("metadata") is not None else {}
    return NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=_dedup_key(evidence),
        summary=truncate(str(signature).strip(), 1024),
        severity=SEVERITIES.get(severity, Severity.INFO) if severity else Severity.INFO,
        description=_description(evidence),
        source=evidence.get("src_ip"),
        labels=labels,
        details=details,
        occurred_at=occurred_at,
        incident_type="security_incident",
        evidence=evidence,
    )


def _evidence(errors: Errors, event: Mapping[str, Any]) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    for path, key, expected in _EVIDENCE:
        value: Any = event
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if path == ("dns", "rrname") and value is None:  # EVE v2 alerts: dns.query[0].rrname
            dns = event.get("dns")
            queries = dns.get("query") if isinstance(dns, dict) else None
            if isinstance(queries, list) and queries and isinstance(queries[0], dict):
                value = queries[0].get("rrname")
        if value is None:
            continue
        if not isinstance(value, expected) or isinstance(value, bool):
            where = ".".join(path)
            wanted = "a string" if expected is str else "a whole number"
            errors.add(where, f"'{where}' must be {wanted}, not {kind(value)}")
            continue
        evidence[key] = value
    return evidence


def _dedup_key(evidence: Mapping[str, Any]) -> str:
    sid = evidence["signature_id"]
    community = evidence.get("community_id", "").strip()
    if community:
        return truncate(f"{community}:{sid}", 255)
    flow = "|".join(str(evidence.get(k, "")) for k in ("proto", "src_ip", "dest_ip", "dest_port"))
    return f"{hashlib.sha256(flow.encode('utf-8')).hexdigest()[:32]}:{sid}"


def _description(evidence: Mapping[str, Any]) -> str:
    def end(ip: str, port: str) -> str:
        host = evidence.get(ip, "?")
        return f"{host}:{evidence[port]}" if port in evidence else str(host)

    rev = evidence.get("rev", "?")
    lines = [f"Signature {evidence['signature_id']} rev {rev}: {evidence['signature']}"]
    if "category" in evidence:
        lines.append(f"Category: {evidence['category']}")
    app = f" ({evidence['app_proto']})" if "app_proto" in evidence else ""
    proto = evidence.get("proto", "?")
    lines.append(f"Flow: {proto} {end('src_ip', 'src_port')} -> {end('dest_ip', 'dest_port')}{app}")
    if "action" in evidence:
        lines.append(f"Action: {evidence['action']}")
    return "\n".join(lines)


TYPE = IntegrationType(
    name="suricata",
    title="Suricata EVE JSON",
    parse=parse,
    routes=(ingest_route("suricata"),),
)
