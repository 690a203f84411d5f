"""ITIL priority: impact x urgency through a configurable matrix (pure)."""

from __future__ import annotations

from collections.abc import Mapping

LEVELS = {1: "High", 2: "Medium", 3: "Low"}
PRIORITY_LABELS = {1: "P1 Critical", 2: "P2 High", 3: "P3 Moderate", 4: "P4 Low", 5: "P5 Planning"}


def derive_priority(matrix: Mapping[str, int], *, impact: int, urgency: int) -> int:
    if impact not in LEVELS:
        raise ValueError(f"impact must be 1 (High), 2 (Medium) or 3 (Low), not {impact}")
    if urgency not in LEVELS:
        raise ValueError(f"urgency must be 1 (High), 2 (Medium) or 3 (Low), not {urgency}")
    return matrix[f"{impact}x{urgency}"]


def parse_priority(value: str | int) -> int:
    """Accept 1-5 or P1-P5 (any case), as users type them."""
    text = str(value).strip().upper().removeprefix("P")
    if text.isdecimal() and 1 <= int(text) <= 5:
        return int(text)
    raise ValueError(f"priority must be 1-5 or P1-P5, not {value!r}")
