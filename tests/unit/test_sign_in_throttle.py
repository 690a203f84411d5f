"""The sign-in throttling rules: counts, windows, doubling blocks, forgetting, key shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.auth.throttle import (
    ACCOUNT_LIMIT,
    FIRST_BLOCK,
    FORGET_AFTER,
    LONGEST_BLOCK,
    SOURCE_LIMIT,
    WINDOW,
    Limit,
    State,
    account_key,
    after_failure,
    block_length,
    retry_after,
    source_group,
    source_key,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fail(state: State, limit: Limit, now: datetime, times: int = 1) -> tuple[State, int]:
    """`times` failures at `now`; the state after them and how many began a block."""
    started = 0
    for _ in range(times):
        failure = after_failure(state, limit, now)
        state = failure.state
        started += failure.block_started
    return state, started


def test_an_account_is_blocked_by_its_fifth_failure_within_the_window() -> None:
    state, started = fail(State.fresh(T0), ACCOUNT_LIMIT, T0, times=4)
    assert started == 0
    assert retry_after(state, T0) is None
    failure = after_failure(state, ACCOUNT_LIMIT, T0 + timedelta(minutes=14))
    assert failure.block_started
    assert failure.failures == 5
    assert retry_after(failure.state, T0 + timedelta(minutes=14)) == 60


def test_a_source_is_blocked_by_its_twentieth_failure() -> None:
    state, started = fail(State.fresh(T0), SOURCE_LIMIT, T0, times=19)
    assert started == 0
    state, started = fail(state, SOURCE_LIMIT, T0)
    assert started == 1
    assert retry_after(state, T0) == 60


def test_failures_spread_wider_than_the_window_never_block() -> None:
    state = State.fresh(T0)
    now = T0
    for _ in range(20):
        state, started = fail(state, ACCOUNT_LIMIT, now)
        assert started == 0
        now += WINDOW / 4 + timedelta(seconds=1)


def test_each_further_block_doubles_up_to_an_hour() -> None:
    state = State.fresh(T0)
    now = T0
    lengths = []
    for _ in range(9):
        state, started = fail(state, ACCOUNT_LIMIT, now, times=5)
        assert started == 1
        wait = retry_after(state, now)
        assert wait is not None
        lengths.append(wait)
        now += timedelta(seconds=wait)
    assert lengths == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert block_length(1) == FIRST_BLOCK
    assert block_length(10_000) == LONGEST_BLOCK


def test_failures_during_a_block_are_not_counted() -> None:
    blocked, _ = fail(State.fresh(T0), ACCOUNT_LIMIT, T0, times=5)
    later = T0 + timedelta(seconds=30)
    failure = after_failure(blocked, ACCOUNT_LIMIT, later)
    assert failure.state == blocked
    assert not failure.block_started


def test_the_allowance_starts_again_when_a_block_ends() -> None:
    blocked, _ = fail(State.fresh(T0), ACCOUNT_LIMIT, T0, times=5)
    after = T0 + FIRST_BLOCK
    assert retry_after(blocked, after) is None
    state, started = fail(blocked, ACCOUNT_LIMIT, after, times=4)
    assert started == 0
    assert retry_after(state, after) is None


def test_a_key_forgets_its_blocks_after_a_day_without_failures() -> None:
    state = State.fresh(T0)
    now = T0
    for _ in range(3):  # blocks of 1, 2, 4 minutes
        state, _ = fail(state, ACCOUNT_LIMIT, now, times=5)
        now += LONGEST_BLOCK
    assert state.blocks == 3
    quiet = state.last_failure_at + FORGET_AFTER + timedelta(seconds=1)
    state, _ = fail(state, ACCOUNT_LIMIT, quiet, times=5)
    assert state.blocks == 1
    assert retry_after(state, quiet) == 60


def test_retry_after_rounds_up_to_whole_seconds() -> None:
    blocked, _ = fail(State.fresh(T0), ACCOUNT_LIMIT, T0, times=5)
    assert retry_after(blocked, T0 + timedelta(seconds=59, milliseconds=500)) == 1
    assert retry_after(blocked, T0 + timedelta(seconds=60)) is None
    assert retry_after(None, T0) is None


@pytest.mark.parametrize(
    ("source", "group"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("testclient", "testclient"),
    ],
)
def test_sources_are_grouped_by_address_and_ipv6_by_64(source: str, group: str) -> None:
    assert source_group(source) == group
    assert source_key(source) == f"source:{group}"


def test_keys_are_bounded_and_hold_no_address() -> None:
    assert len(source_key("x" * 100_000)) == len("source:") + 64
    key = account_key("alice@example.com")
    assert "alice" not in key
    assert key.startswith("account:")
    assert len(key) == len("account:") + 64
    assert len(account_key("\ud800" * 10)) == len(key)  # a lone surrogate is still a key
    assert max(len(source_key("ffff:" * 7 + "ffff")), len(key)) <= 80
