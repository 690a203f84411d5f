"""The registry of sender types. Each sender's module declares its `TYPE`; the built-in
ones are registered here, a third-party one by calling `register` with its own."""

from __future__ import annotations

from tocsin.integrations import (
    alertmanager,
    email,
    generic,
    grafana,
    heartbeat,
    opsgenie,
    pagerduty,
    suricata,
    syslog,
)
from tocsin.integrations.base import IntegrationType

BUILTINS: tuple[IntegrationType, ...] = tuple(
    module.TYPE
    for module in (
        alertmanager,
        email,
        generic,
        grafana,
        opsgenie,
        pagerduty,
        suricata,
        syslog,
        heartbeat,
    )
)
_TYPES: dict[str, IntegrationType] = {}


def register(kind: IntegrationType) -> IntegrationType:
    if kind.name in _TYPES and _TYPES[kind.name] is not kind:
        raise ValueError(f"integration type {kind.name!r} is registered twice")
    _TYPES[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget a type (a test's own sender, once the test is done)."""
    _TYPES.pop(name, None)


def get(name: str) -> IntegrationType:
    try:
        return _TYPES[name]
    except KeyError:
        known = ", ".join(sorted(_TYPES))
        raise KeyError(f"unknown integration type {name!r}; known types: {known}") from None


def names() -> list[str]:
    return sorted(_TYPES)


for _kind in BUILTINS:
    register(_kind)
