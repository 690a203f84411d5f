"""Receivers on real sockets (127.0.0.1, free ports) over the app and database fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

import pytest

from tocsin.alerts.schemas import IntegrationConfig, IntegrationCreated, IntegrationIn
from tocsin.auth.principal import Principal
from tocsin.bootstrap import Tocsin
from tocsin.receivers import Receivers

T = TypeVar("T")


def wait_for(check: Callable[[], T], *, timeout: float = 10.0, what: str = "the effect") -> T:
    """Poll `check` until it answers something truthy (bounded); that answer."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s (last: {value!r})")
        time.sleep(0.02)


def create_integration(
    app: Tocsin, admin: Principal, kind: str, name: str, parser: Mapping[str, object] | None = None
) -> IntegrationCreated:
    config = IntegrationConfig(parser=dict(parser or {}))
    return app.integrations.create(admin, IntegrationIn(type=kind, name=name, config=config))


@pytest.fixture
def receivers(app: Tocsin) -> Iterator[Receivers]:
    """Syslog (UDP + TCP) and SMTP on free ports of 127.0.0.1; only 127.0.0.1 may send syslog."""
    handle = Receivers(app).start(
        syslog=("127.0.0.1", 0), smtp=("127.0.0.1", 0), allow="127.0.0.1/32"
    )
    yield handle
    handle.stop()
