"""The engine loop logs what its modules did without tripping over the logging module."""

from __future__ import annotations

import logging

import pytest

from tocsin.bootstrap import Tocsin
from tocsin.workers.engine import Engine, Module


def _broken() -> int:
    raise RuntimeError("boom")


def test_a_tick_logs_what_acted_and_what_failed(
    app: Tocsin, caplog: pytest.LogCaptureFixture
) -> None:
    # `module` is a LogRecord attribute: passing it as an extra raised KeyError from the
    # logging call itself, which ended `tocsin serve`'s engine thread the first time a
    # module acted with INFO logging on.
    caplog.set_level(logging.INFO, logger="tocsin.engine")
    modules = [Module("acts", lambda: 3), Module("breaks", _broken)]
    engine = Engine(app, modules, holder="one", paging=[])
    assert engine.tick() == {"acts": 3}
    logged = {(r.getMessage(), getattr(r, "engine_module", None)) for r in caplog.records}
    assert ("engine module acted", "acts") in logged
    assert ("engine module failed", "breaks") in logged
