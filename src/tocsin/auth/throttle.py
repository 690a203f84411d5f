"""Sign-in throttling rules (pure): when a key is blocked, for how long, and what a failure does.

A key is an account (the SHA-256 of the normalised e-mail, known or not, so that a block
says nothing about whether the account exists) or a source address (IPv6 grouped by /64,
since one host usually holds a whole /64). The state lives in the database so that every
process sees the same counts; these functions only compute the next state from the last.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tocsin.core import addresses

# The policy, in one place (the operator guide quotes these numbers).
ACCOUNT_FAILURES = 5
SOURCE_FAILURES = 20
WINDOW = timedelta(minutes=15)
FIRST_BLOCK = timedelta(minutes=1)
LONGEST_BLOCK = timedelta(hours=1)
# A key without failures for this long starts afresh (its blocks forgotten); the engine
# deletes such rows.
FORGET_AFTER = timedelta(hours=24)

ACCOUNT = "account"
SOURCE = "source"


@dataclass(frozen=True, slots=True)
class Limit:
    kind: str
    failures: int


ACCOUNT_LIMIT = Limit(ACCOUNT, ACCOUNT_FAILURES)
SOURCE_LIMIT = Limit(SOURCE, SOURCE_FAILURES)


@dataclass(frozen=True, slots=True)
class State:
    """One key's record. A key that has none yet is `State.fresh(now)`."""

    failures: int
    window_start: datetime
    blocked_until: datetime | None
    blocks: int
    last_failure_at: datetime

    @classmethod
    def fresh(cls, now: datetime) -> State:
        return cls(failures=0, window_start=now, blocked_until=None, blocks=0, last_failure_at=now)


@dataclass(frozen=True, slots=True)
class Failure:
    """What one failed sign-in did to a key: its next state and, when it began a block,
    how many failures led to it."""

    state: State
    block_started: bool
    failures: int = 0


def account_key(email: str) -> str:
    """The key of an e-mail as typed (normalised by the caller): a digest, so the table
    holds no addresses and every key has the same length."""
    return f"{ACCOUNT}:{hashlib.sha256(email.encode('utf-8', 'surrogatepass')).hexdigest()}"


# What a source is counted under: the rule the refusal limits use too.
source_group = addresses.source_key


def source_key(source: str) -> str:
    return f"{SOURCE}:{source_group(source)}"


def retry_after(state: State | None, now: datetime) -> int | None:
    """Whole seconds until a blocked key may try again (at least 1); None when it may now."""
    if state is None or state.blocked_until is None or state.blocked_until <= now:
        return None
    return max(1, math.ceil((state.blocked_until - now).total_seconds()))


def block_length(blocks: int) -> timedelta:
    """The `blocks`-th block of a key (1 for the first): doubling from the first, capped."""
    doublings = min(max(blocks - 1, 0), 16)
    return min(FIRST_BLOCK * (1 << doublings), LONGEST_BLOCK)


def after_failure(state: State, limit: Limit, now: datetime) -> Failure:
    """Count one failed sign-in against a key."""
    if retry_after(state, now) is not None:
        # Checked before the block began (another process started it meanwhile): the
        # block already answers for this burst.
        return Failure(state, block_started=False)
    if now - state.last_failure_at > FORGET_AFTER:
        state = State.fresh(now)
    if now - state.window_start >= WINDOW:
        state = replace(state, failures=0, window_start=now)
    failures = state.failures + 1
    if failures < limit.failures:
        return Failure(replace(state, failures=failures, last_failure_at=now), False)
    # The count starts again with the block: once it ends, the key has a full allowance
    # again, and the next block (if earned) lasts twice as long.
    blocks = state.blocks + 1
    return Failure(
        State(
            failures=0,
            window_start=now,
            blocked_until=now + block_length(blocks),
            blocks=blocks,
            last_failure_at=now,
        ),
        block_started=True,
        failures=failures,
    )
