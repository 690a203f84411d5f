"""Moving an incident's SLA clocks as its events arrive, and noticing warnings and breaches.

Events arrive at least once and in order per incident: each row keeps the instant of the
last event applied and the keys of the events applied at that instant, so a replay (or an
older event delivered again) changes nothing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.db.session import UnitOfWork
from tocsin.sla.business_hours import TWENTY_FOUR_SEVEN
from tocsin.sla.clock import TargetClock
from tocsin.sla.events import Crossing, IncidentEventView
from tocsin.sla.models import IncidentSla, SlaPolicy
from tocsin.sla.policies import match_policy
from tocsin.sla.rows import (
    EPSILON,
    TARGETS,
    CalendarCache,
    Target,
    Terms,
    clock_of,
    next_check,
    store,
    terms_of,
)

# Waiting on the requester or a vendor is not the service desk's time; waiting on a
# change or a problem is.
PAUSING_HOLDS = frozenset({"awaiting_requester", "awaiting_vendor"})
OPEN_STATES = frozenset({"new", "assigned", "in_progress", "on_hold"})
REMATCH_FIELDS = ("priority", "service", "customer")


def event_key(view: IncidentEventView) -> str:
    body = json.dumps([view.action, view.changes], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


class Tracker:
    def __init__(self, cache: CalendarCache, *, warn_at: float) -> None:
        self.cache = cache
        self.warn_at = warn_at

    def terms(self, session: Session, policy_id: int | None) -> Terms | None:
        policy = session.get(SlaPolicy, policy_id) if policy_id is not None else None
        return terms_of(session, self.cache, policy, self.warn_at) if policy else None

    def apply(self, uow: UnitOfWork, view: IncidentEventView) -> None:
        s = uow.session
        row = s.get(IncidentSla, view.incident_id, with_for_update=True)
        key = event_key(view)
        if row is None:
            self._open(s, view, key)
            return
        if view.at < row.applied_at or (view.at == row.applied_at and key in row.applied_keys):
            return
        self._apply(s, row, view)
        row.applied_keys = [*row.applied_keys, key] if view.at == row.applied_at else [key]
        row.applied_at = view.at
        row.next_check_at = next_check(row, self.terms(s, row.policy_id))

    def _open(self, s: Session, view: IncidentEventView, key: str) -> None:
        """The clocks start with the incident, or later when a change of priority or
        service first brings it under a policy."""
        kind = view.action.removeprefix("incident.")
        if kind != "created" and not any(f in view.changes for f in REMATCH_FIELDS):
            return
        if view.state not in OPEN_STATES:
            return
        policy = match_policy(
            s, customer_id=view.customer_id, service_id=view.service_id, priority=view.priority
        )
        if policy is None:
            return
        terms = terms_of(s, self.cache, policy, self.warn_at)
        row = IncidentSla(
            incident_id=view.incident_id,
            customer_id=view.customer_id,
            policy_id=policy.id,
            applied_at=view.at,
            applied_keys=[key],
        )
        paused = view.state == "on_hold" and view.hold_reason in PAUSING_HOLDS
        for target in TARGETS:
            clock = TargetClock(terms.target_seconds(target))
            store(row, target, clock if paused else clock.start(view.at), terms.calendar)
        row.paused_since = view.at if paused else None
        if "acknowledged_at" in view.changes:
            store(
                row,
                "response",
                clock_of(row, "response").stop(terms.calendar, view.at, met=True),
                terms.calendar,
            )
        row.next_check_at = next_check(row, terms)
        s.add(row)

    def _apply(self, s: Session, row: IncidentSla, view: IncidentEventView) -> None:
        at = view.at
        terms = self.terms(s, row.policy_id)
        if any(f in view.changes for f in REMATCH_FIELDS):
            terms = self._rematch(s, row, view, terms)
        if terms is None:
            return
        cal = terms.calendar
        clocks = {t: clock_of(row, t) for t in TARGETS}
        if "acknowledged_at" in view.changes:
            clocks["response"] = clocks["response"].stop(cal, at, met=True)
        before, after = _state_change(view)
        kind = view.action.removeprefix("incident.")
        if after == "on_hold" and view.hold_reason in PAUSING_HOLDS and row.paused_since is None:
            clocks = {t: c.pause(cal, at) for t, c in clocks.items()}
            row.paused_since = at
        elif before == "on_hold" and after != "on_hold" and row.paused_since is not None:
            clocks = {t: c.resume(at) for t, c in clocks.items()}
            row.paused_since = None
        if after == "resolved":
            clocks = {t: c.stop(cal, at, met=True) for t, c in clocks.items()}
            row.made_sla = not any(c.breached for c in clocks.values())
        elif kind == "reopen" or (before == "resolved" and after in OPEN_STATES):
            clocks["resolution"] = clocks["resolution"].restart(at)
            row.made_sla = None
            row.stopped_at = None
        elif after in ("closed", "cancelled") and row.stopped_at is None:
            clocks = {t: c.stop(cal, at, met=False) for t, c in clocks.items()}
            row.paused_since = None
            row.stopped_at = at
        for target, clock in clocks.items():
            store(row, target, clock, cal)

    def _rematch(
        self, s: Session, row: IncidentSla, view: IncidentEventView, old: Terms | None
    ) -> Terms | None:
        """Another priority or service may fall under another policy: the new targets
        apply, the business time already used stays used (counted in the old calendar)."""
        policy = match_policy(
            s, customer_id=view.customer_id, service_id=view.service_id, priority=view.priority
        )
        if policy is not None and policy.id == row.policy_id:
            return old
        new = terms_of(s, self.cache, policy, self.warn_at) if policy else None
        live = row.stopped_at is None and row.paused_since is None and view.state in OPEN_STATES
        for target in TARGETS:
            clock = clock_of(row, target)
            if old is not None:
                clock = clock.pause(old.calendar, view.at)
            if new is None:
                store(row, target, clock, old.calendar if old else TWENTY_FOUR_SEVEN)
                continue
            clock = clock.retarget(new.target_seconds(target))
            if clock.breached_at is not None and clock.consumed < clock.target_seconds:
                clock = replace(clock, breached_at=None)  # a longer target: not breached yet
            if (
                clock.warned_at is not None
                and clock.consumed < new.warn_share * clock.target_seconds
            ):
                clock = replace(clock, warned_at=None)
            store(row, target, clock.start(view.at) if live else clock, new.calendar)
        row.policy_id = policy.id if policy else None
        row.customer_id = view.customer_id
        return new

    def check(self, uow: UnitOfWork, now: datetime) -> list[Crossing]:
        s = uow.session
        query = (
            select(IncidentSla)
            .where(IncidentSla.next_check_at <= now)
            .order_by(IncidentSla.next_check_at)
            .limit(500)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        crossings: list[Crossing] = []
        for row in s.scalars(query).all():
            terms = self.terms(s, row.policy_id)
            if terms is not None:
                for target in TARGETS:
                    crossings.extend(self._cross(row, target, terms, now))
            row.next_check_at = next_check(row, terms)
        return crossings

    def _cross(
        self, row: IncidentSla, target: Target, terms: Terms, now: datetime
    ) -> list[Crossing]:
        clock = clock_of(row, target)
        if not clock.running or clock.met_at is not None:
            return []
        cal, elapsed = terms.calendar, clock.elapsed(terms.calendar, now)
        due = clock.due_at(cal) or getattr(row, f"{target}_due_at") or now
        kind: Literal["warning", "breach"] | None = None
        if clock.breached_at is None and elapsed >= clock.target_seconds - EPSILON:
            warned = clock.warned_at or clock.warn_at(cal, terms.warn_share) or due
            clock = replace(clock, breached_at=min(due, now), warned_at=warned)
            kind = "breach"
        elif (
            clock.warned_at is None
            and clock.breached_at is None
            and elapsed >= terms.warn_share * clock.target_seconds - EPSILON
        ):
            clock = replace(clock, warned_at=min(clock.warn_at(cal, terms.warn_share) or now, now))
            kind = "warning"
        if kind is None:
            return []
        store(row, target, clock, cal)
        return [
            Crossing(
                incident_id=row.incident_id,
                customer_id=row.customer_id,
                kind=kind,
                target=target,
                due_at=due,
                policy_slug=terms.policy.slug,
                escalate=kind == "breach" and terms.policy.escalate_on_breach,
            )
        ]


def _state_change(view: IncidentEventView) -> tuple[str | None, str | None]:
    change = view.changes.get("state")
    if isinstance(change, list | tuple) and len(change) == 2:
        return change[0], change[1]
    return None, None
