"""The built-in senders register themselves, each with a valid default configuration."""

from __future__ import annotations

import inspect

import pytest

from tests.integrations.helpers import SENDERS
from tocsin.integrations import registry


def test_every_builtin_sender_is_registered() -> None:
    # heartbeat: alerts Tocsin raises itself, tested in tests/integrations/test_heartbeat.py
    assert registry.names() == sorted([*SENDERS, "heartbeat"])


@pytest.mark.parametrize("name", SENDERS)
def test_each_type_is_complete(name: str) -> None:
    kind = registry.get(name)
    assert kind.name == name
    assert kind.title
    parameters = inspect.signature(kind.parse).parameters
    assert list(parameters) == ["body", "headers", "received_at", "config"]
    assert all(p.kind is p.KEYWORD_ONLY for p in list(parameters.values())[1:])
    if kind.check_config is not None:
        assert kind.check_config(kind.default_config) == []
    module = inspect.getmodule(kind.parse)
    assert module is not None
    assert module.__doc__


def test_the_http_senders_declare_their_routes() -> None:
    routes = {name: [r.path for r in registry.get(name).routes] for name in SENDERS}
    assert routes == {
        "pagerduty": ["/v2/enqueue"],
        "opsgenie": ["/v2/alerts", "/v2/alerts/{identifier}/{action}"],
        "alertmanager": ["/api/v1/ingest/alertmanager"],
        "grafana": ["/api/v1/ingest/grafana"],
        "generic": ["/api/v1/ingest/generic"],
        "suricata": ["/api/v1/ingest/suricata"],
        "syslog": [],  # their own receivers
        "email": [],
    }
    operations = [r.operation_id for name in SENDERS for r in registry.get(name).routes]
    assert len(operations) == len(set(operations))


@pytest.mark.parametrize("name", SENDERS)
def test_route_parsers_take_the_request_by_keyword(name: str) -> None:
    for route in registry.get(name).routes:
        if route.parse is not None:
            parameters = list(inspect.signature(route.parse).parameters.values())
            names = [p.name for p in parameters]
            assert names == ["body", "params", "query", "headers", "received_at", "config"]
            assert all(p.kind is p.KEYWORD_ONLY for p in parameters[1:])
