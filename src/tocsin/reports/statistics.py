"""Summary statistics of durations, as every report counts them (pure).

Negative durations come from bad source data (an import whose clocks disagree); they are
left out of the figures and counted as `skipped`, never clamped to zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures in seconds; None when no duration counted (not the same as zero)."""

    count: int
    skipped: int
    mean: float | None
    median: float | None
    p90: float | None


def percentile_nearest_rank(ordered: Sequence[float], fraction: float) -> float:
    """The ceil(fraction * n)-th smallest value of an ordered, non-empty sequence."""
    if not ordered:
        raise ValueError("a percentile of no values")
    if not 0 < fraction <= 1:
        raise ValueError("the fraction is in (0, 1]")
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return float(ordered[max(rank, 1) - 1])


def summarise(seconds: Iterable[float]) -> Summary:
    values = list(seconds)
    kept = sorted(v for v in values if v >= 0)
    skipped = len(values) - len(kept)
    if not kept:
        return Summary(count=0, skipped=skipped, mean=None, median=None, p90=None)
    return Summary(
        count=len(kept),
        skipped=skipped,
        mean=statistics.fmean(kept),
        median=float(statistics.median(kept)),
        p90=percentile_nearest_rank(kept, 0.9),
    )


# Backlog age buckets: (label, lower bound inclusive); the last has no upper bound.
AGE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("<1d", timedelta(0)),
    ("1-3d", timedelta(days=1)),
    ("3-7d", timedelta(days=3)),
    ("7-30d", timedelta(days=7)),
    (">30d", timedelta(days=30)),
)


def age_bucket(opened_at: datetime, at: datetime) -> str:
    """The backlog bucket of an incident opened at `opened_at`, seen at `at`."""
    age = at - opened_at
    label = AGE_BUCKETS[0][0]
    for name, lower in AGE_BUCKETS:
        if age >= lower:
            label = name
    return label


def share(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal; None when whole is zero."""
    return None if whole == 0 else round(100.0 * part / whole, 1)
