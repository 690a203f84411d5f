"""Recurring incidents: group incidents that look alike into clusters (pure).

Two incidents belong together when they have the same customer and either share an
alert fingerprint (dedup key) or have the same service and category (both set) and
similar text. Clusters are the connected groups of that relation."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from tocsin.problems.similarity import THRESHOLD, jaccard


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    customer_id: int
    service_id: int | None
    category_id: int | None
    dedup_keys: frozenset[str]
    words: frozenset[str]


@dataclass(frozen=True, slots=True)
class Cluster:
    key: str
    customer_id: int
    ids: tuple[int, ...]


def related(a: Item, b: Item) -> bool:
    if a.customer_id != b.customer_id:
        return False
    if a.dedup_keys & b.dedup_keys:
        return True
    return (
        a.service_id is not None
        and a.category_id is not None
        and a.service_id == b.service_id
        and a.category_id == b.category_id
        and jaccard(a.words, b.words) >= THRESHOLD
    )


def cluster_key(customer_id: int, ids: Sequence[int]) -> str:
    """A stable name for a cluster: the same incidents give the same key (a cluster that
    gains an incident is a new proposal, so a dismissal does not hide fresh evidence)."""
    text = f"{customer_id}:" + ",".join(str(i) for i in sorted(ids))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def clusters(items: Sequence[Item], *, minimum: int) -> list[Cluster]:
    """Clusters of at least `minimum` incidents, the largest first."""
    parent = {item.id: item.id for item in items}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_group: dict[tuple[int, int | None, int | None], list[Item]] = {}
    by_key: dict[tuple[int, str], int] = {}
    for item in items:
        for key in item.dedup_keys:  # shared fingerprints: linear, through an index
            other = by_key.setdefault((item.customer_id, key), item.id)
            parent[root(item.id)] = root(other)
        if item.service_id is not None and item.category_id is not None:
            group = by_group.setdefault((item.customer_id, item.service_id, item.category_id), [])
            for other_item in group:
                if root(other_item.id) != root(item.id) and related(item, other_item):
                    parent[root(item.id)] = root(other_item.id)
            group.append(item)
    members: dict[int, list[Item]] = {}
    for item in items:
        members.setdefault(root(item.id), []).append(item)
    found = [
        Cluster(
            key=cluster_key(group[0].customer_id, [i.id for i in group]),
            customer_id=group[0].customer_id,
            ids=tuple(sorted(i.id for i in group)),
        )
        for group in members.values()
        if len(group) >= minimum
    ]
    return sorted(found, key=lambda c: (-len(c.ids), c.ids))
