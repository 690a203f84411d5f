"""Appending to the audit log (under the key) and reading it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from tocsin.audit.chain import ChainKey, canonical, entry_hash_of_text
from tocsin.audit.models import AuditEntry
from tocsin.audit.schemas import AuditEntryOut
from tocsin.audit.sealing import Sealing, seal
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.clock import Clock
from tocsin.core.events import DomainEvent
from tocsin.core.ids import MAX_BIGINT
from tocsin.core.paging import Page, check_limit, encode_cursor, id_from
from tocsin.db.raw import Columns, Raw
from tocsin.db.session import Database

_CONTAINERS = (dict, list, tuple)
_SCALARS = frozenset((str, int, float, bool, type(None)))


def _string_keys(data: Any) -> bool:
    """True when every mapping inside has text keys: then the canonical spelling of the
    data is also the canonical spelling of what the JSON column gives back. It runs for
    every audit entry, so exact type checks first; data nested deeper than the
    interpreter's recursion limit takes the loop below instead."""
    try:
        return _string_keys_fast(data)
    except RecursionError:
        return _string_keys_loop(data)


def _string_keys_fast(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            kind = type(item)
            if kind in _SCALARS:
                continue
            # Lists inline: most events hold [before, after] pairs of scalars, and a call
            # per pair (or all() over a generator) costs more than the check itself.
            if kind is list or kind is tuple:
                for element in item:
                    if type(element) not in _SCALARS and not _string_keys_fast(element):
                        return False
            elif not _string_keys_fast(item):
                return False
        return True
    if kind is list or kind is tuple:
        for element in value:
            if type(element) not in _SCALARS and not _string_keys_fast(element):
                return False
        return True
    if isinstance(value, dict):  # a dict subclass: checked the same way
        return _string_keys_fast(dict(value))
    if isinstance(value, list | tuple):
        return _string_keys_fast(list(value))
    return True


def _string_keys_loop(data: Any) -> bool:
    pending: list[Any] = [data]
    while pending:
        value = pending.pop()
        if type(value) is dict:
            for key, item in value.items():
                if type(key) is not str:
                    return False
                if isinstance(item, _CONTAINERS):
                    pending.append(item)
        elif isinstance(value, dict):
            pending.append(dict(value))
        elif isinstance(value, _CONTAINERS):
            pending.extend(item for item in value if isinstance(item, _CONTAINERS))
    return True


def _data_text(data: dict[str, Any]) -> str:
    if not _string_keys(data):  # e.g. numeric keys: hash what a JSON round trip gives back
        data = json.loads(json.dumps(data, default=str))
    return canonical(data)


# The audit append runs in every transaction: statements on the driver cursor.
_ADVANCE_HEAD = "UPDATE audit_head SET seq = seq + ? WHERE id = 1 RETURNING seq, hash"
_AUDIT_COLUMNS: Columns = (
    ("seq", "bigint"),
    ("at", "timestamptz"),
    ("actor", "text"),
    ("action", "text"),
    ("object_type", "text"),
    ("object_id", "text"),
    ("customer_id", "bigint"),
    ("data", "json"),
    ("prev_hash", "text"),
    ("hash", "text"),
)
_SET_HEAD_HASH = "UPDATE audit_head SET hash = ? WHERE id = 1"


def append_events(
    raw: Raw,
    events: list[DomainEvent],
    *,
    key: ChainKey,
    then: Callable[[list[int]], None] | None = None,
) -> None:
    """Chain every event of this transaction onto the log, before commit. `then` gets the
    events' sequence numbers, in order, and may write more in the same round trip (the
    outbox does).

    The UPDATE of the single head row is the serialisation point: concurrent transactions
    on PostgreSQL queue behind its row lock, SQLite has one writer anyway. Appending at
    commit time keeps that lock held for microseconds, not for the whole transaction.
    """
    if not events:
        return
    head = raw.one(_ADVANCE_HEAD, (len(events),))
    if head is None:
        raise LookupError("the audit head row is missing; run the migrations")
    seq = first = int(head[0]) - len(events)
    prev = str(head[1])
    rows = []
    stamped: tuple[Any, Any] = (None, None)  # (datetime, stored form): events share times
    for event in events:
        seq += 1
        if stamped[0] != event.at:
            stamped = (event.at, raw.at(event.at))
        text = _data_text(event.data)
        actor = event.actor.describe()
        digest = entry_hash_of_text(
            key,
            prev_hash=prev,
            seq=seq,
            at=event.at,
            actor=actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            customer_id=event.customer_id,
            data_text=text,
        )
        rows.append(
            (
                seq,
                stamped[1],
                actor,
                event.action,
                event.object_type,
                event.object_id,
                event.customer_id,
                text,
                prev,
                digest,
            )
        )
        prev = digest
    with raw.batched():
        raw.insert("audit_log", _AUDIT_COLUMNS, rows)
        raw.run(_SET_HEAD_HASH, (prev,))
        if then is not None:
            then(list(range(first + 1, seq + 1)))


class AuditChain:
    """The chain as this process appends to it: under its key, once the chain is sealed
    (checked once per process, in the transaction of its first append)."""

    __slots__ = ("_checked", "_clock", "key")

    def __init__(self, key: ChainKey, clock: Clock) -> None:
        self.key = key
        self._clock = clock
        self._checked = False

    def append(
        self,
        raw: Raw,
        events: list[DomainEvent],
        *,
        then: Callable[[list[int]], None] | None = None,
    ) -> None:
        """`append_events` with this process's key."""
        if not events:
            return
        if not self._checked:
            # A seal written now may yet roll back with this transaction: check again
            # next time. Anything else is settled (and was logged) for this process.
            self._checked = seal(raw, key=self.key, at=self._clock.now()) is not Sealing.WRITTEN
        append_events(raw, events, key=self.key, then=then)


def record(db: Database, event: DomainEvent) -> None:
    """Write one event on its own (logins, permission failures): its own transaction."""
    with db.unit_of_work() as uow:
        uow.emit(event)


def list_entries(
    db: Database,
    principal: Principal,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page[AuditEntryOut]:
    """Newest first; staff scoped to one customer see that customer's entries only."""
    principal.require(Permission.AUDIT_READ)
    check_limit(limit)
    with db.read() as session:
        query = select(AuditEntry)
        if not principal.all_customers:
            query = query.where(AuditEntry.customer_id == principal.customer_id)
        if action:
            query = query.where(AuditEntry.action == action)
        if object_type:
            query = query.where(AuditEntry.object_type == object_type)
        if object_id:
            query = query.where(AuditEntry.object_id == object_id)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        if cursor:
            query = query.where(AuditEntry.seq < id_from(cursor, limit=MAX_BIGINT))
        rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1)).all()
        items = [
            AuditEntryOut(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                action=r.action,
                object_type=r.object_type,
                object_id=r.object_id,
                customer_id=r.customer_id,
                data=r.data,
                hash=r.hash,
            )
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        return Page(items=items, total=total, next=encode_cursor([items[-1].seq]) if more else None)
