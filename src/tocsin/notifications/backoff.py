"""When to try a delivery again: exponential backoff with full jitter (pure)."""

from __future__ import annotations

import random

BASE_SECONDS = 10.0
CAP_SECONDS = 3600.0
# After this many attempts a delivery that still asks for a retry has failed.
MAX_ATTEMPTS = 10


def retry_delay(attempts: int, rng: random.Random, *, floor: float | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed attempt (1 for the first).

    Full jitter (a uniform draw below the exponential bound) spreads the retries of many
    deliveries that failed together, so a receiver that comes back is not hit by all of
    them at once. A receiver's own Retry-After (`floor`) is never undercut."""
    if attempts < 1:
        raise ValueError("attempts counts from 1")
    bound = min(CAP_SECONDS, BASE_SECONDS * 2 ** min(attempts - 1, 32))
    delay = rng.uniform(0.0, bound)
    if floor is not None:
        delay = max(delay, floor)
    return delay


def exhausted(attempts: int) -> bool:
    """Whether a delivery that has been tried `attempts` times gives up."""
    return attempts >= MAX_ATTEMPTS
