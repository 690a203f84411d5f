"""`tocsin demo`: load a living world through the domain services, history included.

The loader builds its own Tocsin on the same database with a FrozenClock, creates the
customers, people, teams and services at the start of the history, then replays the
planned steps of every incident in time order (one queue across incidents), moving the
clock forward to each step. Timelines and the audit chain are therefore the real ones,
in time order, with the clock never going backwards.

Whether the demo is loaded is the loader's own record, never a name: once every step
of a load has run, it appends a `demo.loaded` entry to the audit log (nothing else
records that action, and the chain makes the entry tamper-evident), naming the seed,
the incident count and the accounts it created. A load that fails before then leaves no
record; a customer that happens to be called `acme` is just a name the demo would need.
"""

from __future__ import annotations

import logging
import random
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tocsin.audit.models import AuditEntry, AuditHead
from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal, system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import CustomerIn, UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import Tocsin, build
from tocsin.catalog.models import Service, Team
from tocsin.catalog.schemas import ServiceIn, TeamIn
from tocsin.core.clock import FrozenClock
from tocsin.core.errors import Conflict, TocsinError, ValidationFailed
from tocsin.demo.operations import set_up_operations
from tocsin.demo.people import (
    CUSTOMERS,
    DEMO_PASSWORD,
    PEOPLE,
    SERVICES,
    TEAMS,
    members_of,
)
from tocsin.demo.planner import HISTORY_DAYS, Planner
from tocsin.demo.story import Op, Step, timeline
from tocsin.incidents.lifecycle import OPEN_STATE_VALUES
from tocsin.incidents.models import Incident, TimelineEntry
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch, NoteIn

log = logging.getLogger("tocsin.demo")
ROLE_ORDER = (Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER, Role.REQUESTER)
# The audit action of the record that the demo is loaded (see the module's docstring).
LOADED = "demo.loaded"
# What the loader acts as: its audit entries' actor is "system:demo".
LOADER = "demo"
# The audit actions of what the loader makes before any incident, and what names each.
_MADE = {
    "customer.created": ("customer", "slug"),
    "user.created": ("user", "email"),
    "team.created": ("team", "slug"),
    "service.created": ("service", "slug"),
}


@dataclass(frozen=True, slots=True)
class Account:
    """A demo account that signs in with the demo password, as it stands now."""

    email: str
    role: str


@dataclass
class DemoReport:
    already_loaded: bool
    seed: int
    loaded_at: datetime | None = None
    accounts: list[Account] = field(default_factory=list)
    seconds: float = 0.0
    incidents: int = 0
    states: Counter[str] = field(default_factory=Counter)
    priorities: Counter[int] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    reopened: int = 0
    reassigned: int = 0
    timeline_entries: int = 0
    audit_entries: int = 0
    failed_steps: int = 0

    @property
    def open(self) -> int:
        return sum(self.states[s] for s in OPEN_STATE_VALUES)

    def summary(self) -> str:
        if self.already_loaded:
            when = (
                f" on {self.loaded_at.astimezone(UTC):%Y-%m-%d %H:%M UTC}" if self.loaded_at else ""
            )
            lines = [
                f"The demo data is already loaded: `tocsin demo` loaded it{when} "
                f"(seed {self.seed}, {self.incidents} incidents). Nothing was changed."
            ]
        else:
            s = self.states
            lines = [
                f"Loaded the demo data (seed {self.seed}) in {self.seconds:.1f} s:",
                f"  {len(CUSTOMERS)} customers besides the default one "
                f"({', '.join(c.slug for c in CUSTOMERS)}), {len(TEAMS)} teams, "
                f"{len(SERVICES)} services, {len(self.accounts)} people",
                f"  {self.incidents} incidents over the last {HISTORY_DAYS} days: "
                f"{self.open} open (new {s['new']}, assigned {s['assigned']}, "
                f"in progress {s['in_progress']}, on hold {s['on_hold']}), "
                f"{s['resolved']} resolved, {s['closed']} closed, {s['cancelled']} cancelled",
                "  priorities "
                + ", ".join(f"P{p} {self.priorities[p]}" for p in range(1, 6))
                + f"; {self.types['security_incident']} security incidents, "
                f"{self.types['service_request']} service requests; "
                f"{self.reopened} reopened, {self.reassigned} reassigned",
                f"  {self.timeline_entries} timeline entries; the audit log holds "
                f"{self.audit_entries} entries",
            ]
            if self.failed_steps:
                lines.append(f"  {self.failed_steps} planned steps were refused and skipped")
        if not self.accounts:
            lines.append("None of the demo's accounts is active any more.")
            return "\n".join(lines)
        lines.append(f'Sign in at /login with the password "{DEMO_PASSWORD}":')
        roles = [*ROLE_ORDER, *sorted({a.role for a in self.accounts} - set(ROLE_ORDER))]
        for role in roles:
            emails = ", ".join(a.email for a in self.accounts if a.role == role)
            lines += textwrap.wrap(
                emails, width=96, initial_indent=f"  {role:<10} ", subsequent_indent=" " * 13
            )
        return "\n".join(lines)


def load_demo(app: Tocsin, *, incidents: int = 400, seed: int = 7) -> str:
    """Load the demo data set (once per database) and say what was loaded and how to
    sign in."""
    return run_demo(app, incidents=incidents, seed=seed).summary()


def run_demo(app: Tocsin, *, incidents: int = 400, seed: int = 7) -> DemoReport:
    """Load the demo unless its record says it is loaded here; refuse, writing nothing,
    if data of this database has names the demo would create."""
    if incidents < 0:
        raise ValidationFailed("The number of incidents must be 0 or more.", field="incidents")
    with app.db.read() as s:
        default_id = default_customer(s).id
        record = s.scalars(
            select(AuditEntry).where(AuditEntry.action == LOADED).order_by(AuditEntry.seq)
        ).first()
    if record is not None:
        return _existing(app, record)
    _check_free(app)
    started = time.perf_counter()
    now = app.clock.now()
    clock = FrozenClock(now - timedelta(days=HISTORY_DAYS + 2))
    demo = build(app.settings, clock=clock)
    try:
        admin = system_principal(default_customer_id=default_id, name=LOADER)
        user_ids = _world(demo, admin)
        categories = {
            c.name: set(c.subcategories) for c in demo.catalog.list_categories(admin).items
        }
        planner = Planner(
            random.Random(seed), now=now, matrix=app.settings.priority_matrix, categories=categories
        )
        replay = Replay(demo, clock, default_id)
        for step in timeline(planner.plan(incidents)):
            replay.run(step)
        # Every step has run: record that the demo is loaded, last and at the real time
        # (after the back-dated history). The load is hundreds of transactions, one per
        # service call, so this one is the only place a finished load can be recorded.
        with demo.db.unit_of_work() as uow:
            uow.record(
                LOADED,
                "demo",
                None,
                actor=admin.actor,
                customer_id=default_id,
                at=app.clock.now(),
                seed=seed,
                incidents=len(replay.ids),
                users=user_ids,
            )
    finally:
        demo.dispose()
    report = _report(app, seed, list(replay.ids.values()))
    report.accounts = _accounts(app, user_ids)
    report.failed_steps = replay.failed
    report.seconds = time.perf_counter() - started
    return report


def _check_free(app: Tocsin) -> None:
    """Refuse before writing anything when names the demo would create are taken here,
    and say which (and when an earlier, unfinished `tocsin demo` made them)."""
    with app.db.read() as s:
        taken = {
            "customer": sorted(
                s.scalars(select(Customer.slug).where(Customer.slug.in_(c.slug for c in CUSTOMERS)))
            ),
            "user": sorted(
                s.scalars(select(User.email).where(User.email.in_(p.email for p in PEOPLE)))
            ),
            "team": sorted(
                s.scalars(select(Team.slug).where(Team.slug.in_(t.slug for t in TEAMS)))
            ),
            "service": sorted(
                s.scalars(select(Service.slug).where(Service.slug.in_(x.slug for x in SERVICES)))
            ),
        }
        names = {(kind, name) for kind, found in taken.items() for name in found}
        if not names:
            return
        made: set[tuple[str, str]] = set()
        for action, data in s.execute(
            select(AuditEntry.action, AuditEntry.data).where(
                AuditEntry.action.in_(_MADE), AuditEntry.actor == f"system:{LOADER}"
            )
        ):
            kind, key = _MADE[action]
            made.add((kind, str(data.get(key))))
    listed = "; ".join(
        f"{kind if len(found) == 1 else kind + 's'} {', '.join(found)}"
        for kind, found in taken.items()
        if found
    )
    detail = (
        f"The demo was not loaded: it would create {listed}, which already "
        f"{'exists' if len(names) == 1 else 'exist'} here."
    )
    leftovers = names & made
    if leftovers:
        some = "them" if leftovers == names else f"{len(leftovers)} of them"
        detail += (
            f" An earlier `tocsin demo` made {some} and did not finish (it stopped partway, "
            "or was run by a Tocsin too old to record a finished load)."
        )
    raise Conflict(
        detail + " Nothing was changed; load the demo into a database of its own "
        "(TOCSIN_DATABASE_URL)."
    )


def _world(demo: Tocsin, admin: Principal) -> list[int]:
    """The demo's customers, people, teams and services; the ids of the people."""
    for customer in CUSTOMERS:
        demo.auth.create_customer(admin, CustomerIn(slug=customer.slug, name=customer.name))
    user_ids = []
    for person in PEOPLE:
        created = demo.auth.create_user(
            admin,
            UserIn(
                email=person.email,
                name=person.name,
                role=person.role,
                customer=person.customer,
                password=DEMO_PASSWORD,
                time_zone=person.time_zone,
            ),
        )
        user_ids.append(created.id)
    for team in TEAMS:
        members = [p.email for p in members_of(team.slug)]
        demo.catalog.create_team(
            admin, TeamIn(slug=team.slug, name=team.name, customer=team.customer, members=members)
        )
    for svc in SERVICES:
        demo.catalog.create_service(
            admin,
            ServiceIn(
                slug=svc.slug,
                name=svc.name,
                description=svc.description,
                customer=svc.customer,
                team=svc.team,
            ),
        )
    set_up_operations(demo, admin, demo.clock.now())
    return user_ids


class Replay:
    """Runs planned steps through the domain services, as the people who take them."""

    def __init__(self, demo: Tocsin, clock: FrozenClock, default_customer_id: int) -> None:
        self.demo = demo
        self.clock = clock
        self.default_customer_id = default_customer_id
        self.principals: dict[str, Principal] = {}
        self.numbers: dict[int, str] = {}
        self.ids: dict[int, int] = {}
        self.failed = 0
        emails = [p.email for p in PEOPLE]
        with demo.db.read() as s:
            self.user_ids: dict[str, int] = {}
            for email, user_id in s.execute(
                select(User.email, User.id).where(User.email.in_(emails))
            ):
                self.user_ids[email] = user_id

    def principal(self, actor: str) -> Principal:
        if actor not in self.principals:
            if actor.startswith("system:"):
                self.principals[actor] = system_principal(
                    default_customer_id=self.default_customer_id, name=actor.split(":", 1)[1]
                )
            else:
                principal = self.demo.auth.principal_by_id(self.user_ids[actor])
                assert principal is not None, actor
                self.principals[actor] = principal
        return self.principals[actor]

    def run(self, step: Step) -> None:
        if step.at > self.clock.now():
            self.clock.set(step.at)
        if step.op is Op.AUTO_CLOSE:
            self.demo.actions.close_expired()
            return
        ref = self.numbers.get(step.incident)
        if step.op is not Op.CREATE and ref is None:
            self.failed += 1  # its creation failed
            return
        try:
            self._dispatch(step, ref or "")
        except TocsinError as exc:
            self.failed += 1
            log.warning("demo step refused", extra={"step": repr(step), "error": exc.detail})

    def _dispatch(self, step: Step, ref: str) -> None:
        principal = self.principal(step.actor)
        data = step.data
        if isinstance(data, IncidentIn):
            out = self.demo.incidents.create(principal, data)
            self.numbers[step.incident] = out.number
            self.ids[step.incident] = out.id
        elif isinstance(data, IncidentPatch):
            self.demo.incidents.patch(principal, ref, data)
        elif isinstance(data, NoteIn):
            self.demo.incidents.add_note(principal, ref, data)
        elif isinstance(data, ActionIn):
            assert step.action is not None
            if step.duplicate_of is not None and data.reason:
                other = self.numbers.get(step.duplicate_of, "an earlier incident")
                data = data.model_copy(update={"reason": data.reason.format(dup=other)})
            self.demo.actions.perform(principal, ref, step.action, data)


def _report(app: Tocsin, seed: int, ids: list[int]) -> DemoReport:
    report = DemoReport(already_loaded=False, seed=seed, incidents=len(ids))
    with app.db.read() as s:
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            rows = s.execute(
                select(
                    Incident.state,
                    Incident.priority,
                    Incident.type,
                    Incident.reopen_count,
                    Incident.reassignment_count,
                ).where(Incident.id.in_(part))
            ).all()
            for state, priority, kind, reopens, reassignments in rows:
                report.states[state] += 1
                report.priorities[priority] += 1
                report.types[kind] += 1
                report.reopened += reopens > 0
                report.reassigned += reassignments > 0
            report.timeline_entries += int(
                s.scalar(
                    select(func.count())
                    .select_from(TimelineEntry)
                    .where(TimelineEntry.incident_id.in_(part))
                )
                or 0
            )
        head = s.get(AuditHead, 1)
        report.audit_entries = int(head.seq) if head else 0
    return report


def _existing(app: Tocsin, record: AuditEntry) -> DemoReport:
    """What the record of the finished load says, with its accounts as they are now."""
    data = record.data
    return DemoReport(
        already_loaded=True,
        seed=int(data.get("seed", 0)),
        incidents=int(data.get("incidents", 0)),
        loaded_at=record.at,
        accounts=_accounts(app, [int(i) for i in data.get("users", [])]),
    )


def _accounts(app: Tocsin, user_ids: list[int]) -> list[Account]:
    """Those of these users who still exist, are active and have a password, in the
    order they were created (with the role each has now)."""
    if not user_ids:
        return []
    with app.db.read() as s:
        rows = s.execute(
            select(User.email, User.role)
            .where(
                User.id.in_(user_ids),
                User.active.is_(True),
                User.password_hash.is_not(None),
            )
            .order_by(User.id)
        ).all()
    return [Account(email=email, role=role) for email, role in rows]
