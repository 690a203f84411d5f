"""Which known errors a new incident matches (pure: facts in, matches out).

The rule: same customer, the known error active, and either the incident's alert dedup
key equals the known error's fingerprint, or service and category are both set and equal
and the texts are similar (`similarity.THRESHOLD`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.problems.similarity import THRESHOLD, jaccard


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    customer_id: int
    service_id: int | None
    category_id: int | None
    dedup_keys: frozenset[str]
    words: frozenset[str]  # title + description


@dataclass(frozen=True, slots=True)
class KnownErrorFacts:
    id: int
    customer_id: int
    service_id: int | None
    category_id: int | None
    fingerprint: str | None
    active: bool
    words: frozenset[str]  # title + symptoms


@dataclass(frozen=True, slots=True)
class Match:
    known_error_id: int
    # "fingerprint" (an exact alert key) or "text" (service, category and similar text)
    reason: str
    score: float


def match(incident: IncidentFacts, known: KnownErrorFacts) -> Match | None:
    if not known.active or known.customer_id != incident.customer_id:
        return None
    if known.fingerprint and known.fingerprint in incident.dedup_keys:
        return Match(known.id, "fingerprint", 1.0)
    if (
        known.service_id is None
        or known.category_id is None
        or known.service_id != incident.service_id
        or known.category_id != incident.category_id
    ):
        return None
    score = jaccard(incident.words, known.words)
    return Match(known.id, "text", score) if score >= THRESHOLD else None


def matches(incident: IncidentFacts, known_errors: Iterable[KnownErrorFacts]) -> list[Match]:
    """The matching known errors, best first (fingerprint matches, then by score)."""
    found = [m for k in known_errors if (m := match(incident, k)) is not None]
    return sorted(found, key=lambda m: (-m.score, m.known_error_id))


def common_fingerprint(keys: Iterable[frozenset[str]]) -> str | None:
    """The alert key most of a problem's incidents share (at least two of them): the
    fingerprint its known error is recognised by. None when no key recurs."""
    counts = Counter(key for per_incident in keys for key in per_incident)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[0][0] if ranked and ranked[0][1] >= 2 else None
