"""Integrations as records: create one (its key is shown once), list, change, and find one
by the key a sender presents. (The senders' parsers are `tocsin.integrations`.)"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.alerts.models import Integration
from tocsin.alerts.schemas import (
    HeartbeatStatus,
    IntegrationConfig,
    IntegrationCreated,
    IntegrationIn,
    IntegrationOut,
    IntegrationPatch,
)
from tocsin.auth.models import Customer
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.secrets import token_digest
from tocsin.catalog.models import Service, Team
from tocsin.catalog.resolve import service_and_customer, service_by_slug, team_by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id
from tocsin.core.paging import Page
from tocsin.db.session import Database, UnitOfWork
from tocsin.integrations import registry
from tocsin.integrations.base import IntegrationType

# Processes pick up changes made elsewhere (another process, the CLI) this quickly.
_CACHE_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    """What the hot path needs to know about an integration, cached by key."""

    id: int
    type: str
    name: str
    customer_id: int
    customer_slug: str
    service_id: int | None
    service_slug: str | None
    team_id: int | None
    team_slug: str | None
    config: IntegrationConfig
    enabled: bool


@dataclass(frozen=True, slots=True)
class Extras:
    """What a companion adds to an integration's answer."""

    ping_url: str | None = None
    heartbeat: HeartbeatStatus | None = None


class Companion(Protocol):
    """What a domain above this one keeps beside each integration of one type (the
    heartbeats: the ping schedule and its state). The composition root attaches it, so this
    layer does not import that domain, and an integration and its companion's row are
    written in one transaction."""

    def settle(self, config: IntegrationConfig) -> IntegrationConfig:
        """The configuration to store, defaults filled in; ValidationFailed if refused."""
        ...

    def created(self, uow: UnitOfWork, row: Integration) -> None: ...

    def changed(self, uow: UnitOfWork, row: Integration) -> None: ...

    def describe(self, session: Session, row: Integration, key: str | None = None) -> Extras:
        """What to add to the integration's answer (`key`: given only when it is created,
        the one answer that shows it)."""
        ...


# The configuration fields only a companion's type reads.
_COMPANION_FIELDS = ("interval_minutes", "grace_minutes")


def new_key() -> str:
    # 32 characters like PagerDuty's routing keys, so senders' validators accept it.
    return secrets.token_hex(16)


class IntegrationService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # by the key as presented: the hot path hashes it only on a miss
        self._by_key: dict[str, tuple[float, IntegrationRef | None]] = {}
        self._by_type: dict[str, tuple[float, list[IntegrationRef]]] = {}
        self._lock = threading.Lock()
        self.companions: dict[str, Companion] = {}

    def attach(self, kind: str, companion: Companion) -> None:
        """Keep `companion` in step with every integration of type `kind`."""
        self.companions[kind] = companion

    def _settled(self, kind: str, config: IntegrationConfig) -> IntegrationConfig:
        companion = self.companions.get(kind)
        if companion is not None:
            return companion.settle(config)
        for name in _COMPANION_FIELDS:
            if getattr(config, name) is not None:
                raise ValidationFailed(
                    f"config.{name} applies to heartbeat integrations only, not to {kind}.",
                    field=f"config.{name}",
                )
        return config

    def ref(self, session: Session, row: Integration) -> IntegrationRef:
        """What the alert path needs to know of `row`, read in the caller's session."""
        return self._ref(session, row)

    def _ref(self, session: Session, row: Integration) -> IntegrationRef:
        customer = session.get(Customer, row.customer_id)
        service = session.get(Service, row.service_id) if row.service_id else None
        team = session.get(Team, row.team_id) if row.team_id else None
        assert customer is not None
        return IntegrationRef(
            id=row.id,
            type=row.type,
            name=row.name,
            customer_id=row.customer_id,
            customer_slug=customer.slug,
            service_id=row.service_id,
            service_slug=service.slug if service else None,
            team_id=row.team_id,
            team_slug=team.slug if team else None,
            config=IntegrationConfig.from_stored(row.config),
            enabled=row.enabled,
        )

    def _out(self, session: Session, row: Integration, key: str | None = None) -> IntegrationOut:
        ref = self._ref(session, row)
        companion = self.companions.get(row.type)
        extras = companion.describe(session, row, key) if companion is not None else Extras()
        return IntegrationOut(
            id=row.id,
            type=row.type,
            name=row.name,
            key_prefix=row.key_prefix,
            customer=ref.customer_slug,
            service=ref.service_slug,
            team=ref.team_slug,
            enabled=row.enabled,
            config=ref.config,
            created_at=row.created_at,
            ping_url=extras.ping_url,
            heartbeat=extras.heartbeat,
        )

    def _find(self, session: Session, principal: Principal, ref: str) -> Integration:
        ident = as_id(ref)
        row = (
            session.get(Integration, ident)
            if ident is not None
            else session.scalar(select(Integration).where(Integration.name == ref))
        )
        if row is None or not principal.sees_customer(row.customer_id):
            raise NotFound(f"There is no integration {ref!r}.")
        return row

    def create(self, principal: Principal, data: IntegrationIn) -> IntegrationCreated:
        principal.require(Permission.CATALOG_MANAGE)
        try:
            kind = registry.get(data.type)
        except KeyError as exc:
            raise ValidationFailed(str(exc.args[0]), field="type") from None
        if data.config is not None:
            _check_parser_config(kind, data.config)
        config = self._settled(
            data.type, data.config or IntegrationConfig(group_by=list(kind.default_group_by))
        )
        key = new_key()
        with self.db.unit_of_work() as uow:
            s = uow.session
            service, customer_id = service_and_customer(s, principal, data.service, data.customer)
            customer = s.get(Customer, customer_id)
            assert customer is not None
            team = (
                team_by_slug(s, principal, data.team, customer_id=customer.id, field="team")
                if data.team
                else None
            )
            if team is None and service is not None and service.team_id is not None:
                team = s.get(Team, service.team_id)
            row = Integration(
                type=data.type,
                name=data.name,
                key_hash=token_digest(key),
                key_prefix=key[:6],
                customer_id=customer.id,
                service_id=service.id if service else None,
                team_id=team.id if team else None,
                config=config.model_dump(mode="json"),
                enabled=True,
                created_at=self.clock.now(),
            )
            s.add(row)
            s.flush()
            companion = self.companions.get(row.type)
            if companion is not None:
                companion.created(uow, row)
            uow.record(
                "integration.created",
                "integration",
                row.id,
                actor=principal.actor,
                customer_id=customer.id,
                type=data.type,
                name=data.name,
                key_prefix=row.key_prefix,
            )
            return IntegrationCreated(key=key, **self._out(s, row, key).model_dump())

    def list_all(self, principal: Principal) -> Page[IntegrationOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(Integration).order_by(Integration.id)
            if not principal.all_customers:
                query = query.where(Integration.customer_id == principal.customer_id)
            items = [self._out(s, row) for row in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get(self, principal: Principal, ref: str) -> IntegrationOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return self._out(s, self._find(s, principal, ref))

    def resolve(self, principal: Principal, ref: str) -> IntegrationRef:
        """The integration `ref` (id or name) names, as the alert path sees it."""
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return self._ref(s, self._find(s, principal, ref))

    def patch(self, principal: Principal, ref: str, data: IntegrationPatch) -> IntegrationOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            row = self._find(s, principal, ref)
            changes: dict[str, object] = {}
            given = data.model_fields_set
            if data.name is not None and data.name != row.name:
                changes["name"] = [row.name, data.name]
                row.name = data.name
            if data.enabled is not None and data.enabled != row.enabled:
                changes["enabled"] = [row.enabled, data.enabled]
                row.enabled = data.enabled
            if "service" in given:
                service = (
                    service_by_slug(
                        s, principal, data.service, customer_id=row.customer_id, field="service"
                    )
                    if data.service
                    else None
                )
                changes["service"] = [row.service_id, data.service]
                row.service_id = service.id if service else None
            if "team" in given:
                team = (
                    team_by_slug(s, principal, data.team, customer_id=row.customer_id, field="team")
                    if data.team
                    else None
                )
                changes["team"] = [row.team_id, data.team]
                row.team_id = team.id if team else None
            if data.config is not None:
                _check_parser_config(registry.get(row.type), data.config)
                config = self._settled(row.type, data.config).model_dump(mode="json")
                changes["config"] = [row.config, config]
                row.config = config
            if changes:
                uow.record(
                    "integration.updated",
                    "integration",
                    row.id,
                    actor=principal.actor,
                    customer_id=row.customer_id,
                    changes=changes,
                )
            s.flush()
            companion = self.companions.get(row.type)
            if companion is not None and "config" in changes:
                companion.changed(uow, row)
            self._by_key.clear()
            self._by_type.clear()
            return self._out(s, row)

    def of_type(self, kind: str) -> list[IntegrationRef]:
        """The enabled integrations of one type, oldest first (receivers that route by
        something other than a key, such as syslog by sender address). Cached briefly."""
        now = time.monotonic()
        with self._lock:
            cached = self._by_type.get(kind)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        with self.db.read() as s:
            rows = s.scalars(
                select(Integration)
                .where(Integration.type == kind, Integration.enabled.is_(True))
                .order_by(Integration.id)
            ).all()
            refs = [self._ref(s, row) for row in rows]
        with self._lock:
            self._by_type[kind] = (now, refs)
        return refs

    def by_key(self, key: str) -> IntegrationRef | None:
        """The integration a key belongs to (None: unknown). Cached briefly, by the key as
        presented: the hot path pays neither a query nor a hash per alert."""
        now = time.monotonic()
        with self._lock:
            cached = self._by_key.get(key)
        if cached is not None and now - cached[0] < _CACHE_SECONDS:
            return cached[1]
        with self.db.read() as s:
            row = s.scalar(select(Integration).where(Integration.key_hash == token_digest(key)))
            ref = self._ref(s, row) if row is not None else None
        with self._lock:
            if len(self._by_key) > 10_000:
                self._by_key.clear()
            self._by_key[key] = (now, ref)
        return ref


def _check_parser_config(kind: IntegrationType, config: IntegrationConfig) -> None:
    """Refuse a sender configuration its parser would reject on every alert."""
    if kind.check_config is None:
        return
    errors = kind.check_config(config.parser)
    if errors:
        raise ValidationFailed(
            "config.parser: " + "; ".join(e.message for e in errors), field="config.parser"
        )
