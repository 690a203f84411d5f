"""Summary statistics of durations, as every report counts them (pure).

Negative durations come from bad source data (an import whose clocks disagree); they are
left out of the figures and counted as `skipped`, never clamped to zero.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
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


def nearest_rank(count: int, fraction: float) -> int:
    """The 1-based rank of the `fraction` percentile among `count` ordered values, by the
    nearest-rank method: ceil(fraction * count)."""
    if count < 1:
        raise ValueError("a percentile of no values")
    if not 0 < fraction <= 1:
        raise ValueError("the fraction is in (0, 1]")
    return max(math.ceil(fraction * count - 1e-9), 1)


def percentile_nearest_rank(ordered: Sequence[float], fraction: float) -> float:
    """The ceil(fraction * n)-th smallest value of an ordered, non-empty sequence."""
    return float(ordered[nearest_rank(len(ordered), fraction) - 1])


# values_from(rank, n): the n values from the rank-th smallest (1-based), in order.
RankedValues = Callable[[int, int], Sequence[float]]


def ranked_summary(
    count: int, skipped: int, mean: float | None, values_from: RankedValues
) -> Summary:
    """The summary of `count` kept durations that can be read by rank: the median is the
    middle value (the mean of the two middle ones when count is even), the 90th percentile
    the nearest-rank one. Both the in-memory path (summarise) and the database path (an
    index walked to a rank) read their figures through this."""
    if count == 0:
        return Summary(count=0, skipped=skipped, mean=None, median=None, p90=None)
    middle = values_from((count + 1) // 2, 1 if count % 2 else 2)
    return Summary(
        count=count,
        skipped=skipped,
        mean=None if mean is None else float(mean),
        median=float(math.fsum(middle) / len(middle)),
        p90=float(values_from(nearest_rank(count, 0.9), 1)[0]),
    )


def summarise(seconds: Iterable[float]) -> Summary:
    values = list(seconds)
    kept = sorted(v for v in values if v >= 0)
    return ranked_summary(
        len(kept),
        len(values) - len(kept),
        statistics.fmean(kept) if kept else None,
        lambda rank, n: kept[rank - 1 : rank - 1 + n],
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
