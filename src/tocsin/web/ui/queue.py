"""The staff console's incident queue (`/`): filters, sort, saved views, and its CSV export.

The bulk actions (bulk.py) and saved views (views.py) answer with this page too, so the
queue is drawn by one function, `queue_page`, from the query-string values it shows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError
from tocsin.core.paging import Page
from tocsin.incidents.lifecycle import ResolutionCode, State
from tocsin.incidents.queries import DEFAULT_SORT, IncidentFilter, Sort, parse_sort
from tocsin.incidents.schemas import IncidentOut
from tocsin.incidents.views import QUEUE_KEYS, SavedViewOut
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, choices_for
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import PageRoute, Staff
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff redirects to /login, requesters to /portal); see pages.py.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 50
CSV_CAP = 100_000
CSV_PAGE = 200
STATE_CHOICES = [
    ("open", "Open"),
    *((s.value, s.value.replace("_", " ").capitalize()) for s in State),
    ("done", "Done"),
    ("all", "All"),
]
# The sortable columns: (sort key, header, the direction a first click sorts in).
SORTABLE = {
    "number": ("Number", False),
    "priority": ("Pri", False),
    "state": ("State", False),
    "opened_at": ("Opened", True),
    "updated_at": ("Updated", True),
}
SORT_CHOICES = [
    ("-opened_at", "Newest first"),
    ("opened_at", "Oldest first"),
    ("priority", "Priority, P1 first"),
    ("-priority", "Priority, P5 first"),
    ("-updated_at", "Recently updated"),
    ("updated_at", "Least recently updated"),
    ("-number", "Number, highest first"),
    ("number", "Number, lowest first"),
    ("state", "State, A to Z"),
    ("-state", "State, Z to A"),
]
BUILT_IN_VIEWS = (("Assigned to me", "assignee=me"), ("Unassigned", "assignee=none"))
CSV_HEADER = (
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
)


def queue_values(params: Mapping[str, str]) -> dict[str, str]:
    """The queue's filters and sort as the form shows them (state defaults to open)."""
    values = {key: str(params.get(key, "")).strip() for key in QUEUE_KEYS}
    values["state"] = values["state"] or "open"
    values["q"] = values["q"][:200]
    return values


def query_of(values: Mapping[str, str], **changes: str) -> str:
    """The query string of these values (blank ones, the default state and sort left out)."""
    merged = {**values, **changes}
    defaults = {"state": "open", "sort": DEFAULT_SORT}
    return urlencode(
        [(k, merged[k]) for k in QUEUE_KEYS if merged.get(k) and merged[k] != defaults.get(k)]
    )


def params_of(query: str) -> dict[str, str]:
    """The queue values held by a query string (a saved view's, or the page a form was on)."""
    return queue_values(dict(parse_qsl(query.lstrip("?"))))


def incident_filter(values: Mapping[str, str]) -> IncidentFilter:
    state = values["state"]
    return IncidentFilter(
        state=None if state == "all" else state or None,
        priority=values["priority"] or None,
        customer=values["customer"] or None,
        team=values["team"] or None,
        assignee=values["assignee"] or None,
        service=values["service"] or None,
        q=values["q"] or None,
    )


@dataclass
class Header:
    key: str
    text: str
    href: str
    aria_sort: str  # ascending, descending or none


def headers(values: Mapping[str, str], sort: Sort) -> list[Header]:
    out = []
    for key, (text, desc_first) in SORTABLE.items():
        if key == sort.key:
            aria = "descending" if sort.descending else "ascending"
            flip = "" if sort.descending else "-"
        else:
            aria, flip = "none", "-" if desc_first else ""
        out.append(Header(key, text, "/?" + query_of(values, sort=flip + key), aria))
    return out


@dataclass
class Extras:
    """What a failed or finished form adds to the queue page."""

    notice: str = ""
    bulk_errors: FormErrors = field(default_factory=FormErrors)
    bulk_values: dict[str, str] = field(default_factory=dict)
    selected: Collection[str] = ()
    view_errors: FormErrors = field(default_factory=FormErrors)
    view_values: dict[str, str] = field(default_factory=dict)
    status: int = 200


def queue_page(
    request: Request, visitor: Visitor, values: dict[str, str], cursor: str, extras: Extras
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    error = ""
    status = extras.status
    empty = Page[IncidentOut](items=[], total=0, next=None)
    try:
        sort = parse_sort(values["sort"])
    except TocsinError as exc:
        # An unknown sort is a bad address (400); the page is drawn in the default order.
        error, sort, incidents = exc.detail, parse_sort(None), empty
        status = 400 if status == 200 else status
    else:
        try:
            incidents = app.incidents.list(
                principal,
                incident_filter(values),
                limit=PAGE_SIZE,
                cursor=cursor or None,
                sort=sort.text,
            )
        except TocsinError as exc:
            error, status, incidents = exc.detail, exc.status, empty
    here = query_of(values)
    views: list[SavedViewOut] = app.views.list(principal)
    return page(
        request,
        "queue.html",
        visitor=visitor,
        status=status,
        incidents=incidents,
        filters=values,
        choices=choices_for(app, principal),
        state_choices=STATE_CHOICES,
        sort_choices=SORT_CHOICES,
        resolution_codes=list(ResolutionCode),
        headers=headers(values, sort),
        error=error,
        notice=extras.notice,
        extras=extras,
        query=here,
        built_in_views=BUILT_IN_VIEWS,
        views=views,
        next_url=("/?" + urlencode([*parse_qsl(here), ("cursor", incidents.next)]))
        if incidents.next
        else "",
        first_url=("/?" + here) if cursor else "",
        csv_url="/incidents.csv" + ("?" + here if here else ""),
        can_create=principal.can(Permission.INCIDENT_CREATE),
        can_work=principal.can(Permission.INCIDENT_WORK),
        can_share=principal.can(Permission.VIEWS_SHARE),
        csv_cap=CSV_CAP,
    )


@router.get("/", dependencies=[PUBLIC])
def queue(request: Request, visitor: Staff, cursor: str = "", ok: str = "") -> Response:
    values = queue_values(request.query_params)
    return queue_page(request, visitor, values, cursor, Extras(notice=notice(ok)))


@router.get("/incidents.csv", dependencies=[PUBLIC])
def queue_csv(request: Request, visitor: Staff) -> Response:
    """Every incident matching the queue's filters, in its order, up to CSV_CAP rows."""
    app = get_app(request)
    values = queue_values(request.query_params)
    sort = parse_sort(values["sort"]).text
    filters = incident_filter(values)
    rows: list[IncidentOut] = []
    cursor: str | None = None
    while True:
        batch = app.incidents.list(
            visitor.principal,
            filters,
            limit=CSV_PAGE,
            cursor=cursor,
            with_total=False,
            sort=sort,
        )
        rows.extend(batch.items)
        cursor = batch.next
        if cursor is None or len(rows) >= CSV_CAP:
            break
    response = csv_response("incidents.csv", CSV_HEADER, (_csv_row(i) for i in rows[:CSV_CAP]))
    if cursor is not None:
        # More matched than the cap: say so to scripts (the page's link says it to people).
        response.headers["X-Tocsin-Truncated"] = f"first {CSV_CAP} rows"
    return response


def _csv_row(i: IncidentOut) -> tuple[object, ...]:
    return (
        i.number,
        f"P{i.priority}",
        i.state,
        i.title,
        i.customer,
        i.service,
        i.category,
        i.team,
        i.assignee,
        i.opened_at,
        i.acknowledged_at,
        i.resolved_at,
        i.sla.state if i.sla else None,
    )
