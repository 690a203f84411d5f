"""The console and the portal answer odd input with a page and a sentence, never a 500."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocsin.auth.schemas import UserPatch
from tocsin.web.sessions import COOKIE

from .conftest import PEOPLE, World

PASSWORD = "a good long password"
TOO_BIG = str(2**31)  # past the largest id a row can have
NAIVE_CURSOR = base64.urlsafe_b64encode(json.dumps(["2020-01-01", 1]).encode()).decode()


def sign_in(world: World, who: str) -> str:
    """Sign `who` in through the form; the CSRF token of their session (the cookie is set on
    the client)."""
    email = PEOPLE[who][0]
    world.app.auth.patch_user(world.principals["admin"], email, UserPatch(password=PASSWORD))
    r = world.client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    cookie = r.cookies[COOKIE]
    world.client.cookies.set(COOKIE, cookie)
    return str(world.client.app.state.sessions.csrf_token(cookie))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value", "phrase"),
    [
        ("title", "\u200b\u2060", "visible"),
        ("title", "disk\x00full", "NUL"),
        ("description", "a\x00b", "NUL"),
    ],
)
def test_the_new_incident_form_is_shown_again(
    world: World, field: str, value: str, phrase: str
) -> None:
    csrf = sign_in(world, "agent")
    form = {"csrf_token": csrf, "title": "ok", "impact": "3", "urgency": "3", field: value}
    r = world.client.post("/incidents", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert 'name="title"' in r.text
    assert phrase in r.text
    assert world.app.incidents.count() == 0


def test_the_portal_report_form_is_shown_again(world: World) -> None:
    csrf = sign_in(world, "requester")
    r = world.client.post(
        "/portal/incidents",
        data={"csrf_token": csrf, "title": "\u3164\u2800", "urgency": "3"},
        follow_redirects=False,
    )
    assert r.status_code == 422, r.text
    assert "visible" in r.text
    assert world.app.incidents.count() == 0


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("agent", f"/incidents/{TOO_BIG}", 404),
        ("requester", f"/portal/incidents/{TOO_BIG}", 404),
        ("agent", f"/?cursor={NAIVE_CURSOR}", 422),
        ("requester", f"/portal?cursor={NAIVE_CURSOR}", 422),
        ("agent", "/?assignee=" + TOO_BIG, 422),
    ],
)
def test_pages_answer_odd_addresses_with_a_page(
    world: World, who: str, path: str, status: int
) -> None:
    sign_in(world, who)
    r = world.client.get(path, follow_redirects=False)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("agent", f"/incidents/{TOO_BIG}/notes"),
        ("agent", f"/incidents/{TOO_BIG}/actions/acknowledge"),
        ("requester", f"/portal/incidents/{TOO_BIG}/comments"),
        ("requester", f"/portal/incidents/{TOO_BIG}/reopen"),
    ],
)
def test_forms_on_an_incident_out_of_range_answer_not_found(
    world: World, who: str, path: str
) -> None:
    csrf = sign_in(world, who)
    r = world.client.post(
        path, data={"csrf_token": csrf, "body": "hello", "reason": "x"}, follow_redirects=False
    )
    assert r.status_code == 404, r.text


@pytest.mark.parametrize("token", ["\u00e9t\u00e9", "\x00", "\u20ac" * 64])
def test_a_csrf_token_that_is_not_ascii_is_refused_not_a_crash(world: World, token: str) -> None:
    sign_in(world, "agent")
    r = world.client.post(
        "/incidents", data={"csrf_token": token, "title": "x"}, follow_redirects=False
    )
    assert r.status_code == 403, r.text
    r = world.client.post(
        "/api/v1/incidents",
        headers={"X-CSRF-Token": token.encode("utf-8")},  # type: ignore[dict-item]
        json={"title": "x"},
    )
    assert r.status_code == 403, r.text
    assert world.app.incidents.count() == 0


@pytest.mark.parametrize("email", ["agent@example.com\x00", "\x00", "a\x00@b.c" * 1000])
def test_sign_in_with_unstorable_text_shows_the_form_again(world: World, email: str) -> None:
    r = world.client.post(
        "/login", data={"email": email, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 401, r.text
    assert 'name="email"' in r.text


FORM_TEXT = st.text(max_size=40) | st.sampled_from(["", "0", TOO_BIG, "-1", "P1", "none", "me"])
FORM_FIELDS = [
    "title",
    "description",
    "type",
    "impact",
    "urgency",
    "category",
    "subcategory",
    "service",
    "customer",
    "requester",
    "team",
    "assignee",
    "reason",
    "resolution_code",
    "resolution_notes",
    "body",
    "kind",
    "version",
]
QUEUE_PARAMS = ["state", "priority", "team", "assignee", "customer", "q", "cursor", "ok", "view"]
STAFF_PAGES = [
    ("POST", "/incidents"),
    ("POST", "/incidents/INC0001001/actions/{action}"),
    ("POST", "/incidents/INC0001001/notes"),
    ("GET", "/"),
    ("GET", "/incidents/INC0001001"),
    ("GET", "/incidents/new"),
]
PORTAL_PAGES = [
    ("POST", "/portal/incidents"),
    ("POST", "/portal/incidents/INC0001001/comments"),
    ("POST", "/portal/incidents/INC0001001/reopen"),
    ("GET", "/portal"),
    ("GET", "/portal/incidents/INC0001001"),
]
ACTIONS = st.sampled_from(
    ["acknowledge", "assign", "start", "hold", "resume", "resolve", "close", "reopen", "cancel"]
) | st.text(max_size=10)


@pytest.mark.parametrize(("who", "pages"), [("agent", STAFF_PAGES), ("requester", PORTAL_PAGES)])
def test_console_and_portal_never_answer_a_server_error(
    world: World, who: str, pages: list[tuple[str, str]]
) -> None:
    # before signing in: a new password revokes the person's API tokens
    r = world.client.post(
        "/api/v1/incidents", headers=world.h("requester"), json={"title": "Printer on fire"}
    )
    assert r.json()["number"] == "INC0001001"
    csrf = sign_in(world, who)

    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        page=st.sampled_from(pages),
        action=ACTIONS,
        form=st.dictionaries(st.sampled_from(FORM_FIELDS), FORM_TEXT, max_size=6),
        params=st.dictionaries(st.sampled_from(QUEUE_PARAMS), FORM_TEXT, max_size=3),
    )
    def visit(
        page: tuple[str, str], action: str, form: dict[str, str], params: dict[str, str]
    ) -> None:
        method, path = page
        path = path.replace("{action}", quote(action, safe="") or "x")
        if method == "GET":
            r = world.client.get(path, params=params, follow_redirects=False)
        else:
            data = {"csrf_token": csrf, **form}
            r = world.client.post(path, data=data, follow_redirects=False)
        assert r.status_code < 500, f"{method} {path} {form or params}: {r.text[:500]}"

    visit()
