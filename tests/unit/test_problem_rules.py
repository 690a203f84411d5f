"""Problems' pure rules: the lifecycle table, text similarity, known-error matching and
the clustering of recurring incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.problems.clustering import Item, cluster_key, clusters
from tocsin.problems.impact import Occurrence, impact
from tocsin.problems.lifecycle import TRANSITIONS, ProblemState, allowed, may_move, missing_for
from tocsin.problems.matching import (
    IncidentFacts,
    KnownErrorFacts,
    common_fingerprint,
    match,
    matches,
)
from tocsin.problems.similarity import jaccard, similar, tokens
from tocsin.problems.voting import votes

S = ProblemState


def test_every_state_has_a_row_and_closed_is_final() -> None:
    assert set(TRANSITIONS) == set(S)
    assert allowed(S.CLOSED) == ()
    assert all(S.NEW not in targets for targets in TRANSITIONS.values())


@pytest.mark.parametrize(
    ("source", "target", "ok"),
    [
        (S.NEW, S.ASSESSED, True),
        (S.NEW, S.KNOWN_ERROR, False),
        (S.ASSESSED, S.ROOT_CAUSE_ANALYSIS, True),
        (S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR, True),
        (S.KNOWN_ERROR, S.RESOLVED, True),
        (S.RESOLVED, S.CLOSED, True),
        (S.RESOLVED, S.KNOWN_ERROR, False),
        (S.CLOSED, S.NEW, False),
    ],
)
def test_transitions(source: ProblemState, target: ProblemState, ok: bool) -> None:
    assert may_move(source, target) is ok


def test_what_each_state_needs() -> None:
    blank = {"root_cause": " ", "workaround": "", "permanent_fix": ""}
    assert missing_for(S.KNOWN_ERROR, **blank) == ["root_cause", "workaround"]
    assert missing_for(S.RESOLVED, **blank) == ["permanent_fix"]
    assert missing_for(S.ASSESSED, **blank) == []
    full = {"root_cause": "disk", "workaround": "restart", "permanent_fix": "bigger disk"}
    assert missing_for(S.KNOWN_ERROR, **full) == []
    assert missing_for(S.RESOLVED, **full) == []


def test_tokens_drop_case_stop_words_and_punctuation() -> None:
    assert tokens("The DB is down, again!") == {"db", "down"}
    assert tokens("disk /var full on web-01") == {"disk", "var", "full", "web-01"}
    assert tokens("") == frozenset()


def test_jaccard() -> None:
    a, b = tokens("database connection pool exhausted"), tokens("connection pool exhausted")
    assert jaccard(a, b) == pytest.approx(3 / 4)
    assert jaccard(a, frozenset()) == 0.0
    assert similar(a, b)
    assert not similar(a, tokens("printer out of paper"))


def _incident(**kw: object) -> IncidentFacts:
    base: dict[str, object] = {
        "customer_id": 1,
        "service_id": 10,
        "category_id": 5,
        "dedup_keys": frozenset(),
        "words": tokens("checkout fails with payment timeout"),
    }
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


def _known(**kw: object) -> KnownErrorFacts:
    base: dict[str, object] = {
        "id": 7,
        "customer_id": 1,
        "service_id": 10,
        "category_id": 5,
        "fingerprint": None,
        "active": True,
        "words": tokens("payment timeout at checkout"),
    }
    base.update(kw)
    return KnownErrorFacts(**base)  # type: ignore[arg-type]


def test_text_match_needs_service_category_and_similar_text() -> None:
    found = match(_incident(), _known())
    assert found is not None
    assert found.reason == "text"
    assert found.score >= 0.3
    assert match(_incident(service_id=11), _known()) is None
    assert match(_incident(category_id=None), _known(category_id=None)) is None
    assert match(_incident(service_id=None), _known(service_id=None)) is None
    assert match(_incident(words=tokens("printer jammed")), _known()) is None


def test_fingerprint_matches_whatever_the_text_and_service() -> None:
    incident = _incident(service_id=None, words=tokens("x"), dedup_keys=frozenset({"fp-1"}))
    found = match(incident, _known(fingerprint="fp-1", service_id=None))
    assert found is not None
    assert found.reason == "fingerprint"
    assert found.score == 1.0
    assert match(incident, _known(fingerprint="fp-2")) is None


def test_no_match_across_customers_or_when_inactive() -> None:
    assert match(_incident(customer_id=2), _known()) is None
    assert match(_incident(), _known(active=False)) is None


def test_matches_are_ordered_best_first() -> None:
    incident = _incident(dedup_keys=frozenset({"fp"}))
    found = matches(incident, [_known(id=1), _known(id=2, fingerprint="fp"), _known(id=3)])
    assert [m.known_error_id for m in found] == [2, 1, 3]


def _item(i: int, **kw: object) -> Item:
    base: dict[str, object] = {
        "id": i,
        "customer_id": 1,
        "service_id": 10,
        "category_id": 5,
        "dedup_keys": frozenset(),
        "words": tokens("disk full on web server"),
    }
    base.update(kw)
    return Item(**base)  # type: ignore[arg-type]


def test_clusters_by_text_and_by_fingerprint() -> None:
    items = [
        _item(1),
        _item(2, words=tokens("web server disk full")),
        _item(3, words=tokens("disk full again on web server")),
        _item(4, words=tokens("printer jammed")),  # same service, other text
        _item(5, service_id=None, dedup_keys=frozenset({"a"}), words=tokens("x")),
        _item(6, category_id=None, dedup_keys=frozenset({"a"}), words=tokens("y")),
        _item(7, service_id=None, dedup_keys=frozenset({"a"}), words=tokens("z")),
        _item(8, customer_id=2),  # another customer: never with 1-3
        _item(9, customer_id=2, dedup_keys=frozenset({"a"})),
    ]
    found = clusters(items, minimum=3)
    assert [c.ids for c in found] == [(1, 2, 3), (5, 6, 7)]
    assert found[0].key == cluster_key(1, [3, 2, 1])
    assert clusters(items, minimum=4) == []


def test_cluster_key_changes_when_the_cluster_grows() -> None:
    assert cluster_key(1, [1, 2, 3]) != cluster_key(1, [1, 2, 3, 4])
    assert cluster_key(1, [1, 2, 3]) != cluster_key(2, [1, 2, 3])


def test_votes_weigh_and_abstain() -> None:
    ballots = [("Network", 0.9), ("Network", 0.5), ("Database", 0.6), (None, 0.0)]
    assert votes(ballots) == [("Network", 0.7), ("Database", 0.3)]
    assert votes([(None, 1.0), ("x", 1.0)]) == [("x", 0.5)]
    assert votes([]) == []
    assert len(votes([(n, 1.0) for n in range(5)], top=3)) == 3


def test_impact_sums_downtime_of_resolved_and_open_incidents() -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    now = t0 + timedelta(hours=10)
    found = impact(
        [
            Occurrence(t0, t0 + timedelta(hours=2), open=False),
            Occurrence(t0 + timedelta(hours=4), None, open=True),  # 6 h so far
            Occurrence(t0 + timedelta(hours=5), None, open=False),  # cancelled: none
            Occurrence(t0 + timedelta(hours=6), t0, open=False),  # negative: none
        ],
        now,
    )
    assert (found.incidents, found.open, found.downtime_seconds) == (4, 1, 8 * 3600)
    assert (found.first_at, found.last_at) == (t0, t0 + timedelta(hours=6))
    assert impact([], now).first_at is None


def test_common_fingerprint_needs_two_incidents() -> None:
    assert common_fingerprint([frozenset({"a"}), frozenset({"a", "b"}), frozenset()]) == "a"
    assert common_fingerprint([frozenset({"a"}), frozenset({"b"})]) is None
