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

from sqlalchemy import select

from tocsin.alerts.grouping import group_value
from tocsin.alerts.maintenance import Window, in_maintenance
from tocsin.alerts.models import LIVE_ALERT_SQL
from tocsin.auth.models import User
from tocsin.db.raw import Raw, json_text, placeholders
from tocsin.db.session import UnitOfWork
from tocsin.incidents.intake import INSERT_TIMELINE, NewIncident, open_incidents
from tocsin.incidents.lifecycle import OPEN_STATES
from tocsin.integrations.base import Severity

if TYPE_CHECKING:
    from tocsin.alerts.pipeline import Item, Outcome, Pipeline

LIVE = ("triggered", "acknowledged")
OPEN = tuple(s.value for s in OPEN_STATES)

# Statements on the driver cursor (tocsin.db.raw), written once for both databases.
_LIVE = LIVE_ALERT_SQL
_OPEN = "state IN (" + ", ".join(f"'{state}'" for state in OPEN) + ")"
_ALERT_COLUMNS = (
    "integration_id, customer_id, dedup_key, summary, severity, source, group_value, labels, "
    "details, count, flap_count, first_seen_at, last_seen_at, resolved_at, incident_id, status"
)
_ALERT_VALUES = "(" + placeholders(16) + ")"
_CHUNK = 1000  # rows per multi-row INSERT: 16,000 parameters, under both databases' limit
_BUMP = (
    "UPDATE alerts SET count = count + ?, last_seen_at = ?, summary = ?, severity = ? WHERE id = ?"
)
_LINK = "UPDATE alerts SET incident_id = ? WHERE id = ?"


def _live_sql(integrations: int, keys: int) -> str:
    return (
        "SELECT a.id, a.integration_id, a.dedup_key, a.incident_id, i.number FROM alerts a "
        f"LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.{_LIVE} "
        f"AND a.integration_id IN ({placeholders(integrations)}) "
        f"AND a.dedup_key IN ({placeholders(keys)})"
    )


def _claim_sql(rows: int) -> str:
    """Insert new live alerts; a key already live (another writer won) is skipped, and
    RETURNING names the ones this transaction claimed."""
    return (
        f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES {', '.join([_ALERT_VALUES] * rows)} "
        f"ON CONFLICT (integration_id, dedup_key) WHERE {_LIVE} DO NOTHING "
        "RETURNING id, integration_id, dedup_key"
    )


_INSERT_ONE = f"INSERT INTO alerts ({_ALERT_COLUMNS}) VALUES {_ALERT_VALUES} RETURNING id"


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

    raw = Raw(uow.session)
    stamp = raw.at(now)
    results: list[Outcome | None] = [None] * len(items)
    keys = [item.alert.dedup_key or uuid.uuid4().hex for item in items]
    integration_ids = sorted({item.integration.id for item in items})
    distinct_keys = sorted(set(keys))

    # 1. Which keys are live already (repeats)?
    live: dict[tuple[int, str], tuple[int, int | None, str | None]] = {}
    for alert_id, integration_id, key, incident_id, number in raw.rows(
        _live_sql(len(integration_ids), len(distinct_keys)), [*integration_ids, *distinct_keys]
    ):
        live[(integration_id, key)] = (alert_id, incident_id, number)

    bumps: dict[int, list[Any]] = {}  # alert id -> [n, seen, summary, severity, id]
    fresh: dict[tuple[int, str], _New] = {}
    suppressed: list[_New] = []
    reporters = _reporters(pipeline, uow, items)
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        pair = (item.integration.id, key)
        if pair in live:
            live_id, live_incident, live_number = live[pair]
            _bump(bumps, live_id, stamp, item.alert.summary[:2000] or key, item.alert.severity)
            results[index] = Outcome("deduplicated", key, live_incident, live_number, live_id)
            continue
        if pair in fresh:
            fresh[pair].followers.append(index)
            continue
        new = _New(index, item, key, _row(item, key, raw, stamp))
        if in_maintenance(
            windows,
            customer_id=item.integration.customer_id,
            service_id=item.integration.service_id,
            at=now,
        ):
            suppressed.append(new)
        else:
            fresh[pair] = new

    # 2. Suppressed: recorded, nothing opened (rare: one statement each).
    for new in suppressed:
        row = raw.one(_INSERT_ONE, _values(new.row, "suppressed"))
        assert row is not None
        alert_id = int(row[0])
        for index in (new.index, *new.followers):
            results[index] = Outcome("suppressed", new.key, alert_id=alert_id)
        pipeline.emit(uow, new.item.integration, "alert.suppressed", alert_id, now, new.key)

    # 3. Flapping keys (resolved moments ago) take the per-alert path.
    for pair in _flapping_candidates(raw, list(fresh.values()), now):
        new = fresh.pop(pair)
        results[new.index] = pipeline.trigger_one(uow, new.item, now, windows, key=new.key)
        for follower in new.followers:
            results[follower] = pipeline.trigger_one(
                uow, items[follower], now, windows, key=new.key
            )

    # 4. Claim the new keys; a key another writer holds now is a repeat.
    claimed: dict[tuple[int, str], int] = {}
    ordered = sorted(fresh.values(), key=lambda n: (n.item.integration.id, n.key))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        for alert_id, integration_id, key in raw.rows(
            _claim_sql(len(chunk)), [v for n in chunk for v in _values(n.row, "triggered")]
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
    targets = _group_targets(raw, winners, now)
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
            (
                incident_id,
                stamp,
                None,
                pipeline.robot(new.item.integration).actor.describe(),
                "alert_grouped",
                json_text({"alerts": [None, new.key]}),
                f"Alert joined: {new.row['summary']}",
                raw.flag(False),
            )
        )
        pipeline.emit(
            uow, new.item.integration, "alert.grouped", new.alert_id, now, new.key, incident_id
        )
    raw.many(INSERT_TIMELINE, timeline)
    raw.many(_LINK, [(i, a) for a, (i, _) in incident_of.items()])
    for new in winners:
        incident_id, number = incident_of[new.alert_id]
        for follower in new.followers:
            _bump(bumps, new.alert_id, stamp, new.row["summary"], new.item.alert.severity)
            results[follower] = Outcome("deduplicated", new.key, incident_id, number, new.alert_id)
    raw.many(_BUMP, bumps.values())
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _bump(
    bumps: dict[int, list[Any]], alert_id: int, stamp: Any, summary: str, severity: Severity
) -> None:
    """One more repeat of a live alert: its count, last seen time, summary and severity."""
    entry = bumps.setdefault(alert_id, [0, stamp, summary, severity.value, alert_id])
    entry[0] += 1
    entry[2] = summary
    entry[3] = severity.value


def _row(item: Item, key: str, raw: Raw, stamp: Any) -> dict[str, Any]:
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
        "labels": json_text(alert.labels),
        "details": json_text(details),
        "stamp": stamp,
    }


def _values(row: dict[str, Any], status: str) -> tuple[Any, ...]:
    """A new alert's values in `_ALERT_COLUMNS` order."""
    return (
        row["integration_id"],
        row["customer_id"],
        row["dedup_key"],
        row["summary"],
        row["severity"],
        row["source"],
        row["group_value"],
        row["labels"],
        row["details"],
        1,
        0,
        row["stamp"],
        row["stamp"],
        None,
        None,
        status,
    )


def _flapping_candidates(raw: Raw, news: list[_New], now: datetime) -> set[tuple[int, str]]:
    windows = {n.item.integration.id: n.item.integration.config.flap_window_minutes for n in news}
    longest = max(windows.values(), default=0)
    if not news or not longest:
        return set()
    ids, keys = sorted(windows), sorted({n.key for n in news})
    rows = raw.rows(
        "SELECT integration_id, dedup_key, resolved_at FROM alerts WHERE status = 'resolved' "
        f"AND integration_id IN ({placeholders(len(ids))}) "
        f"AND dedup_key IN ({placeholders(len(keys))}) AND resolved_at >= ?",
        [*ids, *keys, raw.at(now - timedelta(minutes=longest))],
    )
    found = set()
    for integration_id, key, resolved_at in rows:
        window = windows.get(integration_id, 0)
        # Stored values compare as stored (text on SQLite, timestamptz on PostgreSQL).
        if (
            window
            and resolved_at is not None
            and resolved_at >= raw.at(now - timedelta(minutes=window))
        ):
            found.add((integration_id, key))
    return found


def _group_targets(
    raw: Raw, news: list[_New], now: datetime
) -> dict[tuple[int, str], tuple[int, str]]:
    wanted = {
        (n.item.integration.id, n.row["group_value"]): n.item.integration.config
        for n in news
        if n.row["group_value"] is not None
    }
    if not wanted:
        return {}
    longest = max(c.group_window_minutes for c in wanted.values())
    ids, values = sorted({i for i, _ in wanted}), sorted({v for _, v in wanted})
    rows = raw.rows(
        "SELECT a.integration_id, a.group_value, a.last_seen_at, i.id, i.number FROM alerts a "
        f"JOIN incidents i ON i.id = a.incident_id WHERE a.integration_id IN "
        f"({placeholders(len(ids))}) AND a.group_value IN ({placeholders(len(values))}) "
        f"AND a.last_seen_at >= ? AND i.{_OPEN} ORDER BY a.last_seen_at",
        [*ids, *values, raw.at(now - timedelta(minutes=longest))],
    )
    targets: dict[tuple[int, str], tuple[int, str]] = {}
    for integration_id, value, seen, incident_id, number in rows:
        config = wanted.get((integration_id, value))
        fresh_enough = (
            seen >= raw.at(now - timedelta(minutes=config.group_window_minutes))
            if config
            else False
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
