"""The hot path: a run of new triggers handled with one statement per step for the whole run.

Most of what senders send is triggers: new alerts, or repeats of live ones. Looking each up,
inserting each, opening each incident one by one costs a round trip per step per alert;
here each step is one statement for the run: find the live keys, claim the new keys (the
unique index decides, across processes), open the incidents, link alerts to them. Rare
cases (a flap) go back to the per-alert path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from tocsin.alerts.grouping import group_value
from tocsin.alerts.maintenance import Window, in_maintenance
from tocsin.alerts.models import LIVE_ALERT_SQL, Alert
from tocsin.auth.models import User
from tocsin.db.session import UnitOfWork
from tocsin.incidents.intake import NewIncident, open_incidents
from tocsin.incidents.lifecycle import OPEN_STATES
from tocsin.incidents.models import Incident, TimelineEntry

if TYPE_CHECKING:
    from tocsin.alerts.pipeline import Item, Outcome, Pipeline

LIVE = ("triggered", "acknowledged")
OPEN = tuple(s.value for s in OPEN_STATES)

_ALERTS: Table = Alert.__table__  # type: ignore[assignment]
_INCIDENTS: Table = Incident.__table__  # type: ignore[assignment]
# Core statements (not ORM bulk updates), executed with many parameter sets at once.
_BUMP = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("alert_id"))
    .values(
        count=_ALERTS.c.count + bindparam("n"),
        last_seen_at=bindparam("seen"),
        summary=bindparam("summary_"),
        severity=bindparam("severity_"),
    )
)
_LINK = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("alert_id"))
    .values(incident_id=bindparam("incident"))
)


def _claim(dialect: str) -> Any:
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(_ALERTS)
        .on_conflict_do_nothing(
            index_elements=["integration_id", "dedup_key"], index_where=text(LIVE_ALERT_SQL)
        )
        .returning(_ALERTS.c.id, _ALERTS.c.integration_id, _ALERTS.c.dedup_key)
    )


@dataclass(slots=True)
class _New:
    index: int
    item: Item
    key: str
    row: dict[str, Any]
    alert_id: int = 0
    followers: list[int] = field(default_factory=list)  # later copies in this run


def trigger_run(
    pipeline: Pipeline, uow: UnitOfWork, items: list[Item], *, now: datetime, windows: list[Window]
) -> list[Outcome]:
    from tocsin.alerts.pipeline import Outcome

    s = uow.session
    results: list[Outcome | None] = [None] * len(items)
    keys = [item.alert.dedup_key or uuid.uuid4().hex for item in items]
    integration_ids = {item.integration.id for item in items}

    # 1. Which keys are live already (repeats)?
    live: dict[tuple[int, str], tuple[int, int | None, str | None]] = {}
    a, i = _ALERTS.c, _INCIDENTS.c
    for alert_id, integration_id, key, incident_id, number in s.connection().execute(
        select(a.id, a.integration_id, a.dedup_key, a.incident_id, i.number)
        .select_from(_ALERTS.outerjoin(_INCIDENTS, i.id == a.incident_id))
        .where(
            a.status.in_(LIVE), a.integration_id.in_(integration_ids), a.dedup_key.in_(set(keys))
        )
    ):
        live[(integration_id, key)] = (alert_id, incident_id, number)

    bumps: dict[int, dict[str, Any]] = {}
    fresh: dict[tuple[int, str], _New] = {}
    suppressed: list[_New] = []
    reporters = _reporters(pipeline, uow, items)
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        pair = (item.integration.id, key)
        if pair in live:
            live_id, live_incident, live_number = live[pair]
            entry = bumps.setdefault(live_id, {"alert_id": live_id, "n": 0, "seen": now})
            entry["n"] += 1
            entry["summary_"] = item.alert.summary[:2000] or key
            entry["severity_"] = item.alert.severity.value
            results[index] = Outcome("deduplicated", key, live_incident, live_number, live_id)
            continue
        if pair in fresh:
            fresh[pair].followers.append(index)
            continue
        new = _New(index, item, key, _row(item, key, now))
        if in_maintenance(
            windows,
            customer_id=item.integration.customer_id,
            service_id=item.integration.service_id,
            at=now,
        ):
            suppressed.append(new)
        else:
            fresh[pair] = new

    # 2. Suppressed: recorded, nothing opened.
    if suppressed:
        inserted = (
            s.connection()
            .execute(
                insert(_ALERTS).returning(_ALERTS.c.id, sort_by_parameter_order=True),
                [{**n.row, "status": "suppressed"} for n in suppressed],
            )
            .scalars()
            .all()
        )
        for new, alert_id in zip(suppressed, inserted, strict=True):
            for index in (new.index, *new.followers):
                results[index] = Outcome("suppressed", new.key, alert_id=int(alert_id))
            pipeline.emit(
                uow, new.item.integration, "alert.suppressed", int(alert_id), now, new.key
            )

    # 3. Flapping keys (resolved moments ago) take the per-alert path.
    flappers = _flapping_candidates(uow, list(fresh.values()), now)
    for pair in flappers:
        new = fresh.pop(pair)
        outcome = pipeline.trigger_one(uow, new.item, now, windows, key=new.key)
        results[new.index] = outcome
        for follower in new.followers:
            results[follower] = pipeline.trigger_one(
                uow, items[follower], now, windows, key=new.key
            )

    # 4. Claim the new keys; a key another writer holds now is a repeat.
    claimed: dict[tuple[int, str], int] = {}
    if fresh:
        ordered = sorted(fresh.values(), key=lambda n: (n.item.integration.id, n.key))
        for alert_id, integration_id, key in s.connection().execute(
            _claim(pipeline.dialect), [{**n.row, "status": "triggered"} for n in ordered]
        ):
            claimed[(integration_id, key)] = int(alert_id)
    lost = [n for pair, n in fresh.items() if pair not in claimed]
    for new in lost:
        results[new.index] = pipeline.trigger_one(uow, new.item, now, windows, key=new.key)
        for follower in new.followers:
            results[follower] = pipeline.trigger_one(
                uow, items[follower], now, windows, key=new.key
            )
    winners = [n for pair, n in fresh.items() if pair in claimed]
    for new in winners:
        new.alert_id = claimed[(new.item.integration.id, new.key)]

    # 5. Group: join an open incident of the same group, or the first of this run.
    targets = _group_targets(uow, winners, now)
    creators: list[_New] = []
    joiners: list[tuple[_New, _New | tuple[int, str]]] = []
    leaders: dict[tuple[int, str], _New] = {}
    for new in winners:
        value = new.row["group_value"]
        group = (new.item.integration.id, value) if value is not None else None
        if group is not None and group in targets:
            joiners.append((new, targets[group]))
        elif group is not None and group in leaders:
            joiners.append((new, leaders[group]))
        else:
            creators.append(new)
            if group is not None:
                leaders[group] = new

    # 6. Open the incidents, one statement per table.
    opened = open_incidents(
        uow, [_spec(pipeline, n, reporters) for n in creators], now=now, matrix=pipeline.matrix
    )
    incident_of: dict[int, tuple[int, str]] = {}
    for new, (incident_id, number) in zip(creators, opened, strict=True):
        incident_of[new.alert_id] = (incident_id, number)
        results[new.index] = Outcome("created", new.key, incident_id, number, new.alert_id)
        pipeline.emit(
            uow, new.item.integration, "alert.triggered", new.alert_id, now, new.key, incident_id
        )
    timeline = []
    for new, target in joiners:
        incident_id, number = incident_of[target.alert_id] if isinstance(target, _New) else target
        incident_of[new.alert_id] = (incident_id, number)
        results[new.index] = Outcome("grouped", new.key, incident_id, number, new.alert_id)
        timeline.append(
            {
                "incident_id": incident_id,
                "at": now,
                "actor_id": None,
                "actor_label": pipeline.robot(new.item.integration).actor.describe(),
                "kind": "alert_grouped",
                "changes": {"alerts": [None, new.key]},
                "message": f"Alert joined: {new.row['summary']}",
                "internal": False,
            }
        )
        pipeline.emit(
            uow, new.item.integration, "alert.grouped", new.alert_id, now, new.key, incident_id
        )
    if timeline:
        s.connection().execute(insert(TimelineEntry.__table__), timeline)  # type: ignore[arg-type]
    if incident_of:
        s.connection().execute(
            _LINK, [{"alert_id": a, "incident": i} for a, (i, _) in incident_of.items()]
        )
    for new in winners:
        incident_id, number = incident_of[new.alert_id]
        for follower in new.followers:
            entry = bumps.setdefault(new.alert_id, {"alert_id": new.alert_id, "n": 0, "seen": now})
            entry["n"] += 1
            entry["summary_"] = new.row["summary"]
            entry["severity_"] = new.row["severity"]
            results[follower] = Outcome("deduplicated", new.key, incident_id, number, new.alert_id)
    if bumps:
        s.connection().execute(_BUMP, list(bumps.values()))
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _row(item: Item, key: str, now: datetime) -> dict[str, Any]:
    alert, integration = item.alert, item.integration
    details = dict(alert.details)
    if alert.evidence:
        details["evidence"] = alert.evidence
    if alert.links:
        details["links"] = alert.links
    return {
        "integration_id": integration.id,
        "customer_id": integration.customer_id,
        "dedup_key": key,
        "summary": alert.summary[:2000] or key,
        "severity": alert.severity.value,
        "source": (alert.source or "")[:255] or None,
        "group_value": group_value(
            alert, integration.config.group_by, service_slug=integration.service_slug
        ),
        "labels": alert.labels,
        "details": details,
        "count": 1,
        "flap_count": 0,
        "first_seen_at": now,
        "last_seen_at": now,
        "resolved_at": None,
        "incident_id": None,
    }


def _flapping_candidates(uow: UnitOfWork, news: list[_New], now: datetime) -> set[tuple[int, str]]:
    windows = {n.item.integration.id: n.item.integration.config.flap_window_minutes for n in news}
    longest = max(windows.values(), default=0)
    if not news or not longest:
        return set()
    a = _ALERTS.c
    rows = uow.session.connection().execute(
        select(a.integration_id, a.dedup_key, a.resolved_at).where(
            a.status == "resolved",
            a.integration_id.in_(set(windows)),
            a.dedup_key.in_({n.key for n in news}),
            a.resolved_at >= now - timedelta(minutes=longest),
        )
    )
    found = set()
    for integration_id, key, resolved_at in rows:
        window = windows.get(integration_id, 0)
        if window and resolved_at is not None and resolved_at >= now - timedelta(minutes=window):
            found.add((integration_id, key))
    return found


def _group_targets(
    uow: UnitOfWork, news: list[_New], now: datetime
) -> dict[tuple[int, str], tuple[int, str]]:
    wanted = {
        (n.item.integration.id, n.row["group_value"]): n.item.integration.config
        for n in news
        if n.row["group_value"] is not None
    }
    if not wanted:
        return {}
    longest = max(c.group_window_minutes for c in wanted.values())
    rows = uow.session.execute(
        select(
            Alert.integration_id,
            Alert.group_value,
            Alert.last_seen_at,
            Incident.id,
            Incident.number,
        )
        .join(Incident, Incident.id == Alert.incident_id)
        .where(
            Alert.integration_id.in_({i for i, _ in wanted}),
            Alert.group_value.in_({v for _, v in wanted}),
            Alert.last_seen_at >= now - timedelta(minutes=longest),
            Incident.state.in_(OPEN),
        )
        .order_by(Alert.last_seen_at)
    )
    targets: dict[tuple[int, str], tuple[int, str]] = {}
    for integration_id, value, seen, incident_id, number in rows:
        config = wanted.get((integration_id, value))
        fresh_enough = (
            seen >= now - timedelta(minutes=config.group_window_minutes) if config else False
        )
        if value is not None and fresh_enough:
            targets[(integration_id, value)] = (int(incident_id), str(number))
    return targets


def _reporters(pipeline: Pipeline, uow: UnitOfWork, items: list[Item]) -> dict[str, User]:
    emails = {i.alert.reporter.lower() for i in items if i.alert.reporter}
    if not emails:
        return {}
    users = uow.session.scalars(select(User).where(User.email.in_(emails))).all()
    return {u.email: u for u in users}


def _spec(pipeline: Pipeline, new: _New, reporters: dict[str, User]) -> NewIncident:
    reporter = reporters.get((new.item.alert.reporter or "").lower())
    return pipeline.incident_for(
        new.item,
        key=new.key,
        summary=new.row["summary"],
        reporter=pipeline.reporter_for(new.item.integration, reporter),
    )
