"""The console's incident queue without a browser: filters, sort and its cursor, saved
views, bulk actions and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from html import unescape

import pytest

from tocsin.audit.service import list_entries
from tocsin.core.clock import FrozenClock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.incidents.lifecycle import Action, ResolutionCode
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch
from tocsin.incidents.views import SavedViewIn

from .conftest import World
from .test_console_input import sign_in


def _open(world: World, title: str, *, impact: int = 3, urgency: int = 3, **more: str) -> str:
    data = IncidentIn(title=title, impact=impact, urgency=urgency, customer="acme", **more)
    return world.app.incidents.create(world.principals["admin"], data).number


def _mixed(world: World) -> list[str]:
    """Seven incidents with different priorities, states, services and update times."""
    clock = world.app.clock
    assert isinstance(clock, FrozenClock)
    numbers = []
    for n, (impact, urgency) in enumerate([(1, 1), (3, 3), (2, 2), (3, 3), (1, 2), (2, 3), (3, 1)]):
        clock.advance(timedelta(minutes=5))
        service = {"service": "acme-web"} if n % 2 == 0 else {}
        numbers.append(_open(world, f"Incident {n}", impact=impact, urgency=urgency, **service))
    agent = world.principals["agent"]
    for number in (numbers[1], numbers[5]):
        clock.advance(timedelta(minutes=1))
        world.app.actions.perform(agent, number, Action.ACKNOWLEDGE, ActionIn())
    clock.advance(timedelta(minutes=1))
    world.app.incidents.patch(
        world.principals["admin"], numbers[0], IncidentPatch(title="Incident 0, renamed")
    )
    return numbers


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="row-p\d" data-key="(INC\d+)"', text)


# filters ------------------------------------------------------------------------------


def test_the_service_filter_on_the_page_and_the_api(world: World) -> None:
    web = _open(world, "Checkout fails", service="acme-web")
    other = _open(world, "Printer jams")
    api = world.client.get("/api/v1/incidents?service=acme-web", headers=world.h("agent"))
    assert [i["number"] for i in api.json()["items"]] == [web], api.text
    sign_in(world, "agent")
    r = world.client.get("/?service=acme-web")
    assert r.status_code == 200, r.text
    assert _rows(r.text) == [web]
    assert '<option value="acme-web" selected>' in r.text
    assert other in _rows(world.client.get("/").text)


def test_an_unknown_service_is_a_sentence_not_a_crash(world: World) -> None:
    sign_in(world, "agent")
    r = world.client.get("/?service=nope")
    assert r.status_code == 422
    assert "nope" in r.text
    assert 'class="alert error"' in r.text


# sort ---------------------------------------------------------------------------------

SORT_KEYS = ["number", "priority", "state", "opened_at", "updated_at"]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("key", SORT_KEYS)
def test_each_sort_pages_through_every_row_once_in_order(
    world: World, key: str, descending: bool
) -> None:
    _mixed(world)
    agent = world.principals["agent"]
    sort = ("-" if descending else "") + key
    everything = world.app.incidents.list(agent, IncidentFilter(), limit=200).items
    expected = sorted(everything, key=lambda i: (getattr(i, key), i.id), reverse=descending)
    seen: list[str] = []
    cursor = None
    while True:
        page = world.app.incidents.list(agent, IncidentFilter(), limit=2, cursor=cursor, sort=sort)
        seen.extend(i.number for i in page.items)
        cursor = page.next
        if cursor is None:
            break
    assert seen == [i.number for i in expected]
    assert len(set(seen)) == 7


def test_sorting_by_priority_on_the_page_with_headers_that_say_so(world: World) -> None:
    numbers = _mixed(world)
    sign_in(world, "agent")
    r = world.client.get("/?sort=priority")
    assert r.status_code == 200
    shown = _rows(r.text)
    priorities = [int(p) for p in re.findall(r'<tr class="row-p(\d)"', r.text)]
    assert priorities == sorted(priorities)
    assert set(shown) == set(numbers)
    assert re.search(
        r'<th aria-sort="ascending" class="sortable"><a href="/\?sort=-priority">', r.text
    )
    # the default order is the newest first, and its header says so
    r = world.client.get("/")
    assert _rows(r.text) == list(reversed(numbers))
    assert re.search(
        r'<th aria-sort="descending" class="sortable" title="Times in UTC">'
        r'<a href="/\?sort=opened_at">Opened',
        r.text,
    )


def test_the_pages_next_link_keeps_the_sort(world: World) -> None:
    _mixed(world)
    from tocsin.web.ui import queue

    sign_in(world, "agent")
    original = queue.PAGE_SIZE
    queue.PAGE_SIZE = 3
    try:
        first = world.client.get("/?sort=-priority")
        link = re.search(r'<a href="([^"]+)">Next page', first.text)
        assert link is not None
        second = world.client.get(link.group(1).replace("&amp;", "&"))
    finally:
        queue.PAGE_SIZE = original
    assert second.status_code == 200
    both = _rows(first.text) + _rows(second.text)
    assert len(set(both)) == 6


def test_an_unknown_sort_is_a_clear_sentence(world: World) -> None:
    api = world.client.get("/api/v1/incidents?sort=colour", headers=world.h("agent"))
    assert api.status_code == 422
    assert "priority" in api.json()["detail"]
    sign_in(world, "agent")
    r = world.client.get("/?sort=colour")
    assert r.status_code == 400
    assert "sort &#39;colour&#39; is unknown" in r.text


def test_a_cursor_of_another_sort_is_refused(world: World) -> None:
    _mixed(world)
    agent = world.principals["agent"]
    page = world.app.incidents.list(agent, IncidentFilter(), limit=2, sort="priority")
    assert page.next
    with pytest.raises(ValidationFailed, match="cursor"):
        world.app.incidents.list(agent, IncidentFilter(), limit=2, cursor=page.next, sort="state")
    with pytest.raises(ValidationFailed, match="cursor"):
        world.app.incidents.list(agent, IncidentFilter(), limit=2, cursor=page.next)


# saved views --------------------------------------------------------------------------


def test_saving_a_view_lists_it_and_opens_its_filters(world: World) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.post(
        "/views",
        data={"csrf_token": csrf, "name": "My P1s", "query": "priority=1&sort=-updated_at"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/?priority=1&sort=-updated_at&ok=view_saved"
    page = world.client.get(r.headers["location"])
    assert "View saved" in page.text
    assert re.search(
        r'<a href="/\?priority=1&amp;sort=-updated_at" aria-current="page">My P1s</a>', page.text
    )


@pytest.mark.parametrize(
    ("name", "query", "phrase"),
    [
        ("", "", "at least 1 character"),
        ("x" * 81, "", "at most 80 characters"),
        ("Mine", "colour=red", "remove 'colour'"),
        ("Mine", "sort=colour", "sort 'colour' is unknown"),
    ],
)
def test_a_view_that_cannot_be_saved_says_why_and_keeps_the_name(
    world: World, name: str, query: str, phrase: str
) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.post(
        "/views", data={"csrf_token": csrf, "name": name, "query": query}, follow_redirects=False
    )
    assert r.status_code == 422, r.text
    assert phrase in unescape(r.text)
    assert f'value="{name}"' in r.text
    assert world.app.views.list(world.principals["agent"]) == []


def test_two_views_of_one_user_cannot_share_a_name(world: World) -> None:
    agent = world.principals["agent"]
    world.app.views.create(agent, SavedViewIn(name="Mine", query="state=all"))
    with pytest.raises(ValidationFailed, match="already have a view named 'Mine'"):
        world.app.views.create(agent, SavedViewIn(name="Mine", query="priority=1"))
    # another user may use the name
    world.app.views.create(world.principals["manager"], SavedViewIn(name="Mine"))


def test_shared_views_are_for_managers_and_seen_by_colleagues(world: World) -> None:
    csrf = sign_in(world, "agent")
    r = world.client.post(
        "/views",
        data={"csrf_token": csrf, "name": "Team", "query": "", "shared": "on"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert "Only managers and administrators can share" in r.text
    assert 'name="shared" checked' not in r.text  # the agent is not offered the box
    manager, agent = world.principals["manager"], world.principals["agent"]
    world.app.views.create(
        manager, SavedViewIn(name="Everyone's P1", query="priority=1", shared=True)
    )
    world.app.views.create(manager, SavedViewIn(name="Private", query="priority=2"))
    seen = world.app.views.list(agent)
    assert [(v.name, v.mine, v.owner) for v in seen] == [
        ("Everyone's P1", False, "manager@example.com")
    ]
    # another customer's staff does not see it
    assert world.app.views.list(world.principals["acme_agent"]) == []
    page = world.client.get("/")
    assert "Everyone&#39;s P1" in page.text
    assert "Delete view Everyone" not in page.text


def test_a_user_deletes_their_own_view_and_not_another_s(world: World) -> None:
    manager = world.principals["manager"]
    shared = world.app.views.create(manager, SavedViewIn(name="Shared", shared=True))
    csrf = sign_in(world, "agent")
    r = world.client.post(
        f"/views/{shared.id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 404
    assert [v.name for v in world.app.views.list(manager)] == ["Shared"]
    with pytest.raises(NotFound):
        world.app.views.delete(world.principals["agent"], shared.id)
    mine = world.app.views.create(world.principals["agent"], SavedViewIn(name="Mine"))
    r = world.client.post(
        f"/views/{mine.id}/delete",
        data={"csrf_token": csrf, "back": "priority=1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/?priority=1&ok=view_deleted"
    assert [v.name for v in world.app.views.list(world.principals["agent"])] == ["Shared"]
    r = world.client.post("/views/abc/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 404


def test_saving_and_deleting_views_is_audited(world: World) -> None:
    agent = world.principals["agent"]
    view = world.app.views.create(agent, SavedViewIn(name="Audited"))
    world.app.views.delete(agent, view.id)
    entries = list_entries(world.app.db, world.principals["admin"], object_type="saved_view")
    assert {e.action for e in entries.items} == {"saved_view.created", "saved_view.deleted"}


def test_built_in_views_are_listed(world: World) -> None:
    sign_in(world, "agent")
    page = world.client.get("/?assignee=me")
    assert '<a href="/?assignee=me" aria-current="page">Assigned to me</a>' in page.text
    assert '<a href="/?assignee=none">Unassigned</a>' in page.text


# bulk actions -------------------------------------------------------------------------


def test_bulk_acknowledge_does_what_it_can_and_says_what_it_skipped(world: World) -> None:
    numbers = [_open(world, f"Disk {n} full") for n in range(4)]
    resolved = numbers[3]
    world.app.actions.perform(
        world.principals["admin"],
        resolved,
        Action.RESOLVE,
        ActionIn(resolution_code=ResolutionCode.DUPLICATE, resolution_notes="dup"),
    )
    csrf = sign_in(world, "agent")
    r = world.client.post(
        "/incidents/bulk",
        data={"csrf_token": csrf, "action": "acknowledge", "ids": numbers, "back": "state=all"},
    )
    assert r.status_code == 200, r.text
    assert (
        f"3 acknowledged; 1 skipped: {resolved}: Cannot acknowledge an incident that is resolved."
        in unescape(r.text)
    )
    agent = world.principals["agent"]
    for number in numbers[:3]:
        incident = world.app.incidents.get(agent, number)
        assert incident.state.value == "in_progress"
        assert incident.assignee == "agent@example.com"
    # the page is the queue it came from, the skipped one still ticked
    assert '<option value="all" selected>' in r.text
    assert f'value="{resolved}" id="pick-{resolved}" checked' in r.text


def test_bulk_assign_and_resolve(world: World) -> None:
    numbers = [_open(world, f"Mail {n} bounces") for n in range(2)]
    csrf = sign_in(world, "agent")
    r = world.client.post(
        "/incidents/bulk",
        data={"csrf_token": csrf, "action": "assign", "ids": numbers, "team": "ops"},
    )
    assert "2 assigned" in r.text
    r = world.client.post(
        "/incidents/bulk",
        data={
            "csrf_token": csrf,
            "action": "resolve",
            "ids": numbers,
            "resolution_code": "solved_workaround",
            "resolution_notes": "Relay restarted.",
        },
    )
    assert "2 resolved" in r.text
    for number in numbers:
        incident = world.app.incidents.get(world.principals["agent"], number)
        assert (incident.team, incident.state.value) == ("ops", "resolved")


@pytest.mark.parametrize(
    ("form", "phrase"),
    [
        ({"action": "acknowledge", "ids": ""}, "Select at least one incident"),
        ({"action": "explode", "ids": "X"}, "Choose what to do"),
        ({"action": "resolve", "resolution_code": "duplicate"}, "resolve needs resolution_notes"),
        ({"action": "assign"}, "assign needs a team, an assignee or both"),
    ],
)
def test_a_bulk_form_that_cannot_run_changes_nothing_and_says_why(
    world: World, form: dict[str, str], phrase: str
) -> None:
    number = _open(world, "VPN drops")
    csrf = sign_in(world, "agent")
    data: dict[str, object] = {"csrf_token": csrf, "ids": [number], **form}
    r = world.client.post("/incidents/bulk", data=data)
    assert r.status_code == 422, r.text
    assert phrase in unescape(r.text)
    incident = world.app.incidents.get(world.principals["agent"], number)
    assert incident.version == 1
    if form.get("resolution_code"):
        assert '<option value="duplicate" selected>' in r.text


def test_bulk_needs_the_csrf_token_and_a_staff_member_who_works(world: World) -> None:
    number = _open(world, "VPN drops")
    sign_in(world, "agent")
    r = world.client.post("/incidents/bulk", data={"action": "acknowledge", "ids": [number]})
    assert r.status_code == 403
    csrf = sign_in(world, "requester")
    r = world.client.post(
        "/incidents/bulk",
        data={"csrf_token": csrf, "action": "acknowledge", "ids": [number]},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/portal"
    csrf = sign_in(world, "viewer")
    r = world.client.post(
        "/incidents/bulk", data={"csrf_token": csrf, "action": "acknowledge", "ids": [number]}
    )
    assert r.status_code == 403
    assert world.app.incidents.get(world.principals["admin"], number).version == 1


# CSV ----------------------------------------------------------------------------------


def test_the_csv_export_has_the_queue_s_filters_and_escapes_formulas(world: World) -> None:
    web = _open(world, '=HYPERLINK("http://evil")', service="acme-web")
    _open(world, "Printer jams")
    sign_in(world, "agent")
    page = world.client.get("/?service=acme-web&sort=priority")
    assert 'href="/incidents.csv?service=acme-web&amp;sort=priority"' in page.text
    r = world.client.get("/incidents.csv?service=acme-web&sort=priority")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "number",
        "priority",
        "state",
        "title",
        "customer",
        "service",
        "category",
        "team",
        "assignee",
        "opened_at",
        "acknowledged_at",
        "resolved_at",
        "sla_state",
    ]
    assert len(rows) == 2
    assert rows[1][0] == web
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'
    assert rows[1][5] == "acme-web"
    assert "X-Tocsin-Truncated" not in r.headers


def test_the_csv_export_pages_through_everything(world: World) -> None:
    from tocsin.web.ui import queue

    for n in range(5):
        _open(world, f"Row {n}")
    sign_in(world, "agent")
    original, cap = queue.CSV_PAGE, queue.CSV_CAP
    queue.CSV_PAGE, queue.CSV_CAP = 2, 4
    try:
        r = world.client.get("/incidents.csv?sort=number")
    finally:
        queue.CSV_PAGE, queue.CSV_CAP = original, cap
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row[3] for row in rows[1:]] == ["Row 0", "Row 1", "Row 2", "Row 3"]
    assert r.headers["X-Tocsin-Truncated"] == "first 4 rows"
