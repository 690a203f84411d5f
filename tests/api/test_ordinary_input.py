"""Ordinary input never answers 500: dates without a zone, ids out of range, cursors of the
wrong shape, text no database can store, titles and names made of invisible characters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import select

from tocsin.alerts.models import Integration

from .conftest import World

TOO_BIG = str(2**31)  # one past the largest id a row can have (PostgreSQL `integer`)
BIGINT = str(2**63)  # one past what SQLite's INTEGER (and PostgreSQL's bigint) holds
FAR_TOO_BIG = "9" * 30


def cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _back_dated(world: World, title: str, opened_at: str) -> str:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("admin"),
        json={"title": title, "opened_at": opened_at},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def _titles(world: World, who: str, **params: str) -> list[str]:
    r = world.client.get("/api/v1/incidents", headers=world.h(who), params=params)
    assert r.status_code == 200, r.text
    return sorted(i["title"] for i in r.json()["items"])


# Dates and times --------------------------------------------------------------------------


def test_a_date_without_a_zone_in_a_filter_is_midnight_in_the_users_zone(world: World) -> None:
    # 23:30 and 00:30 in Berlin (UTC+1 in winter) on either side of 1 March.
    _back_dated(world, "late on the 28th", "2026-02-28T22:30:00Z")
    _back_dated(world, "early on the 1st", "2026-02-28T23:30:00Z")
    r = world.client.patch(
        "/api/v1/me", headers=world.h("agent"), json={"time_zone": "Europe/Berlin"}
    )
    assert r.status_code == 200
    berlin, utc = "agent", "manager"
    assert _titles(world, berlin, opened_after="2026-03-01") == ["early on the 1st"]
    assert _titles(world, berlin, opened_after="2026-03-01T00:00:00") == ["early on the 1st"]
    assert _titles(world, berlin, opened_before="2026-03-01") == ["late on the 28th"]
    # In UTC both are still on the 28th.
    assert _titles(world, utc, opened_after="2026-03-01") == []
    assert _titles(world, utc, opened_before="2026-03-01") == [
        "early on the 1st",
        "late on the 28th",
    ]
    # A zone given in the filter wins over the user's.
    assert _titles(world, berlin, opened_after="2026-02-28T23:00:00Z") == ["early on the 1st"]


@pytest.mark.parametrize("value", ["20260101", "1767225600", "1.5e9"])
def test_a_number_in_a_time_filter_is_refused_not_read_as_1970(world: World, value: str) -> None:
    r = world.client.get(
        "/api/v1/incidents", headers=world.h("agent"), params={"opened_after": value}
    )
    assert r.status_code == 422
    assert "write a date or a time" in r.json()["detail"]


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "0001-01-01"]
)
def test_a_filter_time_out_of_range_is_refused(world: World, value: str) -> None:
    world.client.patch("/api/v1/me", headers=world.h("agent"), json={"time_zone": "Asia/Tokyo"})
    r = world.client.get(
        "/api/v1/incidents", headers=world.h("agent"), params={"opened_after": value}
    )
    assert r.status_code == 422, r.text
    assert "opened_after" in r.json()["detail"]


def test_a_body_time_without_a_zone_is_refused_with_an_example(world: World) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("admin"),
        json={"title": "naive", "opened_at": "2026-03-01T10:00:00"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "opened_at" in detail
    assert "Z" in detail
    assert "+01:00" in detail
    for name in ("start", "end", "until"):
        body = {
            "customer": "acme",
            "start": "2026-04-01T09:00:00Z",
            "end": "2026-04-01T10:00:00Z",
            "recurrence": "daily",
            "until": "2026-05-01T00:00:00Z",
            name: "2026-04-01T09:30:00",
        }
        r = world.client.post("/api/v1/maintenance-windows", headers=world.h("agent"), json=body)
        assert r.status_code == 422, r.text
        assert name in r.json()["detail"]
        assert "+01:00" in r.json()["detail"]
    assert world.app.incidents.count() == 0


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_body_time_out_of_range_is_refused(world: World, value: str) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        headers=world.h("admin"),
        json={"title": "ancient", "opened_at": value},
    )
    assert r.status_code == 422, r.text
    r = world.client.post(
        "/api/v1/maintenance-windows",
        headers=world.h("agent"),
        json={"customer": "acme", "start": value, "end": "9999-12-31T00:00:00Z"},
    )
    assert r.status_code == 422, r.text
    assert world.app.incidents.count() == 0


# Ids out of range ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", [TOO_BIG, BIGINT, FAR_TOO_BIG, "0"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/incidents/{n}", None),
        ("PATCH", "/api/v1/incidents/{n}", {"title": "x"}),
        ("POST", "/api/v1/incidents/{n}/actions/acknowledge", None),
        ("POST", "/api/v1/incidents/{n}/notes", {"body": "x"}),
        ("GET", "/api/v1/incidents/{n}/notes", None),
        ("GET", "/api/v1/incidents/{n}/timeline", None),
        ("GET", "/api/v1/users/{n}", None),
        ("PATCH", "/api/v1/users/{n}", {"name": "x"}),
        ("GET", "/api/v1/integrations/{n}", None),
        ("PATCH", "/api/v1/integrations/{n}", {"name": "x"}),
    ],
)
def test_an_id_out_of_range_in_a_path_is_not_found(
    world: World, method: str, path: str, body: Any, number: str
) -> None:
    r = world.client.request(method, path.format(n=number), headers=world.h("admin"), json=body)
    assert r.status_code == 404, r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("number", [TOO_BIG, BIGINT, FAR_TOO_BIG, "0", "-1"])
@pytest.mark.parametrize("path", ["/api/v1/tokens/{n}", "/api/v1/maintenance-windows/{n}"])
def test_an_integer_path_out_of_range_is_refused(world: World, path: str, number: str) -> None:
    r = world.client.delete(path.format(n=number), headers=world.h("admin"))
    assert r.status_code in (404, 422), r.text
    assert r.json()["detail"]


@pytest.mark.parametrize("number", [TOO_BIG, BIGINT, FAR_TOO_BIG])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/incidents", "assignee"),
        ("/api/v1/incidents", "requester"),
        ("/api/v1/alerts", "integration"),
        ("/api/v1/alerts", "incident"),
        ("/api/v1/incidents", "limit"),
        ("/api/v1/users", "limit"),
        ("/api/v1/alerts", "limit"),
        ("/api/v1/audit", "limit"),
    ],
)
def test_a_number_out_of_range_in_a_filter_is_refused(
    world: World, path: str, name: str, number: str
) -> None:
    r = world.client.get(path, headers=world.h("admin"), params={name: number})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_an_opsgenie_action_on_an_id_out_of_range_finds_nothing(world: World) -> None:
    key = world.client.post(
        "/api/v1/integrations", headers=world.h("admin"), json={"type": "opsgenie", "name": "og"}
    ).json()["key"]
    r = world.client.post(
        f"/v2/alerts/{TOO_BIG}/close",
        params={"identifierType": "id"},
        headers={"Authorization": f"GenieKey {key}"},
        json={},
    )
    assert r.status_code == 202, r.text


# Cursors -------------------------------------------------------------------------------------


MOMENT = "2026-03-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("/api/v1/incidents", ["2020-01-01", 1]),
        ("/api/v1/incidents", ["2020-01-01T00:00:00", 1]),
        ("/api/v1/incidents", [True]),
        ("/api/v1/incidents", [MOMENT, True]),
        ("/api/v1/incidents", [MOMENT, 2**31]),
        ("/api/v1/incidents", [MOMENT, 2**63]),
        ("/api/v1/incidents", [MOMENT, 1.5]),
        ("/api/v1/incidents", ["9999-12-31T23:59:59-05:00", 1]),
        ("/api/v1/incidents", [MOMENT, 1, 2]),
        ("/api/v1/incidents", {"a": 1}),
        ("/api/v1/alerts", [True]),
        ("/api/v1/alerts", [2**31]),
        ("/api/v1/alerts", [2**63]),
        ("/api/v1/alerts", [10**30]),
        ("/api/v1/alerts", [-1]),
        ("/api/v1/alerts", ["1"]),
        ("/api/v1/audit", [True]),
        ("/api/v1/audit", [2**63]),
        ("/api/v1/users", [True]),
        ("/api/v1/users", [2**63]),
        ("/api/v1/users", [-1]),
    ],
)
def test_a_malformed_cursor_is_refused(world: World, path: str, values: Any) -> None:
    r = world.client.get(path, headers=world.h("admin"), params={"cursor": cursor(values)})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "cursor"
    assert "cursor" in r.json()["detail"]


def test_the_cursors_handed_out_still_work(world: World) -> None:
    for n in range(3):
        world.client.post("/api/v1/incidents", headers=world.h("agent"), json={"title": f"i{n}"})
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 1}
    while True:
        page = world.client.get("/api/v1/incidents", headers=world.h("agent"), params=params)
        assert page.status_code == 200, page.text
        seen += [i["title"] for i in page.json()["items"]]
        if page.json()["next"] is None:
            break
        params["cursor"] = page.json()["next"]
    assert sorted(seen) == ["i0", "i1", "i2"]
    # The audit log's sequence is a bigint: a cursor past 2^31 is one it may hand out.
    r = world.client.get(
        "/api/v1/audit", headers=world.h("admin"), params={"cursor": cursor([2**31])}
    )
    assert r.status_code == 200, r.text
    for path in ("/api/v1/users", "/api/v1/audit"):
        first = world.client.get(path, headers=world.h("admin"), params={"limit": 2}).json()
        r = world.client.get(
            path, headers=world.h("admin"), params={"limit": 2, "cursor": first["next"]}
        )
        assert r.status_code == 200, r.text


# Text no database can store ------------------------------------------------------------------


def _integrations(world: World) -> int:
    r = world.client.get("/api/v1/integrations", headers=world.h("acme_agent"))
    assert r.status_code == 200, r.text  # the list still answers
    return int(r.json()["total"])


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ('{"parser": {"a": "\\u0000"}}', "config.parser.a"),
        ('{"parser": {"a": "x\\ud800y"}}', "config.parser.a"),
        ('{"parser": {"a": ["ok", {"b": "\\udfff"}]}}', "config.parser.a.1.b"),
        ('{"parser": {"\\u0000": 1}}', "config.parser.\ufffd"),
        ('{"parser": {"\\ud83d": 1}}', "config.parser.\ufffd"),
    ],
)
def test_unstorable_text_in_a_stored_object_is_refused_and_nothing_stored(
    world: World, config: str, field: str
) -> None:
    before = _integrations(world)
    audit_before = world.client.get("/api/v1/audit", headers=world.h("admin")).json()["total"]
    headers = {**world.h("admin"), "content-type": "application/json"}
    body = '{"type": "generic", "name": "probe", "customer": "acme", "config": ' + config + "}"
    r = world.client.post("/api/v1/integrations", headers=headers, content=body)
    assert r.status_code == 422, r.text
    # A key is named as far as it can be shown: its unstorable characters as U+FFFD.
    assert [e["field"].rstrip("\ufffd") for e in r.json()["errors"]] == [field.rstrip("\ufffd")]
    assert "cannot be stored" in r.json()["detail"]
    patch = '{"config": ' + config + "}"
    ref = world.extra["integration_id"]
    r = world.client.patch(f"/api/v1/integrations/{ref}", headers=headers, content=patch)
    assert r.status_code == 422, r.text
    assert _integrations(world) == before
    audit = world.client.get("/api/v1/audit", headers=world.h("admin")).json()["total"]
    assert audit == audit_before
    assert (
        world.client.get(f"/api/v1/integrations/{ref}", headers=world.h("admin")).json()["config"][
            "parser"
        ]
        == {}
    )


@pytest.mark.parametrize(
    ("config", "field", "phrase"),
    [
        ('{"parser": {"a": NaN}}', "config.parser.a", "finite"),
        ('{"parser": {"a": [1, -Infinity]}}', "config.parser.a.1", "finite"),
        (
            '{"parser": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}",
            "config.parser" + ".a" * 64,
            "deeper than 64 levels",
        ),
    ],
)
def test_numbers_and_nesting_that_cannot_be_stored_are_refused(
    world: World, config: str, field: str, phrase: str
) -> None:
    before = _integrations(world)
    headers = {**world.h("admin"), "content-type": "application/json"}
    body = '{"type": "generic", "name": "probe", "customer": "acme", "config": ' + config + "}"
    r = world.client.post("/api/v1/integrations", headers=headers, content=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert phrase in r.json()["detail"]
    assert _integrations(world) == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/teams", '{"slug": "net", "name": "Network", "\\ud800": 1}'),
        ("/api/v1/teams", '{"slug": "net", "name": "Net\\ud800work"}'),
        ("/api/v1/incidents", '{"title": "t", "tags": ["a\\udc00"]}'),
        ("/api/v1/incidents", '{"title": "t", "description": "a\\u0000"}'),
        ("/api/v1/incidents", '{"title": "t\\ud800"}'),
    ],
)
def test_unstorable_text_anywhere_in_a_body_is_refused(world: World, path: str, body: str) -> None:
    headers = {**world.h("admin"), "content-type": "application/json"}
    r = world.client.post(path, headers=headers, content=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]
    assert world.app.incidents.count() == 0


def test_a_stored_value_that_cannot_be_answered_does_not_break_the_list(world: World) -> None:
    """A configuration stored before these checks existed (or written by hand)."""
    with world.app.db.unit_of_work() as uow:
        row = uow.session.scalar(
            select(Integration).where(Integration.id == world.extra["integration_id"])
        )
        assert row is not None
        row.config = {**row.config, "parser": {"a": "x\ud800y", "b\u0000": "c\u0000"}}
    r = world.client.get("/api/v1/integrations", headers=world.h("admin"))
    assert r.status_code == 200, r.text
    r = world.client.get(
        f"/api/v1/integrations/{world.extra['integration_id']}", headers=world.h("admin")
    )
    assert r.status_code == 200, r.text
    assert r.json()["config"]["parser"] == {"a": "x\ufffdy", "b\ufffd": "c\ufffd"}


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("generic", {"summary": "disk\u0000full\ud800", "labels": {"k\u0000": "v\udfff"}}),
        ("alertmanager", None),
    ],
)
def test_unstorable_text_from_a_sender_becomes_a_replacement_character(
    world: World, route: str, body: dict[str, Any] | None
) -> None:
    key = str(world.extra["integration_key"])
    if route == "alertmanager":
        key = world.client.post(
            "/api/v1/integrations",
            headers=world.h("admin"),
            json={"type": "alertmanager", "name": "am", "customer": "acme"},
        ).json()["key"]
        body = {
            "version": "4",
            "status": "firing",
            "groupKey": "g\u0000",
            "alerts": [
                {
                    "status": "firing",
                    "fingerprint": "f\ud800",
                    "labels": {"alertname": "Disk\u0000", "x\ud800": "y"},
                    "annotations": {"summary": "s\u0000"},
                }
            ],
        }
    raw = json.dumps(body)  # ensure_ascii: the unstorable characters travel as \u escapes
    r = world.client.post(
        f"/api/v1/ingest/{route}",
        headers={"Authorization": f"Bearer {key}", "content-type": "application/json"},
        content=raw,
    )
    assert r.status_code == 202, r.text
    alerts = world.client.get("/api/v1/alerts", headers=world.h("admin")).json()["items"]
    assert len(alerts) == 1
    stored = json.dumps(alerts[0], ensure_ascii=False)
    assert "\ufffd" in stored
    assert "\\u0000" not in stored


# Invisible titles and names ------------------------------------------------------------------


INVISIBLE = [
    "\u200b",
    "\u2060",
    "\ufeff",
    "\u00a0",
    "\u3164",
    "\u2800",
    "\u200b \u200d\u2060",
    "\x01\x7f",
    "\u00ad",
    "\u202e",
    "\U000e0041",
    "\u0301",
]


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_made_only_of_invisible_characters_is_refused(world: World, title: str) -> None:
    r = world.client.post("/api/v1/incidents", headers=world.h("agent"), json={"title": title})
    assert r.status_code == 422, r.text
    assert "title" in r.json()["detail"]
    assert world.app.incidents.count() == 0


def test_a_title_with_some_visible_character_is_kept(world: World) -> None:
    for title in ("\u200bdisk full", "\U0001f525", "\u0915\u094d\u0937", "e\u0301"):
        r = world.client.post("/api/v1/incidents", headers=world.h("agent"), json={"title": title})
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u3164", "\u2800\ufeff"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/customers", {"slug": "initech"}),
        ("PATCH", "/api/v1/customers/acme", {}),
        ("POST", "/api/v1/users", {"email": "new@example.com", "role": "agent"}),
        ("PATCH", "/api/v1/users/agent@example.com", {}),
        ("PATCH", "/api/v1/me", {}),
        ("POST", "/api/v1/tokens", {}),
        ("POST", "/api/v1/teams", {"slug": "net"}),
        ("PATCH", "/api/v1/teams/ops", {}),
        ("POST", "/api/v1/services", {"slug": "mail"}),
        ("PATCH", "/api/v1/services/acme-web", {}),
        ("POST", "/api/v1/categories", {}),
        ("POST", "/api/v1/integrations", {"type": "generic"}),
        ("PATCH", "/api/v1/integrations/acme-monitoring", {}),
    ],
)
def test_a_name_made_only_of_invisible_characters_is_refused(
    world: World, method: str, path: str, body: dict[str, Any], name: str
) -> None:
    r = world.client.request(method, path, headers=world.h("admin"), json={**body, "name": name})
    assert r.status_code == 422, r.text
    assert "visible" in r.json()["detail"]


# Values longer than their column ----------------------------------------------------------


LONG_EMAIL = "a" * 64 + "@" + "b" * 180 + ".example.com"  # 257 characters, else well formed


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/tokens", {"name": "t" * 101}, "name"),
        ("/api/v1/categories", {"name": "c" * 101}, "name"),
        ("/api/v1/users", {"email": LONG_EMAIL, "role": "agent"}, "email"),
    ],
)
def test_a_value_longer_than_its_column_is_refused(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    """SQLite stores any length; PostgreSQL refuses what does not fit its column."""
    r = world.client.post(path, headers=world.h("admin"), json=body)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
