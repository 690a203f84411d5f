"""Weighted votes (pure): what similar past incidents say a field should be."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

V = TypeVar("V", bound=Hashable)


def votes(ballots: Iterable[tuple[V | None, float]], *, top: int = 3) -> list[tuple[V, float]]:
    """Values by their share of the total weight (values that are None abstain; their
    weight still counts, so a field most similar incidents leave empty gets low
    confidence). The best `top`, ties broken by value order of first appearance."""
    weights: dict[V, float] = {}
    total = 0.0
    for value, weight in ballots:
        total += weight
        if value is not None:
            weights[value] = weights.get(value, 0.0) + weight
    if total <= 0:
        return []
    ranked = sorted(weights.items(), key=lambda kv: -kv[1])
    return [(value, round(weight / total, 3)) for value, weight in ranked[:top]]
