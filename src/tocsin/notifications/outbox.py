"""Writing the outbox: every event on an incident becomes one message to deliver.

Notifications, outgoing webhooks and live updates are about incidents (opened,
acknowledged, resolved, reassigned, commented...). Alert events are not delivered: a
repeat of an alert changes no incident and must not page anyone again, and an alert that
opens or resolves an incident already shows up as that incident's event.

A message names its event's audit entry instead of copying the event: what is delivered
is what the tamper-evident log holds, and the hot path of alert ingestion does not encode
every event twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from tocsin.core.events import DomainEvent
from tocsin.db.raw import Columns, Raw

DELIVERED_TYPES = frozenset({"incident"})  # object types whose events are delivered

_COLUMNS: Columns = (
    ("created_at", "timestamptz"),
    ("topic", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("customer_id", "bigint"),
    ("audit_seq", "bigint"),
    ("attempts", "integer"),
    ("available_at", "timestamptz"),
)


def enqueue_events(raw: Raw, events: list[DomainEvent], seqs: Sequence[int]) -> None:
    """One outbox message per incident event of this transaction; `seqs` are the events'
    audit sequence numbers, written in the same transaction just before."""
    rows = []
    for event, seq in zip(events, seqs, strict=True):
        if event.object_type not in DELIVERED_TYPES:
            continue
        stamp = raw.at(event.at)
        rows.append(
            (
                stamp,
                event.action,
                event.object_type,
                event.object_id,
                event.customer_id,
                seq,
                0,
                stamp,
            )
        )
    if rows:
        raw.insert("outbox", _COLUMNS, rows)
