"""The alert path's look-ups, on the driver cursor, one statement for a whole run: live
and recently resolved alerts by key, the open incidents of alert groups, incident numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin.alerts.items import Item
from tocsin.alerts.schemas import IntegrationConfig
from tocsin.alerts.states import LIVE_ALERT_SQL, OPEN_INCIDENT_SQL, AlertStatus
from tocsin.db.raw import Raw, Statement

Pair = tuple[int, str]  # (integration id, dedup key) or (integration id, group value)
Targets = dict[Pair, tuple[int, str]]  # group -> (incident id, number)


@dataclass(frozen=True, slots=True)
class LiveAlert:
    id: int
    incident_id: int | None
    number: str | None
    summary: str
    severity: str


@dataclass(slots=True)
class Found:
    live: dict[Pair, LiveAlert]  # keys live already: repeats
    recent: set[Pair]  # keys resolved within their integration's flap window
    targets: Targets  # open incidents of the run's groups


def keys_statement(
    raw: Raw, integration_ids: list[int], keys: list[str], flap_since: datetime | None
) -> Statement:
    """The alerts with these keys that are live, or (with `flap_since`) resolved since
    then: one look-up of each key for both questions."""
    integrations, p1 = raw.any_of("integration_id", "bigint", integration_ids)
    dedup, p2 = raw.any_of("dedup_key", "text", keys)
    sql = (
        "SELECT id, integration_id, dedup_key, incident_id, status, resolved_at, summary, "
        f"severity FROM alerts WHERE {integrations} AND {dedup} AND "
    )
    if flap_since is None:
        return sql + LIVE_ALERT_SQL, [*p1, *p2], True
    resolved = f"status = '{AlertStatus.RESOLVED.value}' AND resolved_at >= ?"
    return sql + f"({LIVE_ALERT_SQL} OR ({resolved}))", [*p1, *p2, raw.at(flap_since)], True


def live_alerts(raw: Raw, rows: list[tuple[Any, ...]]) -> dict[Pair, LiveAlert]:
    """The live ones among the rows of `keys_statement`, with their incidents' numbers
    (looked up only when there are any: a run of new alerts has none)."""
    live = [row for row in rows if row[4] != AlertStatus.RESOLVED.value]
    numbers = _numbers(raw, {row[3] for row in live if row[3] is not None})
    return {
        (int(integration_id), str(key)): LiveAlert(
            int(alert_id),
            int(incident_id) if incident_id is not None else None,
            numbers.get(incident_id) if incident_id is not None else None,
            str(summary),
            str(severity),
        )
        for alert_id, integration_id, key, incident_id, _, _, summary, severity in live
    }


def _numbers(raw: Raw, incident_ids: set[int]) -> dict[int, str]:
    if not incident_ids:
        return {}
    ids, params = raw.any_of("id", "bigint", sorted(incident_ids))
    return {
        int(i): str(n) for i, n in raw.rows(f"SELECT id, number FROM incidents WHERE {ids}", params)
    }


def look_up(
    raw: Raw, items: list[Item], keys: list[str], groups: list[str | None], now: datetime
) -> Found:
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
    statements = [keys_statement(raw, integration_ids, sorted(set(keys)), flap_since)]
    group = group_statement(raw, wanted, now)
    if group is not None:
        statements.append(group)
    answers = raw.together(statements)
    resolved = [(r[1], r[2], r[5]) for r in answers[0] if r[4] == AlertStatus.RESOLVED.value]
    return Found(
        live=live_alerts(raw, answers[0]),
        recent=_recent(raw, resolved, flap_windows, now),
        targets=group_result(raw, answers[-1], wanted, now) if group else {},
    )


def _recent(
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


def group_statement(
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
        f"AND a.last_seen_at >= ? AND i.{OPEN_INCIDENT_SQL} ORDER BY a.last_seen_at"
    )
    return sql, [*p1, *p2, raw.at(now - timedelta(minutes=longest))], True


def group_result(
    raw: Raw, rows: list[tuple[Any, ...]], wanted: dict[Pair, IntegrationConfig], now: datetime
) -> Targets:
    """The newest open incident of each group, within the group's own window."""
    targets: Targets = {}
    for integration_id, value, seen, incident_id, number in rows:
        config = wanted.get((integration_id, value))
        if config is None or value is None:
            continue
        if seen >= raw.at(now - timedelta(minutes=config.group_window_minutes)):
            targets[(integration_id, value)] = (int(incident_id), str(number))
    return targets


def group_targets(raw: Raw, wanted: dict[Pair, IntegrationConfig], now: datetime) -> Targets:
    """The groups' open incidents, looked up on their own (after a flap reopened one)."""
    statement = group_statement(raw, wanted, now)
    if statement is None:
        return {}
    sql, params, _ = statement
    return group_result(raw, raw.rows(sql, params), wanted, now)
