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
from tocsin.alerts.repeats import CHANGE_KIND, change_message, repeat_changes, repeated_summary
from tocsin.alerts.schemas import IntegrationConfig
from tocsin.auth.models import User
from tocsin.core.events import DomainEvent
from tocsin.db.raw import Columns, Raw, Statement, json_text
from tocsin.db.session import UnitOfWork
from tocsin.incidents.intake import TIMELINE_COLUMNS, NewIncident, open_incidents
from tocsin.incidents.lifecycle import OPEN_STATES

if TYPE_CHECKING:
    from tocsin.alerts.pipeline import Item, Outcome, Pipeline

OPEN = tuple(s.value for s in OPEN_STATES)

# Statements on the driver cursor (tocsin.db.raw), written once for both databases.
_LIVE = LIVE_ALERT_SQL
_OPEN = "state IN (" + ", ".join(f"'{state}'" for state in OPEN) + ")"
_ALERT_COLUMNS: Columns = (
    ("integration_id", "bigint"),
    ("customer_id", "bigint"),
    ("dedup_key", "text"),
    ("summary", "text"),
    ("severity", "text"),
    ("source", "text"),
    ("group_value", "text"),
    ("labels", "json"),
    ("details", "json"),
    ("count", "int"),
    ("flap_count", "int"),
    ("first_seen_at", "timestamptz"),
    ("last_seen_at", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("incident_id", "bigint"),
    ("status", "text"),
)
# New live alerts: a key already live (another writer won it) is skipped, and RETURNING
# names the ones this transaction claimed.
_CLAIM = (
    f" ON CONFLICT (integration_id, dedup_key) WHERE {_LIVE} DO NOTHING "
    "RETURNING id, integration_id, dedup_key"
)
_BUMP = (
    "UPDATE alerts SET count = count + ?, last_seen_at = ?, summary = ?, severity = ? WHERE id = ?"
)


def _keys_statement(
    raw: Raw, integration_ids: list[int], keys: list[str], flap_since: datetime | None
) -> Statement:
    """The alerts with these keys that are live, or (with `flap_since`) resolved since
    then: one look-up of each key for both questions."""
    integrations, p1 = raw.any_of("integration_id", "bigint", integration_ids)
    dedup, p2 = raw.any_of("dedup_key", "text", keys)
    sql = (
        "SELECT id, integration_id, dedup_key, incident_id, status, resolved_at, summary, "
        "severity FROM alerts "
        f"WHERE {integrations} AND {dedup} AND "
    )
    if flap_since is None:
        return sql + _LIVE, [*p1, *p2], True
    when = f"({_LIVE} OR (status = 'resolved' AND resolved_at >= ?))"
    return sql + when, [*p1, *p2, raw.at(flap_since)], True


def _numbers(raw: Raw, incident_ids: set[int]) -> dict[int, str]:
    if not incident_ids:
        return {}
    ids, params = raw.any_of("id", "bigint", sorted(incident_ids))
    return {
        int(i): str(n) for i, n in raw.rows(f"SELECT id, number FROM incidents WHERE {ids}", params)
    }


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

    raw = uow.raw
    stamp = raw.at(now)
    results: list[Outcome | None] = [None] * len(items)
    keys = [item.alert.dedup_key or uuid.uuid4().hex for item in items]
    groups = [
        group_value(i.alert, i.integration.config.group_by, service_slug=i.integration.service_slug)
        for i in items
    ]

    # 1. In one round trip: which keys are live already (repeats), which resolved moments
    # ago (flapping), and which open incidents the alerts' groups already have.
    found, recent, grouped = _look_up(raw, items, keys, groups, now)
    numbers = _numbers(raw, {row[3] for row in found if row[3] is not None})
    live: dict[tuple[int, str], tuple[int, int | None, str | None]] = {
        (integration_id, key): (alert_id, incident_id, numbers.get(incident_id))
        for alert_id, integration_id, key, incident_id, _, _ in found
    }
    repeats = _Repeats(pipeline, uow, now, stamp)
    for alert_id, _, _, _, summary, severity in found:
        repeats.current[alert_id] = (str(summary), str(severity))
    fresh: dict[tuple[int, str], _New] = {}
    suppressed: list[_New] = []
    reporters = _reporters(pipeline, uow, items)
    for index, (item, key) in enumerate(zip(items, keys, strict=True)):
        pair = (item.integration.id, key)
        if pair in live:
            live_id, live_incident, live_number = live[pair]
            repeats.add(item, live_id, key, live_incident)
            results[index] = Outcome("deduplicated", key, live_incident, live_number, live_id)
            continue
        if pair in fresh:
            fresh[pair].followers.append(index)
            continue
        new = _New(index, item, key, _row(item, key, groups[index], stamp))
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
        ((alert_id,),) = raw.insert(
            "alerts", _ALERT_COLUMNS, [_values(new.row, "suppressed")], suffix=" RETURNING id"
        )
        for index in (new.index, *new.followers):
            results[index] = Outcome("suppressed", new.key, alert_id=alert_id)
        pipeline.emit(uow, new.item.integration, "alert.suppressed", alert_id, now, new.key)

    # 3. Flapping keys (resolved moments ago) take the per-alert path.
    flappers = [pair for pair in fresh if pair in recent]
    for pair in flappers:
        new = fresh.pop(pair)
        results[new.index] = pipeline.trigger_one(uow, new.item, now, windows, key=new.key)
        for follower in new.followers:
            results[follower] = pipeline.trigger_one(
                uow, items[follower], now, windows, key=new.key
            )

    # 4. Group: join an open incident of the same group, or the first of this run (looked
    # up again when the per-alert path may have opened or reopened one meanwhile). Decided
    # before the alerts are inserted, so that they are inserted pointing at their incident.
    arrived = sorted(fresh.values(), key=lambda n: n.index)  # the first of a group leads it
    targets = _group_targets(raw, arrived, now) if flappers else grouped
    creators: list[_New] = []
    joiners: list[tuple[_New, _New | tuple[int, str]]] = []
    leaders: dict[tuple[int, str], _New] = {}
    for new in arrived:
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

    # 5. Open the incidents, one statement per table; their audit events and timeline
    # entries wait until step 6 says which alerts this transaction really owns.
    timeline: list[tuple[Any, ...]] = []
    created: list[DomainEvent] = []
    opened = open_incidents(
        uow,
        [_spec(pipeline, n, reporters) for n in creators],
        now=now,
        matrix=pipeline.matrix,
        timeline=timeline,
        events=created,
    )
    incident_of: dict[int, tuple[int, str]] = {}  # candidate's index -> (incident id, number)
    for new, pair in zip(creators, opened, strict=True):
        incident_of[new.index] = pair
    for new, target in joiners:
        incident_of[new.index] = incident_of[target.index] if isinstance(target, _New) else target

    # 6. Claim the keys, each alert inserted with its incident; a key another writer holds
    # now is a repeat (rare: two processes, one key, the same moment). Inserted in key order,
    # as every writer does, so that two writers' unique-index locks cannot deadlock.
    candidates = sorted(fresh.values(), key=lambda n: (n.item.integration.id, n.key))
    claimed: dict[tuple[int, str], int] = {}
    for alert_id, integration_id, key in raw.insert(
        "alerts",
        _ALERT_COLUMNS,
        [_values(n.row, "triggered", incident_of[n.index][0]) for n in candidates],
        suffix=_CLAIM,
    ):
        claimed[(integration_id, key)] = int(alert_id)
    winners = [n for n in candidates if (n.item.integration.id, n.key) in claimed]
    lost = [n for n in candidates if (n.item.integration.id, n.key) not in claimed]
    for new in winners:
        new.alert_id = claimed[(new.item.integration.id, new.key)]
    if lost:
        # An incident none of whose alerts was claimed is removed before anyone sees it.
        used = {incident_of[n.index][0] for n in winners}
        orphans = {incident_id for incident_id, _ in opened if incident_id not in used}
        if orphans:
            ids, params = raw.any_of("id", "bigint", sorted(orphans))
            raw.run(f"DELETE FROM incidents WHERE {ids}", params)
            timeline = [entry for entry in timeline if entry[0] not in orphans]
            created = [e for e in created if int(e.object_id or 0) not in orphans]
    for event in created:
        uow.emit(event)
    for new in lost:
        results[new.index] = pipeline.trigger_one(uow, new.item, now, windows, key=new.key)
        for follower in new.followers:
            results[follower] = pipeline.trigger_one(
                uow, items[follower], now, windows, key=new.key
            )

    winning = {n.index for n in winners}
    for new in creators:
        if new.index in winning:
            incident_id, number = incident_of[new.index]
            results[new.index] = Outcome("created", new.key, incident_id, number, new.alert_id)
            pipeline.emit(
                uow,
                new.item.integration,
                "alert.triggered",
                new.alert_id,
                now,
                new.key,
                incident_id,
            )
    for new, _target in joiners:
        if new.index not in winning:
            continue
        incident_id, number = incident_of[new.index]
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
    for new in winners:
        incident_id, number = incident_of[new.index]
        repeats.current[new.alert_id] = (new.row["summary"], new.row["severity"])
        for follower in new.followers:
            repeats.add(items[follower], new.alert_id, new.key, incident_id)
            results[follower] = Outcome("deduplicated", new.key, incident_id, number, new.alert_id)
    timeline += repeats.timeline
    with raw.batched():  # nothing to wait for: one round trip
        raw.insert("incident_timeline", TIMELINE_COLUMNS, timeline)
        raw.many(_BUMP, repeats.bumps.values())
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


class _Repeats:
    """Repeats of live alerts in this run: one UPDATE per alert with the sum of its
    repeats, and each change a repeat made recorded (`alerts/repeats.py`)."""

    def __init__(self, pipeline: Pipeline, uow: UnitOfWork, now: datetime, stamp: Any) -> None:
        self.pipeline, self.uow, self.now, self.stamp = pipeline, uow, now, stamp
        self.current: dict[int, tuple[str, str]] = {}  # alert id -> (summary, severity)
        self.bumps: dict[int, list[Any]] = {}  # alert id -> [n, seen, summary, severity, id]
        self.timeline: list[tuple[Any, ...]] = []

    def add(self, item: Item, alert_id: int, key: str, incident_id: int | None) -> None:
        summary, severity = self.current[alert_id]
        changes = repeat_changes(summary=summary, severity=severity, alert=item.alert)
        after = (repeated_summary(summary, item.alert), item.alert.severity.value)
        self.current[alert_id] = after
        entry = self.bumps.setdefault(alert_id, [0, self.stamp, *after, alert_id])
        entry[0] += 1
        entry[2], entry[3] = after
        if not changes:
            return
        integration = item.integration
        self.pipeline.emit(
            self.uow,
            integration,
            "alert.updated",
            alert_id,
            self.now,
            key,
            incident_id,
            changes=changes,
        )
        if incident_id is not None:
            self.timeline.append(
                (
                    incident_id,
                    self.stamp,
                    None,
                    self.pipeline.robot(integration).actor.describe(),
                    CHANGE_KIND,
                    json_text(changes),
                    change_message(key, changes),
                    self.uow.raw.flag(False),
                )
            )


def _row(item: Item, key: str, group: str | None, stamp: Any) -> dict[str, Any]:
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
        "group_value": group,
        "labels": json_text(alert.labels),
        "details": json_text(details),
        "stamp": stamp,
    }


def _values(row: dict[str, Any], status: str, incident_id: int | None = None) -> tuple[Any, ...]:
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
        incident_id,
        status,
    )


Pair = tuple[int, str]  # (integration id, dedup key) or (integration id, group value)
Targets = dict[Pair, tuple[int, str]]  # group -> (incident id, number)


def _look_up(
    raw: Raw, items: list[Item], keys: list[str], groups: list[str | None], now: datetime
) -> tuple[list[tuple[Any, ...]], set[Pair], Targets]:
    """The live alerts with these keys, the keys that resolved within their integration's
    flap window, and the open incidents of these groups: one round trip."""
    integration_ids = sorted({item.integration.id for item in items})
    flap_windows = {i.integration.id: i.integration.config.flap_window_minutes for i in items}
    wanted = {
        (item.integration.id, group): item.integration.config
        for item, group in zip(items, groups, strict=True)
        if group is not None
    }
    longest = max(flap_windows.values(), default=0)
    flap_since = now - timedelta(minutes=longest) if longest else None
    statements: list[Statement] = [
        _keys_statement(raw, integration_ids, sorted(set(keys)), flap_since)
    ]
    group = _group_statement(raw, wanted, now)
    if group is not None:
        statements.append(group)
    answers = raw.together(statements)
    found = [(*row[:4], row[6], row[7]) for row in answers[0] if row[4] != "resolved"]
    resolved = [(row[1], row[2], row[5]) for row in answers[0] if row[4] == "resolved"]
    recent = _flap_result(raw, resolved, flap_windows, now)
    grouped = _group_result(raw, answers[-1], wanted, now) if group else {}
    return found, recent, grouped


def _flap_result(
    raw: Raw, rows: list[tuple[Any, ...]], windows: dict[int, int], now: datetime
) -> set[Pair]:
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


def _group_statement(
    raw: Raw, wanted: dict[Pair, IntegrationConfig], now: datetime
) -> Statement | None:
    if not wanted:
        return None
    longest = max(c.group_window_minutes for c in wanted.values())
    ids, p1 = raw.any_of("a.integration_id", "bigint", sorted({i for i, _ in wanted}))
    values, p2 = raw.any_of("a.group_value", "text", sorted({v for _, v in wanted}))
    sql = (
        "SELECT a.integration_id, a.group_value, a.last_seen_at, i.id, i.number FROM alerts a "
        f"JOIN incidents i ON i.id = a.incident_id WHERE {ids} AND {values} "
        f"AND a.last_seen_at >= ? AND i.{_OPEN} ORDER BY a.last_seen_at"
    )
    return sql, [*p1, *p2, raw.at(now - timedelta(minutes=longest))], True


def _group_result(
    raw: Raw, rows: list[tuple[Any, ...]], wanted: dict[Pair, IntegrationConfig], now: datetime
) -> Targets:
    targets: Targets = {}
    for integration_id, value, seen, incident_id, number in rows:
        config = wanted.get((integration_id, value))
        if config is None or value is None:
            continue
        if seen >= raw.at(now - timedelta(minutes=config.group_window_minutes)):
            targets[(integration_id, value)] = (int(incident_id), str(number))
    return targets


def _group_targets(raw: Raw, news: list[_New], now: datetime) -> Targets:
    wanted = {
        (n.item.integration.id, n.row["group_value"]): n.item.integration.config
        for n in news
        if n.row["group_value"] is not None
    }
    statement = _group_statement(raw, wanted, now)
    if statement is None:
        return {}
    sql, params, _ = statement
    return _group_result(raw, raw.rows(sql, params), wanted, now)


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
