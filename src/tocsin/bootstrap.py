"""Composition root: builds the database, services and engine from one Settings object."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tocsin.alerts.keys import IntegrationService
from tocsin.alerts.service import AlertService
from tocsin.audit.chain import ChainKey, audit_key
from tocsin.audit.sealing import KEYED_CHAIN_REVISION, seal_chain
from tocsin.audit.service import AuditChain
from tocsin.auth.principal import Principal
from tocsin.auth.service import AuthService
from tocsin.catalog.resolve import service_by_slug, team_by_slug
from tocsin.catalog.service import CatalogService, team_slugs_of
from tocsin.changes.service import ChangeService
from tocsin.core.clock import Clock, SystemClock
from tocsin.core.events import DomainEvent
from tocsin.core.private_files import read_or_create_secret
from tocsin.db import migrate
from tocsin.db.engine import build_engine, normalise_url
from tocsin.db.raw import Raw
from tocsin.db.session import Database, Subscriber
from tocsin.heartbeats.service import HeartbeatService
from tocsin.imports.service import ServicenowImport
from tocsin.incidents.actions import IncidentActions
from tocsin.incidents.links import IncidentLinks
from tocsin.incidents.queries import still_unacknowledged
from tocsin.incidents.service import IncidentService
from tocsin.incidents.views import SavedViews
from tocsin.live.bus import LiveBus
from tocsin.notifications.channel_admin import ChannelService
from tocsin.notifications.contacts import ContactService
from tocsin.notifications.deliveries import DeliveryService
from tocsin.notifications.outbox import enqueue_events
from tocsin.notifications.transport import ChannelConfig, Channels
from tocsin.oncall.service import OncallService
from tocsin.paging.link_actions import LinkActions
from tocsin.paging.links import ActionLinks
from tocsin.paging.service import PagingService
from tocsin.problems.candidates import Candidates
from tocsin.problems.known_errors import KnownErrors
from tocsin.problems.service import ProblemRecords
from tocsin.problems.suggestions import Suggestions
from tocsin.reports.service import ReportService
from tocsin.reviews.items import ActionItemService
from tocsin.reviews.rules import ReviewPolicy, parse_priorities
from tocsin.reviews.service import ReviewService
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
    # related / duplicate / cause links between incidents
    incident_links: IncidentLinks
    views: SavedViews
    integrations: IntegrationService
    alerts: AlertService
    sla: SlaService
    oncall: OncallService
    heartbeats: HeartbeatService
    # outbound transport (e-mail, webhooks, chat, SMS, ntfy) and the delivery queue on it
    channels: Channels
    deliveries: DeliveryService
    contacts: ContactService
    notification_channels: ChannelService
    secret_key: str = field(repr=False)
    # the audit chain's HMAC key (TOCSIN_AUDIT_KEY, or derived from the secret): never
    # stored in the database, or a writer of the database could rewrite the chain
    audit_key: bytes = field(repr=False)
    # signed acknowledge / resolve links in notifications, and what opening one does
    action_links: ActionLinks = field(repr=False)
    link_actions: LinkActions = field(repr=False)
    paging: PagingService = field(repr=False)
    # what the console's open event streams learn of changes (started by the first one)
    live: LiveBus = field(repr=False)
    # read-only figures for the dashboard and reports (MTTA, MTTR, open work, SLA watch)
    reports: ReportService = field(repr=False)
    # other systems' incidents brought in with their history (`tocsin import`)
    imports: ServicenowImport = field(repr=False)
    # change records (deploys, configuration) and an incident's recent changes
    changes: ChangeService = field(repr=False)
    # problem management: problems, the known-error database, candidates, suggestions
    problems: ProblemRecords = field(repr=False)
    known_errors: KnownErrors = field(repr=False)
    problem_candidates: Candidates = field(repr=False)
    suggestions: Suggestions = field(repr=False)
    # post-incident reviews and their action items
    reviews: ReviewService = field(repr=False)
    action_items: ActionItemService = field(repr=False)

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
        self.live.stop()
        self.alerts.stop()
        self.deliveries.close()
        self.channels.close()
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


def catalog_ref(
    session: Session, principal: Principal, kind: str, slug: str, customer_id: int
) -> int:
    """A shared channel's team or service, by the catalog's own resolution rule."""
    find = team_by_slug if kind == "team" else service_by_slug
    return find(session, principal, slug, customer_id=customer_id, field=kind).id


def _channel_config(settings: Settings) -> ChannelConfig:
    return ChannelConfig(
        mail_url=settings.mail_url,
        mail_from=settings.mail_from,
        mail_reply_to=settings.mail_reply_to,
        mail_ca_file=settings.mail_ca_file,
        outbound_allow=settings.outbound_allow,
        timeout_seconds=settings.outbound_timeout_seconds,
        sms_gateway_url=settings.sms_gateway_url,
        sms_account_sid=settings.sms_account_sid,
        sms_auth_token=settings.sms_auth_token,
        sms_from=settings.sms_from,
    )


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
    problems = ProblemRecords(db, clock, incidents)
    batch = settings.ingest_max_batch
    alerts = AlertService(db, clock, actions, matrix=settings.priority_matrix, max_batch=batch)
    auth = AuthService(db, clock, teams_of=team_slugs_of, max_batch=batch)
    links = ActionLinks(
        secret_key, clock, settings.base_url, timedelta(hours=settings.action_link_hours)
    )
    integrations = IntegrationService(db, clock)
    channels = Channels(_channel_config(settings), clock=clock)
    deliveries = DeliveryService(
        db,
        clock,
        channels,
        claim_seconds=settings.engine_lease_seconds,
        still_unacknowledged=still_unacknowledged,
    )
    return Tocsin(
        settings=settings,
        clock=clock,
        db=db,
        auth=auth,
        catalog=CatalogService(db, clock),
        incidents=incidents,
        actions=actions,
        incident_links=IncidentLinks(incidents),
        views=SavedViews(db, clock),
        integrations=integrations,
        alerts=alerts,
        sla=sla,
        oncall=OncallService(db, clock, secret_key=secret_key, base_url=settings.base_url),
        heartbeats=HeartbeatService(db, clock, integrations, alerts, base_url=settings.base_url),
        channels=channels,
        deliveries=deliveries,
        contacts=ContactService(db, clock, channels.check_target),
        notification_channels=ChannelService(db, clock, channels.check_target, catalog_ref),
        secret_key=secret_key,
        audit_key=key,
        action_links=links,
        link_actions=LinkActions(db, links, actions),
        paging=PagingService(db, incidents, sla, deliveries, links, settings.base_url),
        live=LiveBus(db, poll_seconds=settings.live_poll_seconds),
        reports=ReportService(db, clock, sla),
        imports=ServicenowImport(db, clock, priority_matrix=settings.priority_matrix),
        changes=ChangeService(db, clock, recent_hours=settings.recent_changes_hours),
        problems=problems,
        known_errors=KnownErrors(db, clock, incidents),
        problem_candidates=Candidates(
            db,
            clock,
            problems,
            days=settings.problem_candidate_days,
            minimum=settings.problem_candidate_min,
        ),
        suggestions=Suggestions(db),
        reviews=ReviewService(
            db,
            clock,
            policy=ReviewPolicy(
                priorities=parse_priorities(settings.review_required_priorities),
                for_major=settings.review_required_for_major,
            ),
        ),
        action_items=ActionItemService(db, clock),
    )
