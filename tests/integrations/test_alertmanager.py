"""Alertmanager webhook v4 and Grafana alerting (`alertmanager`, `grafana`)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.integrations.helpers import RECEIVED_AT, sample
from tocsin.integrations import alertmanager, grafana
from tocsin.integrations.base import AlertAction, FieldError, Parsed, PayloadError, Severity

FIRING_GROUP = json.loads(sample("alertmanager", "0010_post_webhook.json"))
RESOLVED_GROUP = json.loads(sample("alertmanager", "0031_post_webhook.json"))
GRAFANA = json.loads(sample("grafana", "0001_firing_and_resolved.json"))


def run(doc: Any, config: dict[str, Any] | None = None) -> Parsed:
    body = json.dumps(doc).encode()
    return alertmanager.parse(body, headers={}, received_at=RECEIVED_AT, config=config or {})


def group(*alerts: Any, **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = copy.deepcopy(FIRING_GROUP)
    doc["alerts"] = [copy.deepcopy(a) for a in alerts] or doc["alerts"]
    doc.update(changes)
    return doc


def one_alert(**changes: Any) -> dict[str, Any]:
    alert: dict[str, Any] = copy.deepcopy(FIRING_GROUP["alerts"][0])
    for key, value in changes.items():
        if value is None:
            alert.pop(key, None)
        else:
            alert[key] = value
    return alert


def test_a_mixed_group_of_firing_and_resolved_alerts() -> None:
    doc = group(FIRING_GROUP["alerts"][0], RESOLVED_GROUP["alerts"][1], FIRING_GROUP["alerts"][2])
    firing, resolved, other = run(doc).alerts
    assert [firing.action, resolved.action, other.action] == [
        AlertAction.TRIGGER,
        AlertAction.RESOLVE,
        AlertAction.TRIGGER,
    ]
    assert (firing.dedup_key, resolved.dedup_key) == ("b03406e4d230940b", "508cb3c5ead5721c")
    assert firing.occurred_at == datetime(2026, 11, 28, 4, 38, 22, tzinfo=UTC)  # startsAt
    assert resolved.occurred_at == datetime(2026, 11, 28, 4, 38, 57, tzinfo=UTC)  # endsAt
    assert {a.group_key for a in (firing, resolved, other)} == {'{}/{}:{alertname="DiskSpaceLow"}'}


def test_truncated_alerts_are_counted() -> None:
    parsed = run(group(truncatedAlerts=7))
    assert len(parsed.alerts) == 3
    assert parsed.ignored == {"truncated": 7}


def test_without_fingerprint_the_key_is_a_hash_of_the_sorted_labels() -> None:
    labels = {"b": "2", "a": "1"}
    first = run(group(one_alert(fingerprint=None, labels=labels))).alerts[0]
    again = run(group(one_alert(fingerprint="", labels=dict(reversed(labels.items()))))).alerts[0]
    assert first.dedup_key == again.dedup_key == alertmanager.labels_hash({"a": "1", "b": "2"})
    # the documented formula: sha256 of the compact JSON of the sorted (name, value) pairs
    assert first.dedup_key == hashlib.sha256(b'[["a","1"],["b","2"]]').hexdigest()


@pytest.mark.parametrize(
    ("labels", "annotations", "summary"),
    [
        ({"alertname": "A", "instance": "h:9100"}, {"summary": " Boom "}, "Boom"),
        ({"alertname": "A", "instance": "h:9100"}, {}, "A on h:9100"),
        ({"alertname": "A"}, {"summary": "  "}, "A"),
        ({}, {}, "Alert b03406e4d230940b"),
    ],
)
def test_summary_falls_back_to_alertname_on_instance(
    labels: dict[str, str], annotations: dict[str, str], summary: str
) -> None:
    (alert,) = run(group(one_alert(labels=labels, annotations=annotations))).alerts
    assert alert.summary == summary


@pytest.mark.parametrize(
    ("label", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("PAGE", Severity.CRITICAL),
        ("major", Severity.ERROR),
        ("warn", Severity.WARNING),
        ("none", Severity.INFO),
        ("weird", Severity.ERROR),
        (None, Severity.ERROR),
    ],
)
def test_severity_label_mapping(label: str | None, severity: Severity) -> None:
    labels = {"alertname": "A"} | ({"severity": label} if label else {})
    assert run(group(one_alert(labels=labels))).alerts[0].severity is severity


def test_the_severity_map_is_configurable() -> None:
    config = {"severity_map": {"P1": "critical", "weird": "info"}, "default_severity": "warning"}
    alerts = [one_alert(labels={"severity": s}) for s in ("p1", "weird", "unknown", "warn")]
    assert [a.severity for a in run(group(*alerts), config).alerts] == [
        Severity.CRITICAL,
        Severity.INFO,
        Severity.WARNING,
        Severity.WARNING,
    ]


@pytest.mark.parametrize(
    "config",
    [{"default_severity": "fatal"}, {"severity_map": {"x": "bad"}}, {"severity_map": ["x"]}],
)
def test_a_bad_configuration_is_a_server_side_error(config: dict[str, Any]) -> None:
    assert alertmanager.check_config(config)
    assert grafana.TYPE.check_config is not None
    assert grafana.TYPE.check_config(config)
    with pytest.raises(PayloadError) as caught:
        run(group(), config)
    assert caught.value.status == 500
    assert caught.value.message.startswith("The integration's configuration is invalid")


def test_the_default_configuration_is_valid() -> None:
    assert alertmanager.check_config(alertmanager.DEFAULT_CONFIG) == []


def test_source_service_links_and_details() -> None:
    (alert,) = run(json.loads(sample("alertmanager", "0014_post_webhook.json"))).alerts
    assert (alert.source, alert.service) == ("app-03.example.internal", "checkout")
    assert alert.links == ["http://127.0.0.1:19090/alerts"]
    assert alert.details == {
        "description": "Raised with amtool for capture",
        "summary": "Manually raised test alert",
    }
    assert alert.occurred_at == datetime(2026, 11, 28, 4, 38, 22, 470979, tzinfo=UTC)


def test_an_empty_group_is_fine() -> None:
    assert run(group(alerts=[])) == Parsed(alerts=[])


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"status": "firing"}, [FieldError("alerts", "'alerts' is missing")]),
        (
            group(one_alert(status="pending")),
            [
                FieldError(
                    "alerts[0].status",
                    "'alerts[0].status' must be 'firing' or 'resolved', not 'pending'",
                )
            ],
        ),
        (
            group(one_alert(labels={"severity": 3})),
            [
                FieldError(
                    "alerts[0].labels.severity",
                    "'alerts[0].labels.severity' must be a string, not a number",
                )
            ],
        ),
        (
            group(one_alert(startsAt="soon")),
            [
                FieldError(
                    "alerts[0].startsAt",
                    "'alerts[0].startsAt' is not an ISO 8601 date and time: 'soon'",
                )
            ],
        ),
        (
            group(one_alert(), "oops"),
            [FieldError("alerts[1]", "'alerts[1]' must be an object, not a string")],
        ),
        (
            group(truncatedAlerts=-1),
            [FieldError("truncatedAlerts", "'truncatedAlerts' must be a whole number, 0 or more")],
        ),
    ],
)
def test_invalid_notifications_name_the_field(
    doc: dict[str, Any], expected: list[FieldError]
) -> None:
    with pytest.raises(PayloadError) as caught:
        run(doc)
    assert caught.value.status == 400
    assert caught.value.errors == expected
    assert caught.value.message == expected[0].message + "."


def test_a_list_is_not_a_notification() -> None:
    with pytest.raises(PayloadError, match="The Alertmanager notification must be a JSON object"):
        run([])


def grafana_run(doc: Any) -> Parsed:
    body = json.dumps(doc).encode()
    return grafana.parse(body, headers={}, received_at=RECEIVED_AT, config={})


def test_grafana_adds_dashboard_panel_and_values() -> None:
    firing, resolved = grafana_run(GRAFANA).alerts
    assert (firing.action, resolved.action) == (AlertAction.TRIGGER, AlertAction.RESOLVE)
    assert firing.links[-2:] == [
        "http://127.0.0.1:13000/d/node-exporter?orgId=1",
        "http://127.0.0.1:13000/d/node-exporter?orgId=1&viewPanel=4",
    ]
    assert firing.details["values"] == {"A": 93.4, "B": 1}
    assert firing.details["value_string"].startswith("[ var='A'")
    assert firing.occurred_at == datetime(2026, 11, 28, 4, 51, 0, 157076, tzinfo=UTC)


def test_grafana_refuses_values_that_are_not_numbers() -> None:
    doc = copy.deepcopy(GRAFANA)
    doc["alerts"][0]["values"] = {"A": "high"}
    doc["title"] = 5
    with pytest.raises(PayloadError) as caught:
        grafana_run(doc)
    assert caught.value.errors == [FieldError("title", "'title' must be a string, not a number")]
    doc["title"] = "ok"
    with pytest.raises(PayloadError) as caught:
        grafana_run(doc)
    assert caught.value.errors == [
        FieldError("alerts[0].values.A", "'alerts[0].values.A' must be a number")
    ]
