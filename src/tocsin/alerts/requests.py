"""What became of a sender's tracked requests (Opsgenie's request ids): written with the
alert in the same transaction, so a request the sender was answered for is always found,
and kept `KEEP` (Opsgenie keeps them for days, not forever): `find_request` ignores older
ones, the engine's `alert_requests` module deletes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, Text, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tocsin.alerts.items import Item, Outcome
from tocsin.db.base import Base

KEEP = timedelta(days=7)


class AlertRequest(Base):
    __tablename__ = "alert_requests"
    __table_args__ = (
        Index("ix_alert_requests_key", "integration_id", "request_id", unique=True),
        Index("ix_alert_requests_processed", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # trigger, acknowledge, resolve
    result: Mapped[str] = mapped_column(String(32))  # the pipeline's outcome
    alert_id: Mapped[int | None]
    dedup_key: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    request_id: str
    integration_id: int
    action: str
    result: str
    alert_id: int | None
    dedup_key: str | None
    processed_at: datetime


def record_requests(
    s: Session, items: Sequence[Item], outcomes: Sequence[Outcome], now: datetime
) -> None:
    """One row per tracked item (`Item.request_id`)."""
    rows = [
        AlertRequest(
            integration_id=item.integration.id,
            request_id=item.request_id,
            action=item.alert.action.value,
            result=outcome.result,
            alert_id=outcome.alert_id,
            dedup_key=outcome.dedup_key,
            processed_at=now,
        )
        for item, outcome in zip(items, outcomes, strict=True)
        if item.request_id is not None
    ]
    s.add_all(rows)


def prune_requests(s: Session, now: datetime) -> int:
    """Forget requests older than `KEEP` (an engine module, so that one process prunes
    and ingest transactions never contend over the same old rows); how many went."""
    result = s.execute(delete(AlertRequest).where(AlertRequest.processed_at < now - KEEP))
    return int(getattr(result, "rowcount", 0) or 0)


def find_request(
    s: Session, integration_id: int, request_id: str, now: datetime
) -> RequestRecord | None:
    row = s.scalar(
        select(AlertRequest).where(
            AlertRequest.integration_id == integration_id,
            AlertRequest.request_id == request_id[:64],
            AlertRequest.processed_at >= now - KEEP,
        )
    )
    if row is None:
        return None
    return RequestRecord(
        request_id=row.request_id,
        integration_id=row.integration_id,
        action=row.action,
        result=row.result,
        alert_id=row.alert_id,
        dedup_key=row.dedup_key,
        processed_at=row.processed_at,
    )
