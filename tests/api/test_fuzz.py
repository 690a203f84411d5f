"""Garbage in, a 4xx with a sentence out: never a 5xx, never a half-written incident."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import World

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "title",
    "description",
    "type",
    "category",
    "subcategory",
    "service",
    "customer",
    "requester",
    "team",
    "assignee",
    "impact",
    "urgency",
    "priority",
    "priority_reason",
    "tags",
    "major",
    "shared_with",
    "opened_at",
]
bodies = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
OK = {200, 201, 400, 403, 404, 409, 412, 413, 422}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=bodies)
def test_create_never_fails_with_a_server_error(world: World, body: dict[str, object]) -> None:
    before = world.app.incidents.count()
    r = world.client.post("/api/v1/incidents", headers=world.h("agent"), json=body)
    assert r.status_code in OK, r.text
    if r.status_code >= 400:
        assert r.json()["detail"]
        assert world.app.incidents.count() == before


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=200))
def test_raw_bytes_never_fail_with_a_server_error(world: World, raw: bytes) -> None:
    r = world.client.post(
        "/api/v1/incidents",
        content=raw,
        headers={**world.h("agent"), "content-type": "application/json"},
    )
    assert r.status_code in OK, r.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.dictionaries(
        st.sampled_from(["team", "assignee", "reason", "resolution_code", "resolution_notes"]),
        json_values,
        max_size=4,
    ),
    action=st.sampled_from(
        [
            "acknowledge",
            "assign",
            "start",
            "hold",
            "resume",
            "resolve",
            "close",
            "reopen",
            "cancel",
            "bogus",
        ]
    ),
)
def test_actions_never_fail_with_a_server_error(
    world: World, body: dict[str, object], action: str
) -> None:
    number = world.client.post(
        "/api/v1/incidents", headers=world.h("agent"), json={"title": "fuzz"}
    ).json()["number"]
    r = world.client.post(
        f"/api/v1/incidents/{number}/actions/{action}",
        headers=world.h("agent"),
        content=json.dumps(body),
    )
    assert r.status_code in OK, r.text


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "state",
                "priority",
                "team",
                "assignee",
                "q",
                "customer",
                "cursor",
                "limit",
                "major",
                "opened_after",
            ]
        ),
        st.text(max_size=20),
        max_size=4,
    )
)
def test_list_filters_never_fail_with_a_server_error(world: World, params: dict[str, str]) -> None:
    r = world.client.get("/api/v1/incidents", headers=world.h("agent"), params=params)
    assert r.status_code in OK, r.text


def test_nul_characters_are_refused_clearly(world: World) -> None:
    """PostgreSQL cannot store NUL in text; both databases refuse it the same way."""
    r = world.client.post(
        "/api/v1/incidents", headers=world.h("agent"), json={"title": "bad\u0000title"}
    )
    assert r.status_code == 422
    assert "NUL" in r.json()["detail"]
    assert world.app.incidents.count() == 0


def test_nul_in_the_address_is_refused(world: World) -> None:
    for path in ("/api/v1/teams/ops%00x", "/api/v1/incidents?q=a%00b"):
        r = world.client.get(path, headers=world.h("agent"))
        assert r.status_code == 400, path
        assert "NUL" in r.json()["detail"]
