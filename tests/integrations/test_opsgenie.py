"""Opsgenie Alert API: create, close and acknowledge (`tocsin.integrations.opsgenie`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations.base import AlertAction, FieldError, Parsed, PayloadError, Severity
from tocsin.integrations.opsgenie import parse, parse_action

CREATE = sample("opsgenie", "0002_post_opsgenie_v2_alerts.json")
CLOSE = sample(
    "opsgenie",
    "0017_post_opsgenie_v2_alerts_4b02641f1cf9c591f33272836c8a9a0e0121beb248c879548331c37d23f98d82"
    "_close.json",
)
ALIAS = "4b02641f1cf9c591f33272836c8a9a0e0121beb248c879548331c37d23f98d82"


def create(**changes: Any) -> Parsed:
    doc = json.loads(CREATE)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return parse(json.dumps(doc).encode(), headers={}, received_at=RECEIVED_AT, config={})


def refused(**changes: Any) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        create(**changes)
    assert caught.value.status == 400
    return caught.value


def test_create_maps_the_real_sample() -> None:
    (alert,) = create().alerts
    assert alert.action is AlertAction.TRIGGER
    assert alert.dedup_key == ALIAS
    assert alert.severity is Severity.CRITICAL  # P1
    assert alert.summary.startswith("[FIRING:1] PrometheusRecentlyStarted")
    assert alert.description.startswith("Uptime is 11.89s")
    assert alert.labels["alertname"] == "PrometheusRecentlyStarted"
    assert alert.details["tags"] == ["realdata", "sre"]
    assert alert.details["responders"] == [{"name": "sre-team", "type": "team"}]
    assert alert.source == "http://127.0.0.1:19093/#/alerts?receiver=opsgenie-incident"


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        ("P1", Severity.CRITICAL),
        ("P2", Severity.ERROR),
        ("P3", Severity.WARNING),
        ("p4", Severity.INFO),
        ("P5", Severity.INFO),
        (None, Severity.WARNING),
    ],
)
def test_priority_gives_the_severity(priority: str | None, severity: Severity) -> None:
    assert create(priority=priority).alerts[0].severity is severity


def test_key_value_tags_become_labels_and_entity_is_the_source() -> None:
    (alert,) = create(
        tags=["env:prod", "plain", " team : dba "], details={"n": 3}, entity="db-01"
    ).alerts
    assert alert.labels == {"n": "3", "env": "prod", "team": "dba"}
    assert alert.details["tags"] == ["env:prod", "plain", "team : dba"]
    assert alert.source == "db-01"


def test_without_alias_the_service_makes_the_key() -> None:
    assert create(alias=None).alerts[0].dedup_key is None


def test_over_long_texts_are_cut_like_opsgenie_cuts_them() -> None:
    (alert,) = create(message="m" * 200, description="d" * 20_000).alerts
    assert len(alert.summary) == 130
    assert alert.summary.endswith("\u2026")
    assert len(alert.description) == 15_000


def test_invalid_creates_are_refused() -> None:
    error = refused(message=" ", alias="a" * 513, priority="P9", tags="x")
    assert error.message == "Request body is not processable. Please check the errors."
    assert error.errors == [
        FieldError("message", "'message' is missing or blank"),
        FieldError("alias", "'alias' is longer than 512 characters (it has 513)"),
        FieldError("priority", "'priority' must be one of P1, P2, P3, P4, P5"),
        FieldError("tags", "'tags' must be a list, not a string"),
    ]
    assert refused(tags=["ok", 5]).errors == [
        FieldError("tags[1]", "'tags[1]' must be a string, not a number")
    ]
    assert refused(details=[1]).errors == [
        FieldError("details", "'details' must be an object, not a list")
    ]


def test_close_by_alias_the_real_sample() -> None:
    (alert,) = parse_action("close", ALIAS, "alias", CLOSE, received_at=RECEIVED_AT).alerts
    assert alert.action is AlertAction.RESOLVE
    assert (alert.dedup_key, alert.alert_id) == (ALIAS, None)
    assert alert.details == {"source": "http://127.0.0.1:19093/#/alerts?receiver=opsgenie-incident"}


@pytest.mark.parametrize("id_type", [None, "", "id", "ID"])
def test_acknowledge_by_id_is_the_default(id_type: str | None) -> None:
    body = b'{"user": "alice", "note": "looking"}'
    (alert,) = parse_action(
        "acknowledge", "8418d193-2dab", id_type, body, received_at=RECEIVED_AT
    ).alerts
    assert alert.action is AlertAction.ACKNOWLEDGE
    assert (alert.dedup_key, alert.alert_id) == (None, "8418d193-2dab")
    assert alert.details == {"user": "alice", "note": "looking"}


def test_an_empty_body_is_fine_for_close() -> None:
    (alert,) = parse_action("close", "k", "alias", b"", received_at=RECEIVED_AT).alerts
    assert alert.dedup_key == "k"


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (
            ("close", "123", "tiny", b""),
            "identifierType",
            "Tiny ids are not supported; identify the alert by its alias (identifierType=alias) "
            "or by its id (identifierType=id).",
        ),
        (
            ("close", "123", "name", b""),
            "identifierType",
            "'identifierType' must be 'id' or 'alias'.",
        ),
        (("close", "  ", "alias", b""), "identifier", "The alert identifier is missing or blank."),
        (
            ("close", "k" * 513, "alias", b""),
            "identifier",
            "The alert identifier is longer than 512 characters.",
        ),
        (
            ("snooze", "k", "alias", b""),
            "action",
            "'snooze' is not an alert action; use close or acknowledge.",
        ),
        (("close", "k", "alias", b"[]"), "body", "The body must be a JSON object."),
        (
            ("close", "k", "alias", b'{"note": 1}'),
            "note",
            "Request body is not processable. Please check the errors.",
        ),
    ],
)
def test_invalid_actions_are_refused(args: tuple[Any, ...], field: str, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_action(*args, received_at=RECEIVED_AT)
    assert caught.value.status == 400
    assert caught.value.message == message
    assert caught.value.errors[0].field == field


def test_close_by_id_sets_the_alert_id() -> None:
    (alert,) = parse_action("close", "8418d193-2dab", "id", CLOSE, received_at=RECEIVED_AT).alerts
    assert alert.action is AlertAction.RESOLVE
    assert (alert.dedup_key, alert.alert_id) == (None, "8418d193-2dab")
