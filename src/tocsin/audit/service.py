"""Appending to and verifying the audit log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from tocsin.audit.chain import Break, ChainRecord, entry_hash, first_break
from tocsin.audit.models import AuditEntry, AuditHead
from tocsin.audit.schemas import AuditEntryOut
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.errors import ValidationFailed
from tocsin.core.events import DomainEvent
from tocsin.core.paging import Page, check_limit, decode_cursor, encode_cursor
from tocsin.db.session import Database


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    # What is hashed must be exactly what the JSON column gives back later.
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


# Core statements built once: the audit append runs in every transaction.
_AUDIT_INSERT = insert(AuditEntry.__table__)  # type: ignore[arg-type]
_HEAD: Table = AuditHead.__table__  # type: ignore[assignment]
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("count"))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("head_hash"))


def append_events(session: Session, events: list[DomainEvent]) -> None:
    """Subscriber: chain every event of this transaction onto the log, before commit.

    The UPDATE of the single head row is the serialisation point: concurrent transactions
    on PostgreSQL queue behind its row lock, SQLite has one writer anyway. Appending at
    commit time keeps that lock held for microseconds, not for the whole transaction.
    """
    if not events:
        return
    connection = session.connection()
    head = connection.execute(_ADVANCE_HEAD, {"count": len(events)}).one()
    seq = int(head.seq) - len(events)
    prev = str(head.hash)
    rows = []
    for event in events:
        seq += 1
        data = _json_ready(event.data)
        actor = event.actor.describe()
        digest = entry_hash(
            prev_hash=prev,
            seq=seq,
            at=event.at,
            actor=actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            customer_id=event.customer_id,
            data=data,
        )
        rows.append(
            {
                "seq": seq,
                "at": event.at,
                "actor": actor,
                "action": event.action,
                "object_type": event.object_type,
                "object_id": event.object_id,
                "customer_id": event.customer_id,
                "data": data,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    # Core, not the ORM's bulk machinery: this runs in every transaction.
    connection.execute(_AUDIT_INSERT, rows)
    connection.execute(_SET_HEAD_HASH, {"head_hash": prev})


def record(db: Database, event: DomainEvent) -> None:
    """Write one event on its own (logins, permission failures): its own transaction."""
    with db.unit_of_work() as uow:
        uow.emit(event)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    entries: int
    problem: Break | None


def _records(session: Session, batch: int = 5000) -> Iterator[ChainRecord]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for row in rows:
            yield ChainRecord(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                customer_id=row.customer_id,
                data=row.data,
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
        last = rows[-1].seq
        session.expunge_all()


def verify(db: Database) -> VerifyResult:
    with db.read() as session:
        head = session.get(AuditHead, 1)
        count = 0

        def counted() -> Iterator[ChainRecord]:
            nonlocal count
            for item in _records(session):
                count += 1
                yield item

        problem = first_break(
            counted(),
            head_seq=head.seq if head else None,
            head_hash=head.hash if head and head.seq else None,
        )
        return VerifyResult(entries=count, problem=problem)


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
            values = decode_cursor(cursor)
            if len(values) != 1 or not isinstance(values[0], int):
                raise ValidationFailed("The cursor is malformed.", field="cursor")
            query = query.where(AuditEntry.seq < values[0])
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
