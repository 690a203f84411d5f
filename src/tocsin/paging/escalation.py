"""An escalation policy's steps, as pure arithmetic on (level, round).

A run pages one level, waits that level's delay, then pages the next; after the last level
it goes round again `repeat` more times, then stops ("exhausted"). Acknowledging stops it;
that is decided where events arrive, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class Position:
    """The next step of a run: page `level` in `round` (both from 0)."""

    level: int
    round: int


@dataclass(frozen=True, slots=True)
class Step:
    """Paging `page` now; then `following` is due after `wait`, or the run is exhausted
    (`following` is None)."""

    page: Position
    following: Position | None
    wait: timedelta


def step(delays_minutes: Sequence[int], repeat: int, at: Position) -> Step:
    """The step a run at `at` takes. A level beyond the policy's levels (the policy lost
    levels since the run started) is read as its last level."""
    if not delays_minutes:
        raise ValueError("an escalation policy has at least one level")
    last = len(delays_minutes) - 1
    page = Position(min(at.level, last), at.round)
    wait = timedelta(minutes=delays_minutes[page.level])
    if page.level < last:
        following: Position | None = Position(page.level + 1, page.round)
    elif page.round < repeat:
        following = Position(0, page.round + 1)
    else:
        following = None
    return Step(page=page, following=following, wait=wait)


def describe(page: Position, levels: int, repeat: int) -> str:
    """ "level 2 of 3" and, when the policy repeats, which round."""
    text = f"level {page.level + 1} of {levels}"
    if repeat:
        text += f", round {page.round + 1} of {repeat + 1}"
    return text
