"""The built-in senders register themselves, each with a valid default configuration."""

from __future__ import annotations

import inspect

import pytest

from tests.integrations.helpers import SENDERS
from tocsin.integrations import registry


def test_every_builtin_sender_is_registered() -> None:
    assert registry.names() == sorted(SENDERS)


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
