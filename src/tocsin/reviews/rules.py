"""When an incident may have a review, and when it must (pure; the one place of the rule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_

# Reviews look back on finished work: a resolved or closed incident (not a cancelled one).
REVIEWABLE_STATES = frozenset({"resolved", "closed"})


class ReviewState:
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    ALL = ("draft", "in_review", "published")


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """TOCSIN_REVIEW_REQUIRED_PRIORITIES and TOCSIN_REVIEW_REQUIRED_FOR_MAJOR."""

    priorities: frozenset[int]
    for_major: bool

    def required(self, *, priority: int, major: bool) -> bool:
        return priority in self.priorities or (self.for_major and major)

    def required_clause(self, priority: Any, major: Any) -> ColumnElement[bool]:
        """`required` as a SQL condition over the incident's priority and major columns."""
        parts: list[ColumnElement[bool]] = []
        if self.priorities:
            parts.append(priority.in_(sorted(self.priorities)))
        if self.for_major:
            parts.append(major.is_(True))
        return or_(*parts) if parts else false()


def parse_priorities(value: str) -> frozenset[int]:
    """ "1,2" or "P1, P2" -> {1, 2}; empty -> none required by priority."""
    out: set[int] = set()
    for part in value.split(","):
        text = part.strip().upper().removeprefix("P")
        if not text:
            continue
        if not text.isdecimal() or not 1 <= int(text) <= 5:
            raise ValueError(f"{part.strip()!r} is not a priority (1-5, or P1-P5)")
        out.add(int(text))
    return frozenset(out)
