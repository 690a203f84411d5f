"""Retry delays: exponential bound, full jitter, Retry-After as a floor, a final attempt."""

from __future__ import annotations

import random

import pytest

from tocsin.notifications.backoff import (
    BASE_SECONDS,
    CAP_SECONDS,
    MAX_ATTEMPTS,
    exhausted,
    retry_delay,
)


def test_delays_stay_under_an_exponential_bound_capped_at_an_hour() -> None:
    rng = random.Random(7)
    for attempts in range(1, 30):
        bound = min(CAP_SECONDS, BASE_SECONDS * 2 ** (attempts - 1))
        draws = [retry_delay(attempts, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in draws)
        # full jitter: the draws spread over the whole range, not bunched at the bound
        assert min(draws) < bound * 0.1
        assert max(draws) > bound * 0.9


def test_the_same_seed_gives_the_same_delays() -> None:
    first = [retry_delay(n, random.Random(3)) for n in range(1, 8)]
    again = [retry_delay(n, random.Random(3)) for n in range(1, 8)]
    assert first == again


def test_a_receivers_retry_after_is_a_floor() -> None:
    rng = random.Random(1)
    assert all(retry_delay(1, rng, floor=120.0) >= 120.0 for _ in range(100))
    # a floor below the draw does not shorten it
    assert retry_delay(12, random.Random(5), floor=1.0) == retry_delay(12, random.Random(5))


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0, random.Random())


def test_a_delivery_gives_up_after_the_last_attempt() -> None:
    assert not exhausted(MAX_ATTEMPTS - 1)
    assert exhausted(MAX_ATTEMPTS)
    assert MAX_ATTEMPTS == 10
