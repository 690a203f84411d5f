"""ITIL impact x urgency -> priority."""

from __future__ import annotations

import pytest

from tocsin.incidents.priority import derive_priority, parse_priority
from tocsin.settings import DEFAULT_PRIORITY_MATRIX, Settings


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        (1, 1, 1),
        (1, 2, 2),
        (2, 1, 2),
        (1, 3, 3),
        (2, 2, 3),
        (3, 1, 3),
        (2, 3, 4),
        (3, 2, 4),
        (3, 3, 5),
    ],
)
def test_default_matrix(impact: int, urgency: int, priority: int) -> None:
    assert derive_priority(DEFAULT_PRIORITY_MATRIX, impact=impact, urgency=urgency) == priority


def test_custom_matrix() -> None:
    matrix = {**DEFAULT_PRIORITY_MATRIX, "1x3": 2}
    assert derive_priority(matrix, impact=1, urgency=3) == 2


@pytest.mark.parametrize("bad", [0, 4, -1])
def test_levels_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="impact must be"):
        derive_priority(DEFAULT_PRIORITY_MATRIX, impact=bad, urgency=1)
    with pytest.raises(ValueError, match="urgency must be"):
        derive_priority(DEFAULT_PRIORITY_MATRIX, impact=1, urgency=bad)


@pytest.mark.parametrize(("text", "value"), [("P1", 1), ("p5", 5), ("3", 3), (2, 2), (" P2 ", 2)])
def test_parse_priority(text: str | int, value: int) -> None:
    assert parse_priority(text) == value


@pytest.mark.parametrize("text", ["P0", "P6", "high", ""])
def test_parse_priority_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="priority must be"):
        parse_priority(text)


def test_settings_reject_incomplete_matrix() -> None:
    with pytest.raises(ValueError, match="lacks entries for 3x3"):
        Settings(priority_matrix={k: v for k, v in DEFAULT_PRIORITY_MATRIX.items() if k != "3x3"})
    with pytest.raises(ValueError, match="must be 1-5"):
        Settings(priority_matrix={**DEFAULT_PRIORITY_MATRIX, "1x1": 0})
