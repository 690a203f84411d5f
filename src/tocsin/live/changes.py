"""What a live change is, who may see it, and how a subscriber's backlog is kept (pure).

A change says only *that* something moved (an incident's number and event topic, or
"alerts"); a page asked to refresh re-reads it through the services, which check role and
tenant as always. The tenant filter here keeps even that hint within the tenant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["incident", "alerts"]


@dataclass(frozen=True, slots=True)
class Change:
    kind: Kind
    ref: str | None  # the incident's number (INC0001001); None for alerts
    topic: str  # the event: "incident.acknowledged", "alert.changed"
    customer_id: int | None

    def as_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "ref": self.ref,
                "topic": self.topic,
                "customer_id": self.customer_id,
            },
            separators=(",", ":"),
        )


class Audience(Protocol):
    """Who watches: a principal, as far as the tenant filter needs it."""

    @property
    def all_customers(self) -> bool: ...

    @property
    def customer_id(self) -> int: ...


def visible_to(change: Change, audience: Audience) -> bool:
    """The provider's staff see every tenant's changes; a tenant's staff their own only (a
    change of no known customer is the provider's)."""
    return audience.all_customers or (
        change.customer_id is not None and change.customer_id == audience.customer_id
    )


def coalesce(changes: list[Change]) -> list[Change]:
    """One change per (kind, ref, customer), the latest topic, in the order of the latest:
    ten events on one incident in a burst need one refresh, not ten."""
    latest: dict[tuple[str, str | None, int | None], Change] = {}
    for change in changes:
        key = (change.kind, change.ref, change.customer_id)
        latest.pop(key, None)
        latest[key] = change
    return list(latest.values())


@dataclass(slots=True)
class Batch:
    """What a subscriber takes at once: `resync` when it fell behind and lost changes (its
    page must refresh everything), then the changes since."""

    resync: bool
    changes: list[Change]


@dataclass(slots=True)
class Mailbox:
    """A subscriber's bounded backlog. Full, it drops what it holds and remembers that it
    did (a resync), so a slow reader never holds up the others or grows without end."""

    limit: int
    _items: list[Change] = field(default_factory=list)
    _overflowed: bool = False

    def put(self, changes: list[Change]) -> None:
        self._items.extend(changes)
        if len(self._items) > self.limit:
            self._items.clear()
            self._overflowed = True

    def __bool__(self) -> bool:
        return self._overflowed or bool(self._items)

    def take(self) -> Batch:
        batch = Batch(resync=self._overflowed, changes=coalesce(self._items))
        self._items = []
        self._overflowed = False
        return batch


def gaps(after: int, ids: list[int]) -> list[int]:
    """Ids below the newest read that were not there (`ids` ascending, all above `after`).

    On PostgreSQL ids are taken before commit, so a transaction holding a lower id may
    commit after one holding a higher id was read: the tail looks again at those gaps for
    a while (a rolled-back insert leaves one for good, so they expire)."""
    missing: list[int] = []
    expected = after + 1
    for value in ids:
        missing.extend(range(expected, value))
        expected = value + 1
    return missing
