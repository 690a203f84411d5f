"""Composition root: builds the database, services and engine from one Settings object."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from tocsin.alerts.keys import IntegrationService
from tocsin.alerts.service import AlertService
from tocsin.audit.chain import ChainKey, audit_key
from tocsin.audit.sealing import KEYED_CHAIN_REVISION, seal_chain
from tocsin.audit.service import AuditChain
from tocsin.auth.service import AuthService
from tocsin.catalog.service import CatalogService, team_slugs_of
from tocsin.core.clock import Clock, SystemClock
from tocsin.core.events import DomainEvent
from tocsin.core.private_files import read_or_create_secret
from tocsin.db import migrate
from tocsin.db.engine import build_engine, normalise_url
from tocsin.db.raw import Raw
from tocsin.db.session import Database, Subscriber
from tocsin.heartbeats.service import HeartbeatService
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.service import IncidentService
from tocsin.notifications.outbox import enqueue_events
from tocsin.paging.link_actions import LinkActions
from tocsin.paging.links import ActionLinks
from tocsin.oncall.service import OncallService
from tocsin.settings import Settings
from tocsin.sla.service import SlaService

log = logging.getLogger("tocsin")


@dataclass
class Tocsin:
    """Everything a process needs, built once and handed to the adapters."""

    settings: Settings
    clock: Clock
    db: Database
    auth: AuthService
    catalog: CatalogService
    incidents: IncidentService
    actions: IncidentActions
    integrations: IntegrationService
    alerts: AlertService
    sla: SlaService
    oncall: OncallService
    heartbeats: HeartbeatService
    secret_key: str = field(repr=False)
    # the audit chain's HMAC key (TOCSIN_AUDIT_KEY, or derived from the secret): never
    # stored in the database, or a writer of the database could rewrite the chain
    audit_key: bytes = field(repr=False)
    # signed acknowledge / resolve links in notifications, and what opening one does
    action_links: ActionLinks = field(repr=False)
    link_actions: LinkActions = field(repr=False)

    def migrate(self) -> None:
        """Bring the schema up to date, then seal the audit chain if it is not. Entries
        written before the chain was keyed are sealed as they stand only by the run that
        applies the migration keying it, before anything follows them."""
        before = migrate.current(self.db.engine)
        migrate.upgrade(self.db.engine)
        seal_chain(
            self.db,
            key=ChainKey(self.audit_key),
            clock=self.clock,
            upgrading=migrate.crossed(before, KEYED_CHAIN_REVISION),
        )

    def dispose(self) -> None:
        self.alerts.stop()
        try:
            self.auth.flush_refusals(final=True)
        except Exception:  # the database may be what failed; the process ends anyway
            log.exception("writing the refusal summaries at shutdown failed")
        self.db.close()


def _secret_key(settings: Settings) -> str:
    """TOCSIN_SECRET_KEY, else the install's own secret kept beside its SQLite file (made
    on first start, readable by Tocsin's user only)."""
    if settings.secret_key:
        return settings.secret_key
    if settings.is_sqlite:
        database = make_url(normalise_url(settings.database_url)).database
        if database and database != ":memory:":
            return read_or_create_secret(Path(database + ".secret"))
    log.warning("TOCSIN_SECRET_KEY is not set: sessions will not survive a restart")
    return secrets.token_urlsafe(32)


def event_recorder(chain: AuditChain) -> Subscriber:
    def record_events(raw: Raw, events: list[DomainEvent]) -> None:
        """What every transaction records of its events, before it commits: the audit
        chain, and the outbox messages that point at their audit entries (one round trip
        for both on PostgreSQL)."""
        chain.append(raw, events, then=lambda seqs: enqueue_events(raw, events, seqs))

    return record_events


def build(settings: Settings, *, clock: Clock | None = None) -> Tocsin:
    clock = clock or SystemClock()
    secret_key = _secret_key(settings)
    key = audit_key(configured=settings.audit_key, secret=secret_key)
    engine = build_engine(settings.database_url, pool_size=settings.db_pool_size)
    db = Database(engine, clock)
    db.subscribe(event_recorder(AuditChain(ChainKey(key), clock)))
    sla = SlaService(db, clock, warn_at=settings.sla_warn_at)
    incidents = IncidentService(db, clock, priority_matrix=settings.priority_matrix, sla=sla)
    actions = IncidentActions(incidents, auto_close_days=settings.auto_close_days)
    batch = settings.ingest_max_batch
    alerts = AlertService(db, clock, actions, matrix=settings.priority_matrix, max_batch=batch)
    auth = AuthService(db, clock, teams_of=team_slugs_of, max_batch=batch)
    links = ActionLinks(
        secret_key, clock, settings.base_url, timedelta(hours=settings.action_link_hours)
    )
    integrations = IntegrationService(db, clock)
    return Tocsin(
        settings=settings,
        clock=clock,
        db=db,
        auth=auth,
        catalog=CatalogService(db, clock),
        incidents=incidents,
        actions=actions,
        integrations=integrations,
        alerts=alerts,
        sla=sla,
        oncall=OncallService(db, clock, secret_key=secret_key, base_url=settings.base_url),
        heartbeats=HeartbeatService(db, clock, integrations, alerts, base_url=settings.base_url),
        secret_key=secret_key,
        audit_key=key,
        action_links=links,
        link_actions=LinkActions(db, links, actions),
    )
