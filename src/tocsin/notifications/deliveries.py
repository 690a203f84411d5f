"""The delivery queue as a service: producers enqueue pages and channel notices, the engine
sends what is due, people list and retry deliveries."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.core.clock import Clock
from tocsin.core.paging import Page
from tocsin.db.session import Database, UnitOfWork
from tocsin.notifications.channels.base import Channel, Delivered, Outcome, Retry
from tocsin.notifications.enqueue import cancel_pending, channel_drafts, insert, person_drafts
from tocsin.notifications.notice import LinksFor, Notice, message_of
from tocsin.notifications.queue_admin import DeliveryOut, list_deliveries, retry_delivery
from tocsin.notifications.sending import (
    Claimed,
    StillUnacknowledged,
    claim,
    record,
    record_delivered,
)

log = logging.getLogger("tocsin.deliveries")


@dataclass(frozen=True, slots=True)
class Queued:
    """A delivery of a page: its id, its kind (email, sms...) and when it goes."""

    id: str
    kind: str
    available_at: datetime


# Deliveries claimed per sending thread and round.
_PER_WORKER = 4


def open_and_unacknowledged(session: Session, incident_ids: list[int]) -> set[int]:
    """Without an injected check every incident counts as still unacknowledged (nothing
    is skipped): the composition root hands in the incidents' own."""
    return set(incident_ids)


class DeliveryService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        channels: Channel,
        *,
        rng: random.Random | None = None,
        workers: int = 8,
        claim_seconds: float = 60.0,
        still_unacknowledged: StillUnacknowledged = open_and_unacknowledged,
    ) -> None:
        self.db = db
        self.clock = clock
        self.channels = channels
        self.rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self.workers = workers
        self.hold = timedelta(seconds=claim_seconds)
        self.still_unacknowledged = still_unacknowledged
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # enqueueing -------------------------------------------------------------------------

    def page_user(
        self,
        uow: UnitOfWork,
        *,
        user_id: int,
        message: Notice | Mapping[str, Any],
        incident_id: int | None,
        priority: int,
        dedupe_prefix: str,
        at: datetime,
        links_for: LinksFor | None = None,
    ) -> list[str]:
        """Queue a page to one person by their notification rules; the delivery ids (those
        queued already under the same dedupe prefix are returned, not queued again)."""
        return [
            queued.id
            for queued in self.plan_page(
                uow,
                user_id=user_id,
                message=message,
                incident_id=incident_id,
                priority=priority,
                dedupe_prefix=dedupe_prefix,
                at=at,
                links_for=links_for,
            )
        ]

    def plan_page(
        self,
        uow: UnitOfWork,
        *,
        user_id: int,
        message: Notice | Mapping[str, Any],
        incident_id: int | None,
        priority: int,
        dedupe_prefix: str,
        at: datetime,
        links_for: LinksFor | None = None,
    ) -> list[Queued]:
        """`page_user`, answering for each delivery how and when it goes (what a timeline
        says of the page)."""
        s = uow.session
        user = s.get(User, user_id)
        if user is None or not user.active:
            return []
        drafts = person_drafts(
            s,
            user,
            priority=priority,
            dedupe_prefix=dedupe_prefix,
            at=at,
            incident=incident_id is not None,
        )
        notice = Notice.of(message)
        ids = insert(
            s, drafts, notice, incident_id=incident_id, now=self.clock.now(), links_for=links_for
        )
        return [Queued(i, d.kind, d.available_at) for i, d in zip(ids, drafts, strict=True)]

    def notify_channels(
        self,
        uow: UnitOfWork,
        *,
        customer_id: int,
        team_id: int | None,
        service_id: int | None,
        topic: str,
        message: Notice | Mapping[str, Any],
        incident_id: int | None,
        dedupe_prefix: str,
        at: datetime,
        links_for: LinksFor | None = None,
    ) -> list[str]:
        """Queue a notice to every enabled shared channel subscribed to `topic` for this
        customer, team and service; the delivery ids."""
        s = uow.session
        drafts = channel_drafts(
            s,
            customer_id=customer_id,
            team_id=team_id,
            service_id=service_id,
            topic=topic,
            dedupe_prefix=dedupe_prefix,
            at=at,
        )
        notice = Notice.of(message)
        if notice.topic != topic:
            notice = Notice(
                topic, notice.subject, notice.body, notice.incident, notice.links, notice.data
            )
        return insert(
            s, drafts, notice, incident_id=incident_id, now=self.clock.now(), links_for=links_for
        )

    def cancel_for_incident(self, uow: UnitOfWork, incident_id: int) -> int:
        """Cancel the pending deliveries of this incident sent "unless acknowledged" (the
        later steps of people's rules): called when it is acknowledged or resolved."""
        return cancel_pending(uow.session, incident_id=incident_id)

    # sending ----------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="tocsin-send")
            return self._pool

    def _send(self, item: Claimed) -> Outcome:
        try:
            return self.channels.send(item.target, message_of(item.id, item.message))
        except Exception as exc:  # a channel's bug must not lose the delivery
            log.exception("a channel raised", extra={"delivery": item.id})
            return Retry(f"The channel failed unexpectedly ({type(exc).__name__}).")

    def send_due(self, limit: int = 500) -> int:
        """Send the deliveries that are due (at most `limit`), concurrently; how many were
        attempted. They are claimed a few per worker at a time, so that a round of slow
        receivers (each up to the outbound timeout) ends well within the claim and no
        other process takes a delivery over while it is being sent."""
        attempted = 0
        while attempted < limit:
            done = self._send_round(min(limit - attempted, self.workers * _PER_WORKER))
            attempted += done
            if not done:
                break
        return attempted

    def _send_round(self, limit: int) -> int:
        with self.db.unit_of_work() as uow:
            claimed = claim(
                uow,
                now=self.clock.now(),
                hold=self.hold,
                limit=limit,
                still_unacknowledged=self.still_unacknowledged,
            )
        if not claimed:
            return 0
        outcomes = list(self._executor().map(self._send, claimed))
        with self.db.unit_of_work() as uow:
            now = self.clock.now()
            pairs = list(zip(claimed, outcomes, strict=True))
            delivered = [item.id for item, outcome in pairs if isinstance(outcome, Delivered)]
            record_delivered(uow, delivered, now=now)
            for item, outcome in pairs:
                if isinstance(outcome, Delivered):
                    continue
                with self._rng_lock:
                    record(uow, item, outcome, now=now, rng=self.rng)
        return len(claimed)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    # people -----------------------------------------------------------------------------

    def retry(self, principal: Principal, delivery_id: str) -> DeliveryOut:
        """Send a failed delivery again now (same id)."""
        return retry_delivery(self.db, principal, delivery_id, now=self.clock.now())

    def list(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        incident_id: int | str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[DeliveryOut]:
        """Deliveries newest first, of the caller's customer (the provider's staff: all);
        `incident_id` is an incident's id, or its number (INC0001234)."""
        return list_deliveries(
            self.db, principal, status=status, incident=incident_id, cursor=cursor, limit=limit
        )
