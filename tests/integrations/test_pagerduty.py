"""PagerDuty Events API v2: the rules of `tocsin.integrations.pagerduty`, one by one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations.base import AlertAction, FieldError, Parsed, PayloadError, Severity
from tocsin.integrations.pagerduty import parse, routing_key

TRIGGER = sample("pagerduty", "0005_post_v2_enqueue.json")
RESOLVE = sample("pagerduty", "0019_post_v2_enqueue.json")


def run(body: bytes | dict[str, Any]) -> Parsed:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return parse(raw, headers={}, received_at=RECEIVED_AT, config={})


def event(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(TRIGGER)
    payload_changes = changes.pop("payload_changes", {})
    doc.update(changes)
    for key, value in payload_changes.items():
        if value is None:
            doc["payload"].pop(key, None)
        else:
            doc["payload"][key] = value
    return doc


def errors_of(body: bytes | dict[str, Any]) -> list[FieldError]:
    with pytest.raises(PayloadError) as caught:
        run(body)
    assert caught.value.status == 400
    assert caught.value.message
    return caught.value.errors


def test_trigger_maps_the_real_sample() -> None:
    (alert,) = run(TRIGGER).alerts
    assert alert.action is AlertAction.TRIGGER
    assert alert.dedup_key == "4b02641f1cf9c591f33272836c8a9a0e0121beb248c879548331c37d23f98d82"
    assert alert.severity is Severity.CRITICAL
    assert alert.source == "Alertmanager"
    assert alert.labels == {
        "component": "prometheus",
        "group": "sre",
        "class": "PrometheusRecentlyStarted",
    }
    assert alert.details["num_firing"] == "1"


def test_resolve_maps_the_real_sample() -> None:
    (alert,) = run(RESOLVE).alerts
    assert alert.action is AlertAction.RESOLVE
    assert alert.dedup_key == "4b02641f1cf9c591f33272836c8a9a0e0121beb248c879548331c37d23f98d82"


def test_a_trigger_without_dedup_key_leaves_it_to_the_service() -> None:
    doc = event()
    del doc["dedup_key"]
    assert run(doc).alerts[0].dedup_key is None
    assert run(event(dedup_key="  ")).alerts[0].dedup_key is None


def test_the_optional_fields_are_mapped() -> None:
    doc = event(
        links=[{"href": "https://runbook.example/x", "text": "Runbook"}],
        images=[
            {"src": "https://img.example/g.png", "href": "https://graph.example/1"},
            {"src": "https://img.example/h.png"},
        ],
        payload_changes={"timestamp": "2026-11-28T05:38:08.000+01:00", "custom_details": "42"},
    )
    (alert,) = run(doc).alerts
    assert alert.occurred_at == datetime(2026, 11, 28, 4, 38, 8, tzinfo=UTC)
    assert alert.details == {"details": "42"}
    assert alert.links == [
        "https://runbook.example/x",
        "https://graph.example/1",
        "https://img.example/h.png",
        "http://127.0.0.1:19093/#/alerts?receiver=pagerduty-incident",
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            event(routing_key=None),
            [FieldError("routing_key", "'routing_key' is missing or blank")],
        ),
        (
            event(event_action="explode"),
            [
                FieldError(
                    "event_action",
                    "'event_action' is invalid (must be one of the "
                    "following: 'trigger', 'acknowledge' or 'resolve')",
                )
            ],
        ),
        (event(payload=None), [FieldError("payload", "'payload' is missing")]),
        (
            event(payload="text"),
            [FieldError("payload", "'payload' must be an object, not a string")],
        ),
        (
            event(payload_changes={"summary": "   "}),
            [FieldError("payload.summary", "'payload.summary' is missing or blank")],
        ),
        (
            event(payload_changes={"summary": "x" * 1025}),
            [
                FieldError(
                    "payload.summary",
                    "'payload.summary' is longer than 1024 characters (it has 1025)",
                )
            ],
        ),
        (
            event(payload_changes={"source": None, "severity": "fatal"}),
            [
                FieldError("payload.source", "'payload.source' is missing or blank"),
                FieldError(
                    "payload.severity",
                    "'payload.severity' is invalid (must be one of "
                    "the following: 'critical', 'warning', 'error' or 'info')",
                ),
            ],
        ),
        (
            event(payload_changes={"timestamp": "yesterday"}),
            [
                FieldError(
                    "payload.timestamp",
                    "'payload.timestamp' is not an ISO 8601 date and time: 'yesterday'",
                )
            ],
        ),
        (
            event(dedup_key="k" * 256),
            [FieldError("dedup_key", "'dedup_key' is longer than 255 characters (it has 256)")],
        ),
        (
            event(dedup_key=17),
            [FieldError("dedup_key", "'dedup_key' must be a string, not a number")],
        ),
        (
            event(links=[{"text": "no href"}]),
            [FieldError("links[0].href", "'links[0].href' is missing or blank")],
        ),
        (
            event(images="x"),
            [FieldError("images", "'images' must be a list, not a string")],
        ),
    ],
)
def test_an_invalid_trigger_is_refused_with_every_error(
    doc: dict[str, Any], expected: list[FieldError]
) -> None:
    with pytest.raises(PayloadError) as caught:
        run(doc)
    assert caught.value.message == "Event object is invalid"
    assert caught.value.errors == expected


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_a_dedup_key(action: str) -> None:
    doc = {"routing_key": "R0UT1NGK3Y0000000000000000000000", "event_action": action}
    assert errors_of(doc) == [
        FieldError("dedup_key", f"'dedup_key' is required to {action} an alert")
    ]
    doc["dedup_key"] = "abc"
    (alert,) = run(doc).alerts
    assert (alert.action, alert.dedup_key) == (AlertAction(action), "abc")


def test_a_resolve_keeps_what_is_valid_in_its_payload() -> None:
    doc = json.loads(RESOLVE)
    doc["payload"]["severity"] = "bogus"
    doc["links"] = "not a list"
    (alert,) = run(doc).alerts
    assert alert.action is AlertAction.RESOLVE
    assert alert.summary.startswith("[RESOLVED] PrometheusRecentlyStarted")
    assert alert.severity is Severity.ERROR  # the invalid value is dropped, not refused


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "The body is empty; a JSON document was expected."),
        (
            b"\xff\xfe{}",
            "The body is not valid UTF-8: the byte 0xff at offset 0 cannot be decoded.",
        ),
        (
            TRIGGER[:200],
            "The body is not valid JSON (it ends too early: is it truncated?): "
            "Unterminated string starting at column 176.",
        ),
        (b'{"a": NaN}', "The body is not valid JSON: NaN is not a JSON number."),
        (b"[" * 100_000, "The body is nested deeper than 64 levels."),
        (b"1" * 5000, "The body holds a number with too many digits."),
        (b"1e999", "The body holds a number too large to store."),
    ],
)
def test_a_body_that_is_not_json_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        run(body)
    assert (caught.value.status, caught.value.message) == (400, message)
    assert caught.value.errors == [FieldError("body", message)]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert errors_of(b"[1, 2]") == [FieldError("body", "The event must be a JSON object")]


def test_a_body_over_512_kb_is_refused_with_413() -> None:
    doc = event(payload_changes={"custom_details": {"blob": "x" * (512 * 1024)}})
    with pytest.raises(PayloadError) as caught:
        run(doc)
    assert caught.value.status == 413
    assert "the limit is 512 KB" in caught.value.message


def test_nul_characters_are_replaced_not_stored() -> None:
    (alert,) = run(event(payload_changes={"summary": "disk\u0000full\ud800"})).alerts
    assert alert.summary == "disk\ufffdfull\ufffd"


def test_routing_key_reads_the_key_and_never_raises() -> None:
    assert routing_key(TRIGGER) == "R0UT1NGK3Y0000000000000000000000"
    for garbage in (
        b"",
        b"\xff",
        b"[]",
        b'{"routing_key": 5}',
        b'{"routing_key": " "}',
        TRIGGER[:50],
        b"[" * 10_000,
        b" " * (600 * 1024),
    ):
        assert routing_key(garbage) is None
