"""Shared notification channels (a team's Slack channel, a webhook, a mailing list):
created and changed by those who manage the catalog, within their customer."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id, owning_customer_id
from tocsin.auth.slugs import by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict
from tocsin.core.paging import Page
from tocsin.db.session import Database
from tocsin.notifications.contacts import CheckTarget, checked_address
from tocsin.notifications.enqueue import cancel_pending
from tocsin.notifications.models import NotificationChannel
from tocsin.notifications.queue_admin import shown_address
from tocsin.notifications.schemas import ChannelIn, ChannelOut, ChannelPatch, ChannelType

# (session, principal, "team" | "service", slug, customer id) -> the object's id, by the
# catalog's own resolution rule (a 422 naming the field when there is none): handed in by
# the composition root, as the catalog is a layer above.
ResolveRef = Callable[[Session, Principal, str, str, int], int]


def _slug_of(session: Session, table: str, ident: int | None) -> str | None:
    if ident is None:
        return None
    # the table name is one of two constants, never input
    slug = session.scalar(text(f"SELECT slug FROM {table} WHERE id = :id"), {"id": ident})
    return None if slug is None else str(slug)


def _out(session: Session, channel: NotificationChannel) -> ChannelOut:
    customer = session.get(Customer, channel.customer_id)
    assert customer is not None
    secret_in_url = channel.type in (ChannelType.SLACK, ChannelType.TEAMS)
    return ChannelOut(
        id=channel.id,
        slug=channel.slug,
        name=channel.name,
        type=ChannelType(channel.type),
        # a Slack or Teams incoming webhook's URL is its credential
        address=shown_address(channel.address) if secret_in_url else channel.address,
        has_secret=bool(channel.secret),
        customer=customer.slug,
        team=_slug_of(session, "teams", channel.team_id),
        service=_slug_of(session, "services", channel.service_id),
        events=list(channel.events),
        enabled=channel.disabled_at is None,
        disabled_at=channel.disabled_at,
        disabled_reason=channel.disabled_reason,
        created_at=channel.created_at,
    )


def channel_by_slug(
    session: Session, principal: Principal, slug: str, customer: str | None
) -> NotificationChannel:
    """The channel of the address `slug`, with the customer the request names, by the rule
    of `tocsin.auth.slugs.by_slug`."""
    return by_slug(
        session,
        principal,
        NotificationChannel,
        "channel",
        slug,
        customer_id=named_customer_id(session, principal, customer),
    )


class ChannelService:
    def __init__(
        self, db: Database, clock: Clock, check_target: CheckTarget, resolve: ResolveRef
    ) -> None:
        self.db = db
        self.clock = clock
        self.check_target = check_target
        self.resolve = resolve

    def create(self, principal: Principal, data: ChannelIn) -> ChannelOut:
        principal.require(Permission.CATALOG_MANAGE)
        address = checked_address(self.check_target, data.type, data.address, data.secret)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = owning_customer_id(
                s, principal, slug=data.customer, service_customer_id=None
            )
            if s.scalar(
                select(NotificationChannel.id).where(
                    NotificationChannel.customer_id == customer_id,
                    NotificationChannel.slug == data.slug,
                )
            ):
                raise Conflict(f"This customer already has a channel {data.slug!r}.")
            channel = NotificationChannel(
                customer_id=customer_id,
                slug=data.slug,
                name=data.name,
                type=data.type.value,
                address=address,
                secret=data.secret,
                team_id=self.resolve(s, principal, "team", data.team, customer_id)
                if data.team
                else None,
                service_id=self.resolve(s, principal, "service", data.service, customer_id)
                if data.service
                else None,
                events=list(dict.fromkeys(data.events)),
                created_at=self.clock.now(),
            )
            s.add(channel)
            s.flush()
            uow.record(
                "notification_channel.created",
                "notification_channel",
                channel.id,
                actor=principal.actor,
                customer_id=customer_id,
                slug=channel.slug,
                type=channel.type,
                events=channel.events,
            )
            return _out(s, channel)

    def list(self, principal: Principal) -> Page[ChannelOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(NotificationChannel).order_by(
                NotificationChannel.slug, NotificationChannel.customer_id
            )
            if not principal.all_customers:
                query = query.where(NotificationChannel.customer_id == principal.customer_id)
            items = [_out(s, c) for c in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get(self, principal: Principal, slug: str, *, customer: str | None = None) -> ChannelOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return _out(s, channel_by_slug(s, principal, slug, customer))

    def patch(
        self, principal: Principal, slug: str, data: ChannelPatch, *, customer: str | None = None
    ) -> ChannelOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            channel = channel_by_slug(s, principal, slug, customer)
            fields = data.model_fields_set
            changed: list[str] = []
            if data.name is not None and data.name != channel.name:
                channel.name = data.name
                changed.append("name")
            if data.secret is not None and data.secret != channel.secret:
                channel.secret = data.secret
                changed.append("secret")
            if data.address is not None or "secret" in changed:
                address = checked_address(
                    self.check_target,
                    channel.type,
                    data.address or channel.address,
                    channel.secret,
                )
                if address != channel.address:
                    channel.address = address
                    changed.append("address")
            for kind in ("team", "service"):
                if kind in fields:
                    ref = getattr(data, kind)
                    new = (
                        self.resolve(s, principal, kind, ref, channel.customer_id) if ref else None
                    )
                    if new != getattr(channel, f"{kind}_id"):
                        setattr(channel, f"{kind}_id", new)
                        changed.append(kind)
            if data.events is not None and list(data.events) != list(channel.events):
                channel.events = list(dict.fromkeys(data.events))
                changed.append("events")
            if (data.enabled is True or "address" in changed) and channel.disabled_at is not None:
                channel.disabled_at = channel.disabled_reason = None
                changed.append("enabled")
            if data.enabled is False and channel.disabled_at is None:
                channel.disabled_at, channel.disabled_reason = self.clock.now(), "Disabled by hand."
                cancel_pending(s, channel_id=channel.id)
                changed.append("disabled")
            if changed:
                uow.record(
                    "notification_channel.updated",
                    "notification_channel",
                    channel.id,
                    actor=principal.actor,
                    customer_id=channel.customer_id,
                    changed=changed,
                )
            s.flush()
            return _out(s, channel)

    def delete(self, principal: Principal, slug: str, *, customer: str | None = None) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            channel = channel_by_slug(s, principal, slug, customer)
            cancel_pending(s, channel_id=channel.id)
            uow.record(
                "notification_channel.deleted",
                "notification_channel",
                channel.id,
                actor=principal.actor,
                customer_id=channel.customer_id,
                slug=channel.slug,
            )
            s.delete(channel)
