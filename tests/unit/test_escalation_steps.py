"""The escalation policy's arithmetic: which level is paged, what follows, after how long."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.paging.escalation import Position, describe, step


def test_levels_follow_each_other_after_their_delays() -> None:
    first = step([5, 10], 0, Position(0, 0))
    assert first.page == Position(0, 0)
    assert first.following == Position(1, 0)
    assert first.wait == timedelta(minutes=5)
    second = step([5, 10], 0, first.following)
    assert second.page == Position(1, 0)
    assert second.following is None  # no repeat: the run is exhausted after the last level


def test_a_repeating_policy_goes_round_again_then_stops() -> None:
    at = Position(0, 0)
    paged = []
    while True:
        taken = step([1, 2, 3], 2, at)
        paged.append((taken.page.level, taken.page.round))
        if taken.following is None:
            break
        at = taken.following
    assert paged == [(lv, r) for r in range(3) for lv in range(3)]


def test_a_level_the_policy_no_longer_has_reads_as_its_last() -> None:
    taken = step([1, 2], 1, Position(5, 0))
    assert taken.page == Position(1, 0)
    assert taken.following == Position(0, 1)


def test_a_policy_without_levels_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one level"):
        step([], 0, Position(0, 0))


def test_describe_names_level_and_round() -> None:
    assert describe(Position(1, 0), 3, 0) == "level 2 of 3"
    assert describe(Position(0, 1), 2, 2) == "level 1 of 2, round 2 of 3"
