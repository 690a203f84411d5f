"""Change events (pure): PagerDuty change events, the change webhook, the link rule, the
recent-changes window, and Opsgenie's request status words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.changes.rules import check_link, recent_window
from tocsin.integrations.base import PayloadError
from tocsin.integrations.changes import MAX_BATCH, parse_pagerduty, parse_webhook
from tocsin.integrations.opsgenie import request_status

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _pd(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_pagerduty_change_as_the_official_clients_send_it() -> None:
    # pdpyras.EventsAPISession.send_change_event(payload=..., links=...)
    body = _pd(
        {
            "routing_key": "abc",
            "payload": {
                "summary": "Build #220 succeeded",
                "timestamp": "2026-03-02T08:42:58.315+0000",
                "source": "ci",
                "custom_details": "plain text",
            },
            "links": [{"href": "https://ci.example/220", "text": "Build"}],
        }
    )
    parsed = parse_pagerduty(body, received_at=NOW)
    assert parsed.routing_key == "abc"
    change = parsed.change
    assert change.summary == "Build #220 succeeded"
    assert change.at == datetime(2026, 3, 2, 8, 42, 58, 315000, tzinfo=UTC)
    assert change.link == "https://ci.example/220"
    assert change.details == {"details": "plain text"}
    bare = parse_pagerduty(_pd({"routing_key": "k", "payload": {"summary": "x"}}), received_at=NOW)
    assert bare.change.at == NOW
    assert bare.change.link is None
    assert bare.change.source == ""


@pytest.mark.parametrize(
    ("doc", "phrase"),
    [
        ([], "JSON object"),
        ({"payload": {"summary": "x"}}, "'routing_key' is missing"),
        ({"routing_key": "k"}, "'payload' is missing"),
        ({"routing_key": "k", "payload": {"summary": ""}}, "'payload.summary' is missing"),
        ({"routing_key": "k", "payload": {"summary": "x" * 1025}}, "longer than 1024"),
        ({"routing_key": "k", "payload": {"summary": "x", "timestamp": "soon"}}, "ISO 8601"),
        ({"routing_key": "k", "payload": {"summary": "x"}, "links": [1]}, "'links[0]'"),
    ],
)
def test_pagerduty_change_refusals_name_the_field(doc: object, phrase: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_pagerduty(_pd(doc), received_at=NOW)
    assert caught.value.message in ("Event object is invalid",)
    assert any(phrase in e.message for e in caught.value.errors), caught.value.errors


def test_webhook_takes_one_object_or_a_list() -> None:
    (one,) = parse_webhook(_pd({"summary": "Deploy", "service": "web"}), received_at=NOW)
    assert (one.summary, one.service, one.at) == ("Deploy", "web", NOW)
    many = parse_webhook(
        _pd([{"summary": "a", "at": "2026-03-01T00:00:00Z"}, {"summary": "b", "details": {}}]),
        received_at=NOW,
    )
    assert [c.summary for c in many] == ["a", "b"]
    assert many[0].at == datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ([], "body"),
        ([{"summary": "x"}] * (MAX_BATCH + 1), "body"),
        ([{"summary": "ok"}, {"summary": " "}], "[1].summary"),
        ({"summary": "x", "details": []}, "details"),
        ({"summary": "x", "at": 5}, "at"),
        (["text"], "[0]"),
    ],
)
def test_webhook_refusals(doc: object, field: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_webhook(_pd(doc), received_at=NOW)
    assert caught.value.errors[0].field == field


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "data:text/html,x", "ftp://x.example/a", "//x.example", "x"]
)
def test_only_web_links_are_kept(link: str) -> None:
    with pytest.raises(ValueError, match="http"):
        check_link(link)
    assert check_link(" https://x.example/a ") == "https://x.example/a"


def test_recent_window_runs_from_hours_before_opening_to_now() -> None:
    opened = NOW - timedelta(hours=3)
    assert recent_window(opened, NOW, 24) == (opened - timedelta(hours=24), NOW)
    # a back-dated incident "opened" after now (clock skew) still includes its opening
    assert recent_window(NOW, NOW - timedelta(minutes=1), 1)[1] == NOW


def test_opsgenie_request_status_words() -> None:
    assert request_status("trigger", "created") == ("Create", True, "Created alert")
    assert request_status("trigger", "deduplicated") == ("Create", True, "Created alert")
    assert request_status("resolve", "resolved") == ("Close", True, "Closed alert")
    assert request_status("acknowledge", "acknowledged") == (
        "Acknowledge",
        True,
        "Acknowledged alert",
    )
    assert request_status("resolve", "unknown") == ("Close", False, "Alert does not exist")
