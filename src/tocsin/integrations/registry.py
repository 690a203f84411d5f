"""The registry of sender types. Each built-in module calls `register` at import."""

from __future__ import annotations

from tocsin.integrations.base import IntegrationType

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
    kind = _TYPES.get(name)
    if kind is not None:  # the hot path: once loaded, a look-up
        return kind
    load_builtins()
    try:
        return _TYPES[name]
    except KeyError:
        known = ", ".join(sorted(_TYPES))
        raise KeyError(f"unknown integration type {name!r}; known types: {known}") from None


def names() -> list[str]:
    load_builtins()
    return sorted(_TYPES)


def load_builtins() -> None:
    from tocsin.integrations import (  # noqa: F401 - imported for their registration
        alertmanager,
        email,
        generic,
        grafana,
        opsgenie,
        pagerduty,
        suricata,
        syslog,
    )
