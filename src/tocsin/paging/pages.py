"""Paging a person or the channels about an incident: the draft becomes deliveries, each
with links to act that are tied to its own delivery id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from tocsin.db.session import UnitOfWork
from tocsin.notifications.deliveries import DeliveryService
from tocsin.notifications.models import Delivery
from tocsin.notifications.notice import Notice
from tocsin.paging.links import ActionLinks
from tocsin.paging.snapshot import IncidentSnapshot


@dataclass
class Pager:
    deliveries: DeliveryService
    links: ActionLinks
    base_url: str

    def page(
        self,
        uow: UnitOfWork,
        *,
        user_id: int,
        snapshot: IncidentSnapshot,
        message: Notice,
        dedupe_prefix: str,
        at: datetime,
    ) -> str:
        """Enqueue the user's pages (their notification rules decide how and when);
        answers how, for the timeline ("email, sms after 5 min")."""
        ids = self.deliveries.page_user(
            uow,
            user_id=user_id,
            message=message,
            incident_id=snapshot.id,
            priority=snapshot.priority,
            dedupe_prefix=dedupe_prefix,
            at=at,
            links_for=lambda delivery_id: self.links.links_for(
                incident_id=snapshot.id,
                number=snapshot.number,
                user_id=user_id,
                delivery_id=delivery_id,
            ),
        )
        return _how(uow, ids, at)

    def channels(
        self, uow: UnitOfWork, *, snapshot: IncidentSnapshot, message: Notice, key: str
    ) -> list[str]:
        return self.deliveries.notify_channels(
            uow,
            customer_id=snapshot.customer_id,
            team_id=snapshot.team_id,
            service_id=snapshot.service_id,
            topic=message.topic,
            message=message,
            incident_id=snapshot.id,
            dedupe_prefix=key,
            at=uow.db.clock.now(),
            links_for=lambda delivery_id: self.links.links_for(
                incident_id=snapshot.id,
                number=snapshot.number,
                user_id=None,
                delivery_id=delivery_id,
            ),
        )


def _how(uow: UnitOfWork, ids: list[str], at: datetime) -> str:
    if not ids:
        return "no contact method"
    rows = uow.session.execute(
        select(Delivery.kind, Delivery.available_at).where(Delivery.id.in_(ids))
    ).all()
    parts = []
    for kind, available_at in sorted(rows, key=lambda r: r[1]):
        wait = (available_at - at).total_seconds()
        parts.append(kind if wait < 60 else f"{kind} after {round(wait / 60)} min")
    return ", ".join(dict.fromkeys(parts))
