"""The incident page's SLA timers and next step, from what the SLA service answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tocsin.incidents.lifecycle import Action, State, allowed_actions
from tocsin.sla.schemas import SlaOut, SlaTargetOut
from tocsin.web.ui.incident_view import NEXT_STEP, sla_timers

DUE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _target(**fields: Any) -> SlaTargetOut:
    values: dict[str, Any] = {
        "due_at": DUE,
        "met_at": None,
        "breached": False,
        "remaining_seconds": 60.0,
    }
    return SlaTargetOut(**{**values, **fields})


def _sla(state: str, response: SlaTargetOut, resolution: SlaTargetOut) -> SlaOut:
    return SlaOut(policy="p1", state=state, response=response, resolution=resolution, made_sla=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("state", "response", "resolution", "expected"),
    [
        ("ok", _target(), _target(), ["running", "running"]),
        ("warning", _target(met_at=DUE), _target(), ["met", "warning"]),
        ("breached", _target(breached=True), _target(), ["breached", "running"]),
        ("breached", _target(met_at=DUE, breached=True), _target(), ["breached", "running"]),
        ("paused", _target(due_at=None), _target(due_at=None), ["paused", "paused"]),
        ("met", _target(met_at=DUE), _target(met_at=DUE), ["met", "met"]),
    ],
)
def test_each_target_shows_its_own_state(
    state: str, response: SlaTargetOut, resolution: SlaTargetOut, expected: list[str]
) -> None:
    timers = sla_timers(_sla(state, response, resolution))
    assert [t.name for t in timers] == ["Response", "Resolution"]
    assert [t.state for t in timers] == expected


def test_no_sla_no_timers() -> None:
    assert sla_timers(None) == []


def test_the_next_step_is_always_an_action_the_state_allows() -> None:
    for state, action in NEXT_STEP.items():
        assert action in allowed_actions(state), (state, action)
    assert NEXT_STEP[State.IN_PROGRESS] is Action.RESOLVE
