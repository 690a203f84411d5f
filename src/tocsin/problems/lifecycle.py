"""The problem lifecycle as a pure table: which state may follow which, and what each
state needs recorded before a problem may enter it."""

from __future__ import annotations

from enum import StrEnum


class ProblemState(StrEnum):
    NEW = "new"
    ASSESSED = "assessed"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis"
    KNOWN_ERROR = "known_error"
    RESOLVED = "resolved"
    CLOSED = "closed"


S = ProblemState

# state -> the states it may move to, in the lifecycle's order
TRANSITIONS: dict[ProblemState, tuple[ProblemState, ...]] = {
    S.NEW: (S.ASSESSED, S.CLOSED),
    S.ASSESSED: (S.ROOT_CAUSE_ANALYSIS, S.CLOSED),
    # A cause found with a fix at hand may skip the known-error stage.
    S.ROOT_CAUSE_ANALYSIS: (S.KNOWN_ERROR, S.RESOLVED, S.CLOSED),
    S.KNOWN_ERROR: (S.ROOT_CAUSE_ANALYSIS, S.RESOLVED, S.CLOSED),
    # A fix that did not hold sends the problem back to analysis.
    S.RESOLVED: (S.ROOT_CAUSE_ANALYSIS, S.CLOSED),
    S.CLOSED: (),
}

OPEN_STATES = frozenset({S.NEW, S.ASSESSED, S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR})


def allowed(state: ProblemState) -> tuple[ProblemState, ...]:
    return TRANSITIONS[state]


def may_move(source: ProblemState, target: ProblemState) -> bool:
    return target in TRANSITIONS[source]


def missing_for(
    target: ProblemState, *, root_cause: str, workaround: str, permanent_fix: str
) -> list[str]:
    """The fields a problem must have (non-blank) to enter `target`."""
    needed: dict[str, str] = {}
    if target is S.KNOWN_ERROR:
        needed = {"root_cause": root_cause, "workaround": workaround}
    elif target is S.RESOLVED:
        needed = {"permanent_fix": permanent_fix}
    return [name for name, value in needed.items() if not value.strip()]
