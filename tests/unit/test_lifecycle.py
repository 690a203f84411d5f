"""The lifecycle state machine, exhaustively."""

from __future__ import annotations

import pytest

from tocsin.incidents.lifecycle import (
    Action,
    State,
    allowed_actions,
    is_open,
    plan,
)

EXPECTED: dict[tuple[State, Action], State] = {
    (State.NEW, Action.ACKNOWLEDGE): State.IN_PROGRESS,
    (State.ASSIGNED, Action.ACKNOWLEDGE): State.IN_PROGRESS,
    (State.NEW, Action.ASSIGN): State.ASSIGNED,
    (State.ASSIGNED, Action.ASSIGN): State.ASSIGNED,
    (State.IN_PROGRESS, Action.ASSIGN): State.IN_PROGRESS,
    (State.ON_HOLD, Action.ASSIGN): State.ON_HOLD,
    (State.NEW, Action.START): State.IN_PROGRESS,
    (State.ASSIGNED, Action.START): State.IN_PROGRESS,
    (State.ASSIGNED, Action.HOLD): State.ON_HOLD,
    (State.IN_PROGRESS, Action.HOLD): State.ON_HOLD,
    (State.ON_HOLD, Action.RESUME): State.IN_PROGRESS,
    (State.NEW, Action.RESOLVE): State.RESOLVED,
    (State.ASSIGNED, Action.RESOLVE): State.RESOLVED,
    (State.IN_PROGRESS, Action.RESOLVE): State.RESOLVED,
    (State.ON_HOLD, Action.RESOLVE): State.RESOLVED,
    (State.RESOLVED, Action.CLOSE): State.CLOSED,
    (State.RESOLVED, Action.REOPEN): State.IN_PROGRESS,
    (State.NEW, Action.CANCEL): State.CANCELLED,
    (State.ASSIGNED, Action.CANCEL): State.CANCELLED,
    (State.IN_PROGRESS, Action.CANCEL): State.CANCELLED,
    (State.ON_HOLD, Action.CANCEL): State.CANCELLED,
}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair_of_state_and_action(state: State, action: Action) -> None:
    transition = plan(state, action)
    if (state, action) in EXPECTED:
        assert transition is not None
        assert transition.target is EXPECTED[(state, action)]
        assert action in allowed_actions(state)
    else:
        assert transition is None
        assert action not in allowed_actions(state)


def test_closed_and_cancelled_are_final() -> None:
    assert allowed_actions(State.CLOSED) == []
    assert allowed_actions(State.CANCELLED) == []


def test_resolved_can_only_be_closed_or_reopened() -> None:
    assert set(allowed_actions(State.RESOLVED)) == {Action.CLOSE, Action.REOPEN}


def test_first_response_actions() -> None:
    assert plan(State.NEW, Action.ACKNOWLEDGE).first_response  # type: ignore[union-attr]
    assert plan(State.ASSIGNED, Action.START).first_response  # type: ignore[union-attr]
    assert not plan(State.NEW, Action.RESOLVE).first_response  # type: ignore[union-attr]


def test_an_incident_is_open_while_it_can_still_be_resolved_or_cancelled() -> None:
    resolvable = {s for s in State if plan(s, Action.RESOLVE)}
    cancellable = {s for s in State if plan(s, Action.CANCEL)}
    assert {s for s in State if is_open(s)} == resolvable == cancellable
