"""The generic JSON format (`tocsin.integrations.generic`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT
from tocsin.integrations import generic
from tocsin.integrations.base import AlertAction, FieldError, Parsed, PayloadError, Severity


def run(doc: Any, config: dict[str, Any] | None = None) -> Parsed:
    body = json.dumps(doc).encode()
    return generic.parse(body, headers={}, received_at=RECEIVED_AT, config=config or {})


def refused(doc: Any, status: int = 400) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        run(doc)
    assert caught.value.status == status
    return caught.value


def test_the_three_shapes_give_the_same_alerts() -> None:
    one = {"summary": "Disk full", "dedup_key": "disk"}
    single, listed, wrapped = run(one), run([one]), run({"alerts": [one]})
    assert single == listed == wrapped
    (alert,) = single.alerts
    assert (alert.action, alert.summary, alert.dedup_key) == (
        AlertAction.TRIGGER,
        "Disk full",
        "disk",
    )
    assert alert.severity is Severity.ERROR


@pytest.mark.parametrize(
    ("fields", "action"),
    [
        ({"status": "firing"}, AlertAction.TRIGGER),
        ({"status": "RESOLVED"}, AlertAction.RESOLVE),
        ({"status": "acknowledged"}, AlertAction.ACKNOWLEDGE),
        ({"action": "resolve"}, AlertAction.RESOLVE),
        ({"action": "acknowledge", "status": "acknowledged"}, AlertAction.ACKNOWLEDGE),
        ({}, AlertAction.TRIGGER),
    ],
)
def test_status_or_action(fields: dict[str, str], action: AlertAction) -> None:
    doc = {"summary": "s", "dedup_key": "k", **fields}
    assert run(doc).alerts[0].action is action


def test_every_field_is_mapped() -> None:
    doc = {
        "summary": " Queue stuck ",
        "severity": "Warning",
        "source": "mq-01",
        "service": "mail",
        "description": "line 1\nline 2",
        "labels": {"queue": "out"},
        "details": {"depth": 12},
        "links": ["https://grafana.example/d/1"],
        "timestamp": "2026-11-28T06:00:00+02:00",
    }
    (alert,) = run(doc).alerts
    assert alert.summary == "Queue stuck"
    assert alert.severity is Severity.WARNING
    assert (alert.source, alert.service) == ("mq-01", "mail")
    assert alert.description == "line 1\nline 2"
    assert alert.labels == {"queue": "out"}
    assert alert.details == {"depth": 12}
    assert alert.links == ["https://grafana.example/d/1"]
    assert alert.occurred_at == datetime(2026, 11, 28, 4, 0, tzinfo=UTC)


def test_the_default_severity_is_configurable() -> None:
    assert run({"summary": "s"}, {"default_severity": "info"}).alerts[0].severity is Severity.INFO
    assert generic.check_config({"default_severity": "loud"}) == [
        FieldError(
            "default_severity",
            "The integration's configuration is invalid: 'default_severity' must be one of "
            "'critical', 'error', 'warning', 'info'.",
        )
    ]


def test_an_empty_list_does_nothing() -> None:
    assert run([]) == run({"alerts": []}) == Parsed(alerts=[])


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({}, [FieldError("summary", "'summary' is missing or blank")]),
        (
            {"sumary": "x"},
            [
                FieldError(
                    "sumary",
                    "'sumary' is not a field of the generic format (did you mean 'summary'?)",
                ),
                FieldError("summary", "'summary' is missing or blank"),
            ],
        ),
        (
            {"summary": "x" * 1025},
            [FieldError("summary", "'summary' is longer than 1024 characters (it has 1025)")],
        ),
        (
            [{"status": "resolved"}],
            [
                FieldError(
                    "[0].dedup_key",
                    "'[0].dedup_key' is required to resolve or acknowledge an alert",
                )
            ],
        ),
        (
            {"alerts": [{"summary": "ok"}, {"summary": "s", "severity": "urgent"}]},
            [
                FieldError(
                    "alerts[1].severity",
                    "'alerts[1].severity' must be one of 'critical', 'error', 'warning', 'info'",
                )
            ],
        ),
        (
            {"summary": "s", "status": "firing", "action": "resolve", "dedup_key": "k"},
            [FieldError("action", "'action' contradicts 'status'; give one of them")],
        ),
        (
            {"summary": "s", "status": "open"},
            [FieldError("status", "'status' must be 'firing', 'resolved' or 'acknowledged'")],
        ),
        (
            {"summary": "s", "labels": {"a": 1}},
            [FieldError("labels.a", "'labels.a' must be a string, not a number")],
        ),
        (
            {"summary": "s", "links": ["ok", 3]},
            [
                FieldError(
                    "links[1]", "'links[1]' must be a URL (a string of at most 4096 characters)"
                )
            ],
        ),
        (
            {"summary": "s", "details": "x"},
            [FieldError("details", "'details' must be an object, not a string")],
        ),
        (
            {"summary": "s", "timestamp": "tomorrow"},
            [FieldError("timestamp", "'timestamp' is not an ISO 8601 date and time: 'tomorrow'")],
        ),
        (
            {"alerts": [], "extra": 1},
            [FieldError("extra", "'extra' is not expected beside 'alerts'")],
        ),
        ([1], [FieldError("[0]", "'[0]' must be an alert object, not a number")]),
        (
            "text",
            [
                FieldError(
                    "body", "The body must be an alert object or a list of them, not a string."
                )
            ],
        ),
    ],
)
def test_invalid_alerts_are_refused_with_every_error(doc: Any, expected: list[FieldError]) -> None:
    assert refused(doc).errors == expected


def test_at_most_1000_alerts_per_request() -> None:
    error = refused([{"summary": "s"}] * 1001, status=413)
    assert error.message == "The body holds 1001 alerts; send at most 1000 per request."
    assert len(run([{"summary": "s"}] * 1000).alerts) == 1000


def test_only_the_first_100_errors_are_listed() -> None:
    error = refused([{}] * 150)
    assert len(error.errors) == 100
    assert error.message.endswith(
        "(149 more error(s) in 'errors'.) Only the first 100 errors are listed."
    )


def test_the_module_documents_the_format() -> None:
    assert generic.__doc__ is not None
    for name in generic.FIELDS:
        assert f"`{name}`" in generic.__doc__
