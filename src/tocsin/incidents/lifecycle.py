"""The incident lifecycle as a pure state machine: which action moves which state where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    START = "start"
    HOLD = "hold"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"


class HoldReason(StrEnum):
    AWAITING_REQUESTER = "awaiting_requester"
    AWAITING_VENDOR = "awaiting_vendor"
    AWAITING_CHANGE = "awaiting_change"
    AWAITING_PROBLEM = "awaiting_problem"


class ResolutionCode(StrEnum):
    SOLVED_PERMANENTLY = "solved_permanently"
    SOLVED_WORKAROUND = "solved_workaround"
    NOT_REPRODUCIBLE = "not_reproducible"
    TOO_COSTLY = "too_costly"
    RESOLVED_BY_REQUESTER = "resolved_by_requester"
    DUPLICATE = "duplicate"
    # The monitoring system that raised every alert of the incident resolved them all.
    AUTO_RESOLVED = "auto_resolved"


OPEN_STATES: frozenset[State] = frozenset(
    {State.NEW, State.ASSIGNED, State.IN_PROGRESS, State.ON_HOLD}
)
# The open states' values in the lifecycle's order, and as SQL (partial indexes, queries).
OPEN_STATE_VALUES: tuple[str, ...] = tuple(s.value for s in State if s in OPEN_STATES)
OPEN_STATES_SQL = "state IN (" + ", ".join(f"'{v}'" for v in OPEN_STATE_VALUES) + ")"

# action -> {state it may start from: state it leads to}
TRANSITIONS: dict[Action, dict[State, State]] = {
    Action.ACKNOWLEDGE: {State.NEW: State.IN_PROGRESS, State.ASSIGNED: State.IN_PROGRESS},
    # Assigning a new incident makes it Assigned; re-assigning work under way keeps its state.
    Action.ASSIGN: {
        State.NEW: State.ASSIGNED,
        State.ASSIGNED: State.ASSIGNED,
        State.IN_PROGRESS: State.IN_PROGRESS,
        State.ON_HOLD: State.ON_HOLD,
    },
    Action.START: {State.NEW: State.IN_PROGRESS, State.ASSIGNED: State.IN_PROGRESS},
    Action.HOLD: {State.ASSIGNED: State.ON_HOLD, State.IN_PROGRESS: State.ON_HOLD},
    Action.RESUME: {State.ON_HOLD: State.IN_PROGRESS},
    Action.RESOLVE: dict.fromkeys(OPEN_STATES, State.RESOLVED),
    Action.CLOSE: {State.RESOLVED: State.CLOSED},
    Action.REOPEN: {State.RESOLVED: State.IN_PROGRESS},
    Action.CANCEL: dict.fromkeys(OPEN_STATES, State.CANCELLED),
}

# Actions whose first use is the incident's first response (acknowledged_at).
FIRST_RESPONSE = frozenset({Action.ACKNOWLEDGE, Action.START})


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    source: State
    target: State

    @property
    def first_response(self) -> bool:
        return self.action in FIRST_RESPONSE


def allowed_actions(state: State) -> list[Action]:
    return [action for action, moves in TRANSITIONS.items() if state in moves]


def plan(state: State, action: Action) -> Transition | None:
    """The transition `action` makes from `state`, or None when it is not allowed."""
    target = TRANSITIONS[action].get(state)
    if target is None:
        return None
    return Transition(action=action, source=state, target=target)


def is_open(state: State) -> bool:
    return state in OPEN_STATES
