"""Refusals are recorded one by one up to an allowance a minute, the rest summarised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tocsin.auth.refusals import OTHER, OVERALL, PER_SOURCE, SUMMARIES, RefusalLimiter
from tocsin.core.addresses import source_key

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_source_is_recorded_up_to_its_allowance_then_counted() -> None:
    limiter = RefusalLimiter()
    decisions = [limiter.admit("192.0.2.1", "bad token", T0)[0] for _ in range(PER_SOURCE + 5)]
    assert decisions == [True] * PER_SOURCE + [False] * 5
    assert limiter.due(T0 + timedelta(seconds=59)) == []
    (summary,) = limiter.due(T0 + timedelta(minutes=1))
    assert summary.source == "192.0.2.1"
    assert summary.refusals == 5
    assert summary.reasons == {"bad token": 5}
    assert (summary.start, summary.end) == (T0, T0 + timedelta(minutes=1))
    # a new minute: the allowance is back
    assert limiter.admit("192.0.2.1", "bad token", T0 + timedelta(minutes=2))[0]


def test_the_ended_minute_is_summarised_with_the_next_refusal() -> None:
    limiter = RefusalLimiter()
    for _ in range(PER_SOURCE + 1):
        limiter.admit("a", "r", T0)
    recorded, ended = limiter.admit("b", "r", T0 + timedelta(minutes=3))
    assert recorded
    assert [(s.source, s.refusals) for s in ended] == [("a", 1)]


def test_a_source_within_its_allowance_gets_no_summary() -> None:
    limiter = RefusalLimiter()
    for _ in range(PER_SOURCE):
        limiter.admit("a", "r", T0)
    assert limiter.due(T0 + timedelta(minutes=1)) == []


def test_many_sources_share_the_overall_allowance_and_fold_into_one_summary() -> None:
    limiter = RefusalLimiter()
    sources = [f"198.51.100.{i}" for i in range(200)] + [f"203.0.113.{i}" for i in range(100)]
    recorded = sum(limiter.admit(source, "r", T0)[0] for source in sources)
    assert recorded == OVERALL
    summaries = limiter.due(T0 + timedelta(minutes=1))
    assert len(summaries) == SUMMARIES + 1
    assert summaries[-1].source == OTHER
    assert summaries[-1].sources == len(sources) - OVERALL - SUMMARIES
    assert sum(s.refusals for s in summaries) == len(sources) - OVERALL


def test_drain_summarises_the_open_minute() -> None:
    limiter = RefusalLimiter()
    for _ in range(PER_SOURCE + 2):
        limiter.admit("a", "r", T0)
    (summary,) = limiter.drain(T0 + timedelta(seconds=10))
    assert summary.refusals == 2
    assert summary.end == T0 + timedelta(seconds=10)
    assert limiter.drain(T0 + timedelta(seconds=11)) == []


def test_sources_are_counted_by_address_and_ipv6_by_its_64() -> None:
    assert source_key("192.0.2.1") == "192.0.2.1"
    assert source_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert source_key("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert source_key("::ffff:192.0.2.9") == "192.0.2.9"
    assert source_key("testclient") == "testclient"
    assert len(source_key("x" * 10_000)) == 64  # its SHA-256
