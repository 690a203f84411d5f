"""Suricata EVE JSON (`tocsin.integrations.suricata`)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations import suricata
from tocsin.integrations.base import AlertAction, FieldError, Parsed, PayloadError, Severity

EVE = sample("suricata", "eve_loopback.json")
LINES = EVE.splitlines()
FIRST_ALERT = json.loads(next(line for line in LINES if b'"event_type":"alert"' in line))


def run(body: bytes) -> Parsed:
    return suricata.parse(body, headers={}, received_at=RECEIVED_AT, config={})


def one(event: dict[str, Any]) -> Parsed:
    return run(json.dumps(event).encode())


def test_the_real_file_gives_nine_alerts_and_counts_the_rest() -> None:
    parsed = run(EVE)
    assert parsed.ignored == {"flow": 10, "fileinfo": 7, "http": 6, "dns": 4, "tls": 1, "stats": 1}
    assert len(parsed.alerts) == 9
    assert {a.incident_type for a in parsed.alerts} == {"security_incident"}
    assert {a.action for a in parsed.alerts} == {AlertAction.TRIGGER}
    assert Counter(a.labels["signature_id"] for a in parsed.alerts) == {
        "9000001": 2,
        "9000002": 3,
        "9000003": 1,
        "9000004": 1,
        "9000005": 1,
        "9000006": 1,
    }
    # the three ICMP echo alerts are one flow (one community id): one dedup key
    icmp = {a.dedup_key for a in parsed.alerts if a.labels["proto"] == "ICMP"}
    assert icmp == {"1:PRCVIRO2XedYcoD1kwnYlWfzz28=:9000002"}


def test_an_alert_event_is_mapped() -> None:
    (alert,) = one(FIRST_ALERT).alerts
    assert alert.dedup_key == "1:eZ5rwIQo7p19cYEEEUi8Itabky0=:9000001"
    assert alert.summary == "REALDATA WEB LFI attempt - /etc/passwd in HTTP URI"
    assert alert.severity is Severity.CRITICAL
    assert alert.source == "127.0.0.1"
    assert alert.occurred_at == datetime(2026, 11, 28, 4, 42, 9, 586999, tzinfo=UTC)
    assert alert.labels == {
        "category": "Web Application Attack",
        "signature_id": "9000001",
        "proto": "TCP",
    }
    assert alert.evidence["http_url"] == "/../../../../etc/passwd"
    assert alert.evidence["http_user_agent"] == "curl/7.88.1"
    assert alert.evidence["dest_port"] == 18080
    assert "payload" not in alert.evidence
    assert alert.details == {"metadata": FIRST_ALERT["alert"]["metadata"]}


def test_dns_and_tls_evidence() -> None:
    alerts = run(EVE).alerts
    assert {a.evidence.get("dns_rrname") for a in alerts} >= {"malware-c2.example"}
    assert {a.evidence.get("tls_sni") for a in alerts} >= {"evil.example"}
    flat_dns = FIRST_ALERT | {"dns": {"rrname": "flat.example"}}
    assert one(flat_dns).alerts[0].evidence["dns_rrname"] == "flat.example"


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (1, Severity.CRITICAL),
        (2, Severity.ERROR),
        (3, Severity.WARNING),
        (4, Severity.INFO),
        (None, Severity.INFO),
    ],
)
def test_severity(level: int | None, severity: Severity) -> None:
    event = json.loads(json.dumps(FIRST_ALERT))
    event["alert"]["severity"] = level
    assert one(event).alerts[0].severity is severity


def test_without_community_id_the_key_hashes_the_flow_without_source_port() -> None:
    event = {k: v for k, v in FIRST_ALERT.items() if k != "community_id"}
    key = one(event).alerts[0].dedup_key
    flow = hashlib.sha256(b"TCP|127.0.0.1|127.0.0.1|18080").hexdigest()[:32]
    assert key == f"{flow}:9000001"
    assert one(event | {"src_port": 1}).alerts[0].dedup_key == key


def test_blank_lines_crlf_and_any_other_event_type_are_fine() -> None:
    body = b"\r\n".join(
        [
            b"",
            b'{"event_type":"anomaly"}',
            b"  ",
            b'{"event_type":"netflow"}',
            b'{"no_type":1}',
            b'{"event_type":"Weird Type!"}',
            b"",
        ]
    )
    assert run(body) == Parsed(alerts=[], ignored={"anomaly": 1, "netflow": 1, "unknown": 2})
    assert run(b"") == Parsed(alerts=[])


def test_an_unparsable_line_is_named() -> None:
    body = b"\n".join([LINES[0], LINES[1], LINES[2][:40], LINES[3]])
    with pytest.raises(PayloadError) as caught:
        run(body)
    assert caught.value.status == 400
    assert caught.value.message.startswith("Line 3 is not valid JSON (it ends too early")
    assert caught.value.errors[0].field == "line 3"
    with pytest.raises(PayloadError, match=r"^Line 2 must be a JSON object \(an EVE event\)"):
        run(LINES[0] + b"\n[1]\n")
    with pytest.raises(PayloadError, match=r"^Line 1 is not valid UTF-8"):
        run(b"\xff\n")


def test_an_alert_without_its_signature_is_refused() -> None:
    event = json.loads(json.dumps(FIRST_ALERT))
    del event["alert"]["signature_id"]
    event["alert"]["signature"] = ""
    event["src_port"] = "http"
    with pytest.raises(PayloadError) as caught:
        run(LINES[0] + b"\n" + json.dumps(event).encode())
    assert caught.value.message == (
        "Line 2 is not a valid EVE alert: 'src_port' must be a whole number, not a string."
    )
    assert caught.value.errors == [
        FieldError("line 2: src_port", "Line 2: 'src_port' must be a whole number, not a string"),
        FieldError("line 2: alert.signature", "Line 2: 'alert.signature' is missing or blank"),
        FieldError("line 2: alert.signature_id", "Line 2: 'alert.signature_id' is missing"),
    ]
    with pytest.raises(PayloadError, match="'alert' is missing"):
        one({"event_type": "alert"})


def test_over_10_mb_is_refused_with_413() -> None:
    with pytest.raises(PayloadError) as caught:
        run(b"\n" * (10 * 1024 * 1024 + 1))
    assert caught.value.status == 413


def test_a_signature_id_out_of_range_is_refused() -> None:
    event = json.loads(json.dumps(FIRST_ALERT))
    event["alert"]["signature_id"] = 2**32
    with pytest.raises(PayloadError, match=r"'alert\.signature_id' must be from 0 to 4294967295"):
        one(event)
