"""Paging a person or the channels about an incident: the draft becomes deliveries, each
with links to act that are tied to its own delivery id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tocsin.db.session import UnitOfWork
from tocsin.notifications.deliveries import DeliveryService, Queued
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
        queued = self.deliveries.plan_page(
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
        return _how(queued, at)

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


def _how(queued: list[Queued], at: datetime) -> str:
    if not queued:
        return "no contact method"
    parts = []
    for page in sorted(queued, key=lambda q: q.available_at):
        wait = (page.available_at - at).total_seconds()
        parts.append(page.kind if wait < 60 else f"{page.kind} after {round(wait / 60)} min")
    return ", ".join(dict.fromkeys(parts))
