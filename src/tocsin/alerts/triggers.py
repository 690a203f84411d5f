"""Triggers: new alerts and repeats of live ones, for a run of them at once (one alert is
a run of one).

Most of what senders send is triggers. Looking each one up, inserting each, opening each
incident one by one costs a round trip per step per alert; here each step is one
statement for the whole run: find the live keys, claim the new keys (the unique index
decides, across processes), open the incidents, link the alerts to them. A run gives the
same rows as its alerts sent one at a time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from tocsin.alerts.context import Context
from tocsin.alerts.flaps import reopen_flapping
from tocsin.alerts.grouping import group_value
from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.lookups import (
    LiveAlert,
    Pair,
    Targets,
    group_targets,
    keys_statement,
    live_alerts,
    look_up,
)
from tocsin.alerts.maintenance import Window, in_maintenance
from tocsin.alerts.repeats import repeat_changes, repeated_summary
from tocsin.alerts.rows import (
    ALERT_COLUMNS,
    BUMP,
    alert_row,
    changed_entry,
    grouped_entry,
    new_summary,
)
from tocsin.alerts.schemas import IntegrationConfig
from tocsin.alerts.states import LIVE_ALERT_SQL, AlertStatus
from tocsin.auth.models import User
from tocsin.core.events import DomainEvent
from tocsin.db.session import UnitOfWork
from tocsin.incidents.intake import TIMELINE_COLUMNS, NewIncident, open_incidents

# New live alerts: a key already live (another writer won it) is skipped, and RETURNING
# names the ones this transaction claimed.
_CLAIM = (
    f" ON CONFLICT (integration_id, dedup_key) WHERE {LIVE_ALERT_SQL} DO NOTHING "
    "RETURNING id, integration_id, dedup_key"
)


@dataclass(slots=True)
class _New:
    """A key the run has not seen live: its first alert, and its later copies."""

    index: int
    item: Item
    key: str
    group: str | None
    summary: str
    alert_id: int = 0
    followers: list[int] = field(default_factory=list)

    @property
    def pair(self) -> Pair:
        return (self.item.integration.id, self.key)


class _Repeats:
    """Repeats of live alerts in the run: one UPDATE per alert with the sum of its
    repeats, and each change a repeat made recorded (`alerts/repeats.py`)."""

    def __init__(self, ctx: Context, uow: UnitOfWork, now: datetime, stamp: Any) -> None:
        self.ctx, self.uow, self.now, self.stamp = ctx, uow, now, stamp
        self.current: dict[int, tuple[str, str]] = {}  # alert id -> (summary, severity)
        # alert id -> [n, seen, summary, severity, payload, id] (`rows.BUMP`'s parameters)
        self.bumps: dict[int, list[Any]] = {}
        self.timeline: list[tuple[Any, ...]] = []

    def add(self, item: Item, alert: LiveAlert, key: str) -> None:
        summary, severity = self.current.setdefault(alert.id, (alert.summary, alert.severity))
        changes = repeat_changes(summary=summary, severity=severity, alert=item.alert)
        after = (repeated_summary(summary, item.alert), item.alert.severity.value)
        self.current[alert.id] = after
        bump = self.bumps.setdefault(alert.id, [0, self.stamp, *after, None, alert.id])
        bump[0] += 1
        bump[2], bump[3] = after
        bump[4] = item.payload
        if not changes:
            return
        integration = item.integration
        self.ctx.emit(
            self.uow,
            integration,
            "alert.updated",
            alert.id,
            self.now,
            key,
            alert.incident_id,
            changes=changes,
        )
        if alert.incident_id is not None:
            robot = self.ctx.robot(integration)
            self.timeline.append(
                changed_entry(self.uow.raw, robot, alert.incident_id, self.stamp, key, changes)
            )


class _Run:
    """One run's state as it goes through the steps."""

    def __init__(
        self,
        ctx: Context,
        uow: UnitOfWork,
        items: list[Item],
        now: datetime,
        windows: list[Window],
    ) -> None:
        self.ctx, self.uow, self.raw, self.items = ctx, uow, uow.raw, items
        self.now, self.windows, self.stamp = now, windows, uow.raw.at(now)
        self.keys = [item.alert.dedup_key or uuid.uuid4().hex for item in items]
        self.groups = [
            group_value(
                i.alert, i.integration.config.group_by, service_slug=i.integration.service_slug
            )
            for i in items
        ]
        self.results: list[Outcome | None] = [None] * len(items)
        self.repeats = _Repeats(ctx, uow, now, self.stamp)
        self.fresh: dict[Pair, _New] = {}
        self.timeline: list[tuple[Any, ...]] = []
        self.events: list[DomainEvent] = []

    def repeat(self, index: int, alert: LiveAlert) -> None:
        key = self.keys[index]
        self.repeats.add(self.items[index], alert, key)
        self.results[index] = Outcome(
            "deduplicated", key, alert.incident_id, alert.number, alert.id
        )

    def outcomes(self) -> list[Outcome]:
        assert all(r is not None for r in self.results)
        return [r for r in self.results if r is not None]


def trigger_run(
    ctx: Context, uow: UnitOfWork, items: list[Item], *, now: datetime, windows: list[Window]
) -> list[Outcome]:
    run = _Run(ctx, uow, items, now, windows)
    # In one round trip: which keys are live already (repeats), which resolved moments ago
    # (flapping), and which open incidents the alerts' groups already have.
    found = look_up(run.raw, items, run.keys, run.groups, now)
    _suppress(run, _sort(run, found.live))
    reopened = _reopen_flapping(run, found.recent)
    # The first of a group leads it; a flap may have reopened a group's incident.
    arrived = sorted(run.fresh.values(), key=lambda n: n.index)
    targets = group_targets(run.raw, _groups_of(arrived), now) if reopened else found.targets
    creators, joiners = _group(arrived, targets)
    incident_of, opened = _open(run, creators, joiners)
    winners, lost = _claim(run, incident_of)
    if lost:
        _drop_unclaimed(run, opened, {incident_of[n.index][0] for n in winners})
        _repeat_lost(run, lost)
    _record(run, creators, joiners, winners, incident_of)
    run.timeline += run.repeats.timeline
    with run.raw.batched():  # nothing to wait for: one round trip
        run.raw.insert("incident_timeline", TIMELINE_COLUMNS, run.timeline)
        run.raw.many(BUMP, run.repeats.bumps.values())
    return run.outcomes()


def _sort(run: _Run, live: dict[Pair, LiveAlert]) -> list[_New]:
    """Repeats of live keys are counted; a key's first alert in the run is new, its later
    copies follow it; new alerts inside a maintenance window are answered apart."""
    suppressed: list[_New] = []
    for index, (item, key) in enumerate(zip(run.items, run.keys, strict=True)):
        pair = (item.integration.id, key)
        if pair in live:
            run.repeat(index, live[pair])
        elif pair in run.fresh:
            run.fresh[pair].followers.append(index)
        else:
            new = _New(index, item, key, run.groups[index], new_summary(item, key))
            integration = item.integration
            if in_maintenance(
                run.windows,
                customer_id=integration.customer_id,
                service_id=integration.service_id,
                at=run.now,
            ):
                suppressed.append(new)  # not live: a copy is suppressed again
            else:
                run.fresh[pair] = new
    return suppressed


def _suppress(run: _Run, suppressed: list[_New]) -> None:
    """Recorded, nothing opened (rare: one statement each)."""
    for new in suppressed:
        row = alert_row(
            new.item, key=new.key, group=new.group, stamp=run.stamp, status=AlertStatus.SUPPRESSED
        )
        ((alert_id,),) = run.raw.insert("alerts", ALERT_COLUMNS, [row], suffix=" RETURNING id")
        run.results[new.index] = Outcome("suppressed", new.key, alert_id=int(alert_id))
        run.ctx.emit(run.uow, new.item.integration, "alert.suppressed", alert_id, run.now, new.key)


def _reopen_flapping(run: _Run, recent: set[Pair]) -> bool:
    """New keys that resolved moments ago make their alert live again; whether one
    reopened anything."""
    reopened = False
    for pair in [pair for pair in run.fresh if pair in recent]:
        new = run.fresh[pair]
        flapped = reopen_flapping(run.ctx, run.uow, new.item, new.key, run.now)
        if flapped is None:
            continue  # its incident is closed: a new occurrence
        outcome, alert = flapped
        del run.fresh[pair]
        run.results[new.index] = outcome
        for follower in new.followers:
            run.repeat(follower, alert)
        reopened = True
    return reopened


def _groups_of(news: list[_New]) -> dict[Pair, IntegrationConfig]:
    return {
        (n.item.integration.id, n.group): n.item.integration.config
        for n in news
        if n.group is not None
    }


Target = _New | tuple[int, str]  # the run's own leader, or an open incident (id, number)


def _group(arrived: list[_New], targets: Targets) -> tuple[list[_New], list[tuple[_New, Target]]]:
    """Who opens an incident and who joins one: an open incident of the group, else the
    group's first alert in the run. Decided before the alerts are inserted, so that they
    are inserted pointing at their incident."""
    creators: list[_New] = []
    joiners: list[tuple[_New, Target]] = []
    leaders: dict[Pair, _New] = {}
    for new in arrived:
        group = (new.item.integration.id, new.group) if new.group is not None else None
        if group is not None and group in targets:
            joiners.append((new, targets[group]))
        elif group is not None and group in leaders:
            joiners.append((new, leaders[group]))
        else:
            creators.append(new)
            if group is not None:
                leaders[group] = new
    return creators, joiners


def _open(
    run: _Run, creators: list[_New], joiners: list[tuple[_New, Target]]
) -> tuple[dict[int, tuple[int, str]], list[tuple[int, str]]]:
    """Open the creators' incidents, one statement per table; their audit events and
    timeline entries wait until the claim says which alerts this transaction owns. Answers
    each new alert's incident (by the alert's index) and the incidents opened."""
    reporters = _reporters(run, creators)
    opened = open_incidents(
        run.uow,
        [_spec(run, new, reporters) for new in creators],
        now=run.now,
        matrix=run.ctx.matrix,
        timeline=run.timeline,
        events=run.events,
    )
    incident_of = {new.index: pair for new, pair in zip(creators, opened, strict=True)}
    for new, target in joiners:
        incident_of[new.index] = incident_of[target.index] if isinstance(target, _New) else target
    return incident_of, opened


def _reporters(run: _Run, news: list[_New]) -> dict[str, User]:
    emails = {n.item.alert.reporter.lower() for n in news if n.item.alert.reporter}
    if not emails:
        return {}
    users = run.uow.session.scalars(select(User).where(User.email.in_(emails))).all()
    return {u.email: u for u in users}


def _spec(run: _Run, new: _New, reporters: dict[str, User]) -> NewIncident:
    user = reporters.get((new.item.alert.reporter or "").lower())
    reporter = run.ctx.reporter_for(new.item.integration, user)
    return run.ctx.incident_for(new.item, key=new.key, summary=new.summary, reporter=reporter)


def _claim(run: _Run, incident_of: dict[int, tuple[int, str]]) -> tuple[list[_New], list[_New]]:
    """Insert the new alerts, each with its incident; a key another writer holds now is
    not this run's (rare: two processes, one key, the same moment). Inserted in key order,
    as every writer does, so that two writers' unique-index locks cannot deadlock."""
    candidates = sorted(run.fresh.values(), key=lambda n: n.pair)
    rows = [
        alert_row(
            n.item,
            key=n.key,
            group=n.group,
            stamp=run.stamp,
            status=AlertStatus.TRIGGERED,
            incident_id=incident_of[n.index][0],
        )
        for n in candidates
    ]
    claimed = {
        (int(integration_id), str(key)): int(alert_id)
        for alert_id, integration_id, key in run.raw.insert(
            "alerts", ALERT_COLUMNS, rows, suffix=_CLAIM
        )
    }
    winners, lost = [], []
    for new in candidates:
        if new.pair in claimed:
            new.alert_id = claimed[new.pair]
            winners.append(new)
        else:
            lost.append(new)
    return winners, lost


def _drop_unclaimed(run: _Run, opened: list[tuple[int, str]], used: set[int]) -> None:
    """An incident none of whose alerts was claimed is removed before anyone sees it."""
    orphans = {incident_id for incident_id, _ in opened if incident_id not in used}
    if not orphans:
        return
    ids, params = run.raw.any_of("id", "bigint", sorted(orphans))
    run.raw.run(f"DELETE FROM incidents WHERE {ids}", params)
    run.timeline = [entry for entry in run.timeline if entry[0] not in orphans]
    run.events = [e for e in run.events if int(e.object_id or 0) not in orphans]


def _repeat_lost(run: _Run, lost: list[_New]) -> None:
    """Keys another writer claimed meanwhile are repeats of its alerts."""
    ids = sorted({n.item.integration.id for n in lost})
    sql, params, _ = keys_statement(run.raw, ids, sorted({n.key for n in lost}), None)
    live = live_alerts(run.raw, run.raw.rows(sql, params))
    for new in lost:
        alert = live.get(new.pair)
        if alert is None:  # claimed and resolved again meanwhile: the batch is retried
            raise RuntimeError(f"alert key {new.key!r} changed hands during the write")
        for index in (new.index, *new.followers):
            run.repeat(index, alert)


def _record(
    run: _Run,
    creators: list[_New],
    joiners: list[tuple[_New, Target]],
    winners: list[_New],
    incident_of: dict[int, tuple[int, str]],
) -> None:
    """The answers, audit events and timeline entries of the alerts this run claimed."""
    for event in run.events:
        run.uow.emit(event)
    won = {new.index for new in winners}
    for new, kind in [*((n, "created") for n in creators), *((n, "grouped") for n, _ in joiners)]:
        if new.index not in won:
            continue
        incident_id, number = incident_of[new.index]
        run.results[new.index] = Outcome(kind, new.key, incident_id, number, new.alert_id)
        integration = new.item.integration
        if kind == "grouped":
            robot = run.ctx.robot(integration)
            run.timeline.append(
                grouped_entry(run.raw, robot, incident_id, run.stamp, new.key, new.summary)
            )
        action = "alert.triggered" if kind == "created" else "alert.grouped"
        run.ctx.emit(run.uow, integration, action, new.alert_id, run.now, new.key, incident_id)
    for new in winners:
        incident_id, number = incident_of[new.index]
        alert = LiveAlert(
            new.alert_id, incident_id, number, new.summary, new.item.alert.severity.value
        )
        for follower in new.followers:
            run.repeat(follower, alert)
