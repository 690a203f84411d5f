"""Shared by the integration tests: where the samples are, how to call the parser a sample
was sent to, and the JSON form of a `Parsed` (the golden files)."""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tocsin.integrations import registry
from tocsin.integrations.base import NormalizedAlert, Parsed
from tocsin.integrations.opsgenie import parse_action

HERE = Path(__file__).parent
SAMPLES = HERE / "samples"
GOLDEN = HERE / "golden"
RECEIVED_AT = datetime(2026, 11, 28, 4, 45, tzinfo=UTC)
SENDERS = (
    "pagerduty",
    "opsgenie",
    "alertmanager",
    "grafana",
    "generic",
    "suricata",
    "syslog",
    "email",
)
SUFFIXES = {"syslog": ".raw", "email": ".eml"}
# The configuration a sample is parsed with (otherwise the type's default configuration):
# syslog raises an alert for every severity, so that the goldens show every mapping.
CONFIGS: dict[str, dict[str, Any]] = {"syslog": {"max_severity": "debug"}}


def sample_paths(sender: str) -> list[Path]:
    suffix = SUFFIXES.get(sender, ".json")
    return sorted(p for p in (SAMPLES / sender).glob(f"*{suffix}") if ".headers" not in p.name)


def sample(sender: str, name: str) -> bytes:
    return (SAMPLES / sender / name).read_bytes()


def request_of(path: Path) -> tuple[str, dict[str, str]]:
    """The request line and the headers captured beside a sample ("" and {} if none)."""
    headers_file = path.with_name(path.name.removesuffix(path.suffix) + ".headers.txt")
    if not headers_file.exists():
        return "", {}
    first, *rest = headers_file.read_text().splitlines()
    headers = {}
    for line in rest:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return first, headers


def config_for(sender: str) -> Mapping[str, Any]:
    return CONFIGS.get(sender, registry.get(sender).default_config)


def parse_sample(sender: str, path: Path) -> tuple[Parsed, datetime]:
    """Parse one sample the way the endpoint it was sent to would."""
    request, headers = request_of(path)
    received_at = RECEIVED_AT
    if "x-capture-received-at" in headers:
        received_at = datetime.fromisoformat(headers["x-capture-received-at"])
    body = path.read_bytes()
    action = re.search(r"/v2/alerts/([^/?\s]+)/(close|acknowledge)(\S*)", request)
    if sender == "opsgenie" and action:
        query = parse_qs(urlsplit(action[3]).query)
        id_type = query.get("identifierType", [None])[0]
        parsed = parse_action(action[2], unquote(action[1]), id_type, body, received_at=received_at)
        return parsed, received_at
    kind = registry.get(sender)
    parsed = kind.parse(body, headers=headers, received_at=received_at, config=config_for(sender))
    return parsed, received_at


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def alert_json(alert: NormalizedAlert) -> dict[str, Any]:
    plain: dict[str, Any] = _plain(dataclasses.asdict(alert))
    return plain


def parsed_json(parsed: Parsed) -> dict[str, Any]:
    return {"alerts": [alert_json(a) for a in parsed.alerts], "ignored": dict(parsed.ignored)}


def assert_storable(parsed: Parsed) -> None:
    """What a parser returns can be stored: the right types, JSON all the way down, no NUL,
    no lone surrogate, aware datetimes."""
    assert isinstance(parsed, Parsed)
    assert all(isinstance(k, str) and type(v) is int and v > 0 for k, v in parsed.ignored.items())
    for alert in parsed.alerts:
        assert isinstance(alert, NormalizedAlert)
        assert alert.dedup_key is None or 0 < len(alert.dedup_key) <= 255
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in alert.labels.items())
        assert all(isinstance(link, str) for link in alert.links)
        assert alert.occurred_at is None or alert.occurred_at.tzinfo is not None
        text = json.dumps(parsed_json(Parsed([alert])), ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")  # raises on a lone surrogate
        assert "\\u0000" not in text
