"""How people are reached: their contact methods, notification rules and quiet hours. A
user manages their own; an administrator any user of their customer (the provider's:
anyone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import user_by_ref
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, PermissionDenied, ValidationFailed
from tocsin.core.paging import Page
from tocsin.core.validation import check_email
from tocsin.db.session import Database, UnitOfWork
from tocsin.notifications.channels.base import ChannelKind, Target
from tocsin.notifications.enqueue import Draft, cancel_pending, insert
from tocsin.notifications.models import ContactMethod, NotificationRule, NotificationSettings
from tocsin.notifications.notice import Notice
from tocsin.notifications.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    ContactMethodPatch,
    ContactType,
    RuleIn,
    RuleOut,
    SettingsIn,
    SettingsOut,
)

# Raises ValidationFailed with a sentence when a target may not be used (a private
# address, a malformed phone number...): the transport's own check.
CheckTarget = Callable[[Target], None]


def person(session: Session, principal: Principal, ref: str) -> User:
    """The user whose notification setup `ref` ("me", an id or an e-mail) names, if the
    principal may manage it."""
    if ref.strip().lower() == "me":
        user = session.get(User, principal.user_id) if principal.user_id else None
        if user is None:
            raise NotFound("The local administrator has no contact methods; name a user.")
        return user
    user = user_by_ref(session, principal, ref)
    if user.id != principal.user_id and not principal.can(Permission.USERS_MANAGE):
        raise PermissionDenied(
            "You manage only your own contact methods and rules; an administrator manages anyone's."
        )
    return user


def checked_address(check: CheckTarget, kind: str, address: str, secret: str | None) -> str:
    if kind == ChannelKind.EMAIL:
        try:
            address = check_email(address)
        except ValueError as exc:
            raise ValidationFailed(str(exc).capitalize() + ".", field="address") from None
    check(Target(ChannelKind(kind), address, secret))
    return address


def _method_out(user: User, method: ContactMethod) -> ContactMethodOut:
    return ContactMethodOut(
        id=method.id,
        user=user.email,
        type=ContactType(method.type),
        address=method.address,
        label=method.label,
        has_secret=bool(method.secret),
        enabled=method.disabled_at is None,
        disabled_at=method.disabled_at,
        disabled_reason=method.disabled_reason,
        created_at=method.created_at,
    )


def _method_of(session: Session, user: User, method_id: int) -> ContactMethod:
    method = session.get(ContactMethod, method_id)
    if method is None or method.user_id != user.id:
        raise NotFound(f"{user.email} has no contact method {method_id}.")
    return method


def _rule_out(rule: NotificationRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        contact_method=rule.contact_method_id,
        delay_minutes=rule.delay_minutes,
        created_at=rule.created_at,
    )


class ContactService:
    def __init__(self, db: Database, clock: Clock, check_target: CheckTarget) -> None:
        self.db = db
        self.clock = clock
        self.check_target = check_target

    def _record(
        self,
        uow: UnitOfWork,
        principal: Principal,
        action: str,
        user: User,
        ident: int,
        **data: Any,
    ) -> None:
        uow.record(
            action,
            action.split(".")[0],
            ident,
            actor=principal.actor,
            customer_id=user.customer_id,
            user=user.email,
            **data,
        )

    # contact methods --------------------------------------------------------------------

    def list_methods(self, principal: Principal, ref: str) -> Page[ContactMethodOut]:
        with self.db.read() as s:
            user = person(s, principal, ref)
            rows = s.scalars(
                select(ContactMethod)
                .where(ContactMethod.user_id == user.id)
                .order_by(ContactMethod.id)
            ).all()
            items = [_method_out(user, m) for m in rows]
            return Page(items=items, total=len(items), next=None)

    def create_method(
        self, principal: Principal, ref: str, data: ContactMethodIn
    ) -> ContactMethodOut:
        address = checked_address(self.check_target, data.type, data.address, data.secret)
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            method = ContactMethod(
                user_id=user.id,
                type=data.type.value,
                address=address,
                secret=data.secret,
                label=data.label,
                created_at=self.clock.now(),
            )
            s.add(method)
            s.flush()
            self._record(
                uow, principal, "contact_method.created", user, method.id, type=method.type
            )
            return _method_out(user, method)

    def patch_method(
        self, principal: Principal, ref: str, method_id: int, data: ContactMethodPatch
    ) -> ContactMethodOut:
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            method = _method_of(s, user, method_id)
            changed: list[str] = []
            if data.secret is not None and data.secret != method.secret:
                method.secret = data.secret
                changed.append("secret")
            if data.address is not None or "secret" in changed:
                address = checked_address(
                    self.check_target, method.type, data.address or method.address, method.secret
                )
                if address != method.address:
                    method.address = address
                    changed.append("address")
            if data.label is not None and data.label != method.label:
                method.label = data.label
                changed.append("label")
            enable = data.enabled is True or "address" in changed
            if enable and method.disabled_at is not None:
                method.disabled_at = method.disabled_reason = None
                changed.append("enabled")
            if data.enabled is False and method.disabled_at is None:
                method.disabled_at, method.disabled_reason = self.clock.now(), "Disabled by hand."
                cancel_pending(s, contact_method_id=method.id)
                changed.append("disabled")
            if changed:
                self._record(
                    uow, principal, "contact_method.updated", user, method.id, changed=changed
                )
            s.flush()
            return _method_out(user, method)

    def delete_method(self, principal: Principal, ref: str, method_id: int) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            method = _method_of(s, user, method_id)
            cancel_pending(s, contact_method_id=method.id)
            s.execute(
                NotificationRule.__table__.delete().where(  # type: ignore[attr-defined]
                    NotificationRule.contact_method_id == method.id
                )
            )
            s.delete(method)
            self._record(uow, principal, "contact_method.deleted", user, method_id)

    def test_method(self, principal: Principal, ref: str, method_id: int) -> list[str]:
        """Queue a test message to this contact method now; the delivery id."""
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            method = _method_of(s, user, method_id)
            now = self.clock.now()
            notice = Notice(
                topic="test",
                subject="Tocsin test notification",
                body=f"This is a test of {user.email}'s {method.type} contact method, "
                f"asked for by {principal.email}. If it arrived, pages will too.",
            )
            draft = Draft(
                kind=method.type,
                address=method.address,
                customer_id=user.customer_id,
                available_at=now,
                dedupe_key=f"test:cm{method.id}:{now.isoformat()}",
                user_id=user.id,
                contact_method_id=method.id,
            )
            ids = insert(s, [draft], notice, incident_id=None, now=now)
            self._record(uow, principal, "contact_method.tested", user, method.id, delivery=ids[0])
            return ids

    # rules -------------------------------------------------------------------------------

    def list_rules(self, principal: Principal, ref: str) -> Page[RuleOut]:
        with self.db.read() as s:
            user = person(s, principal, ref)
            rows = s.scalars(
                select(NotificationRule)
                .where(NotificationRule.user_id == user.id)
                .order_by(NotificationRule.delay_minutes, NotificationRule.id)
            ).all()
            return Page(items=[_rule_out(r) for r in rows], total=len(rows), next=None)

    def create_rule(self, principal: Principal, ref: str, data: RuleIn) -> RuleOut:
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            method = s.get(ContactMethod, data.contact_method)
            if method is None or method.user_id != user.id:
                raise ValidationFailed(
                    f"{user.email} has no contact method {data.contact_method}.",
                    field="contact_method",
                )
            rule = NotificationRule(
                user_id=user.id,
                contact_method_id=method.id,
                delay_minutes=data.delay_minutes,
                created_at=self.clock.now(),
            )
            s.add(rule)
            s.flush()
            self._record(
                uow,
                principal,
                "notification_rule.created",
                user,
                rule.id,
                contact_method=method.id,
                delay_minutes=rule.delay_minutes,
            )
            return _rule_out(rule)

    def delete_rule(self, principal: Principal, ref: str, rule_id: int) -> None:
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            rule = s.get(NotificationRule, rule_id)
            if rule is None or rule.user_id != user.id:
                raise NotFound(f"{user.email} has no notification rule {rule_id}.")
            s.delete(rule)
            self._record(uow, principal, "notification_rule.deleted", user, rule_id)

    # settings ----------------------------------------------------------------------------

    def get_settings(self, principal: Principal, ref: str) -> SettingsOut:
        with self.db.read() as s:
            user = person(s, principal, ref)
            row = s.get(NotificationSettings, user.id)
            if row is None:
                return SettingsOut(
                    time_zone=user.time_zone, quiet_start=None, quiet_end=None, quiet_min_priority=4
                )
            return SettingsOut(
                time_zone=row.time_zone,
                quiet_start=row.quiet_start,
                quiet_end=row.quiet_end,
                quiet_min_priority=row.quiet_min_priority,
            )

    def put_settings(self, principal: Principal, ref: str, data: SettingsIn) -> SettingsOut:
        if (data.quiet_start is None) != (data.quiet_end is None):
            raise ValidationFailed(
                "Quiet hours need both quiet_start and quiet_end (or neither, for none).",
                field="quiet_end" if data.quiet_end is None else "quiet_start",
            )
        if data.quiet_start is not None and data.quiet_start == data.quiet_end:
            raise ValidationFailed(
                "quiet_start and quiet_end are the same time; leave both out for no quiet hours.",
                field="quiet_end",
            )
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = person(s, principal, ref)
            row = s.get(NotificationSettings, user.id)
            if row is None:
                row = NotificationSettings(user_id=user.id)
                s.add(row)
            row.time_zone = data.time_zone
            row.quiet_start, row.quiet_end = data.quiet_start, data.quiet_end
            row.quiet_min_priority = data.quiet_min_priority
            s.flush()
            self._record(
                uow,
                principal,
                "notification_settings.updated",
                user,
                user.id,
                **data.model_dump(),
            )
            return SettingsOut(**data.model_dump())
