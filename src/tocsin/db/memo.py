"""Configuration read once per transaction.

The notification loop handles events in batches, one transaction each; every incident of
a batch asks the same questions (its service's escalation policy, the SLA policy of its
priority, its customer's channels, a person's notification rules). The answers cannot
change inside the transaction that asks, so each is read once and kept in the session's
`info` for the rest of it."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

T = TypeVar("T")
_KEY = "tocsin.memo"


def per_transaction(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, or what it answered before in this session's transaction."""
    memo: dict[Hashable, Any] = session.info.setdefault(_KEY, {})
    if key not in memo:
        memo[key] = compute()
    return cast(T, memo[key])
