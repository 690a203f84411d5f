"""The alert stream (filters, counts per status, CSV) and one alert's page with its payload."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.alerts.payloads import pretty_payload
from tocsin.alerts.schemas import AlertOut
from tocsin.alerts.states import ALL as ALL_STATUSES
from tocsin.alerts.stream import SEVERITIES, AlertFilter
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import NotFound, TocsinError, ValidationFailed
from tocsin.core.paging import Page
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import choices_for
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import PageRoute, Staff
from tocsin.web.ui.render import page

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff redirects to /login, requesters to /portal); the alert service checks the role.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

PAGE_SIZE = 50
CSV_PAGE = 200
CSV_MAX_ROWS = 20_000  # an export is a report, not a backup: the newest this many
SINCE_CHOICES: dict[str, tuple[str, timedelta]] = {
    "1h": ("Last hour", timedelta(hours=1)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
}
CSV_HEADER = (
    "id",
    "status",
    "severity",
    "summary",
    "source",
    "integration",
    "dedup_key",
    "count",
    "first_seen_at",
    "last_seen_at",
    "resolved_at",
    "incident",
)


@dataclass(frozen=True)
class StreamQuery:
    """The stream's filters as the address gives them, and the service filter they make."""

    status: str = ""
    severity: str = ""
    integration: str = ""
    service: str = ""
    q: str = ""
    since: str = ""

    def values(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}

    def url(self, path: str = "/alerts", **changes: str) -> str:
        values = {**self.values(), **changes}
        query = urlencode({k: v for k, v in values.items() if v})
        return path + (f"?{query}" if query else "")

    def to_filter(self, app: Tocsin) -> AlertFilter:
        since = None
        if self.since:
            if self.since not in SINCE_CHOICES:
                raise ValidationFailed(
                    f"since must be one of {', '.join(SINCE_CHOICES)}.", field="since"
                )
            since = app.clock.now() - SINCE_CHOICES[self.since][1]
        return AlertFilter(
            status=self.status or None,
            severity=self.severity or None,
            integration=self.integration or None,
            service=self.service or None,
            q=self.q or None,
            since=since,
        )


def _query(
    status: str, severity: str, integration: str, service: str, q: str, since: str
) -> StreamQuery:
    return StreamQuery(
        status=status.strip(),
        severity=severity.strip(),
        integration=integration.strip(),
        service=service.strip(),
        q=q.strip()[:200],
        since=since.strip(),
    )


@router.get("/alerts", dependencies=[PUBLIC])
def alert_stream(
    request: Request,
    visitor: Staff,
    status: str = "",
    severity: str = "",
    integration: str = "",
    service: str = "",
    q: str = "",
    since: str = "",
    cursor: str = "",
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    principal.require(Permission.TEAMS_READ)
    query = _query(status, severity, integration, service, q, since)
    error, code = "", 200
    counts = dict.fromkeys(ALL_STATUSES, 0)
    try:
        wanted = query.to_filter(app)
        alerts = app.alerts.stream(principal, wanted, limit=PAGE_SIZE, cursor=cursor or None)
        counts = app.alerts.status_counts(principal, wanted)
    except TocsinError as exc:
        error, code = exc.detail, 422 if exc.status == 404 else exc.status
        alerts = Page[AlertOut](items=[], total=0, next=None)
    return page(
        request,
        "alerts.html",
        visitor=visitor,
        status=code,
        alerts=alerts,
        query=query,
        counts=counts,
        all_count=sum(counts.values()),
        statuses=ALL_STATUSES,
        severity_choices=[(s, s.capitalize()) for s in SEVERITIES],
        since_choices=[(k, text) for k, (text, _) in SINCE_CHOICES.items()],
        integrations=app.integrations.list_all(principal).items,
        services=choices_for(app, principal, full=False).services,
        error=error,
        notice=notice(ok),
        next_url=query.url(cursor=alerts.next) if alerts.next else "",
        first_url=query.url() if cursor else "",
        csv_url=query.url("/alerts.csv"),
    )


def _all_pages(app: Tocsin, principal: Principal, wanted: AlertFilter) -> Iterator[AlertOut]:
    cursor: str | None = None
    sent = 0
    while sent < CSV_MAX_ROWS:
        batch = app.alerts.stream(principal, wanted, limit=CSV_PAGE, cursor=cursor)
        yield from batch.items
        sent += len(batch.items)
        if batch.next is None:
            return
        cursor = batch.next


@router.get("/alerts.csv", dependencies=[PUBLIC])
def alerts_csv(
    request: Request,
    visitor: Staff,
    status: str = "",
    severity: str = "",
    integration: str = "",
    service: str = "",
    q: str = "",
    since: str = "",
) -> Response:
    app = get_app(request)
    query = _query(status, severity, integration, service, q, since)
    wanted = query.to_filter(app)
    # The first page is read before the answer starts, so a bad filter is an error page.
    rows = list(_all_pages(app, visitor.principal, wanted))
    return csv_response(
        "alerts.csv",
        CSV_HEADER,
        (
            (
                a.id,
                a.status,
                a.severity,
                a.summary,
                a.source,
                a.integration,
                a.dedup_key,
                a.count,
                a.first_seen_at,
                a.last_seen_at,
                a.resolved_at,
                a.incident.number if a.incident else "",
            )
            for a in rows
        ),
    )


def parsed_fields(labels: dict[str, object], details: dict[str, object]) -> str:
    """The labels and details the parser kept, pretty-printed."""
    return json.dumps(
        {"labels": labels, "details": details}, indent=2, ensure_ascii=False, sort_keys=True
    )


@router.get("/alerts/{alert_id}", dependencies=[PUBLIC])
def alert_detail(request: Request, visitor: Staff, alert_id: str, ok: str = "") -> Response:
    app = get_app(request)
    alert = app.alerts.get(visitor.principal, alert_id)
    return page(
        request,
        "alert.html",
        visitor=visitor,
        alert=alert,
        payload=pretty_payload(alert.payload) if alert.payload is not None else None,
        fields=parsed_fields(alert.labels, alert.details),
        notice=notice(ok),
    )


def _download_type(integration_type: str, payload: str) -> tuple[str, str]:
    """The media type and file extension a stored payload is downloaded as."""
    if integration_type == "email":
        return "message/rfc822", "eml"
    try:
        json.loads(payload)
    except (ValueError, RecursionError):
        return "text/plain; charset=utf-8", "txt"
    return "application/json", "json"


@router.get("/alerts/{alert_id}/payload", dependencies=[PUBLIC])
def alert_payload(request: Request, visitor: Staff, alert_id: str) -> Response:
    """The payload as stored, as a file: never rendered by the browser (a sender's body
    may hold HTML or script)."""
    alert = get_app(request).alerts.get(visitor.principal, alert_id)
    if alert.payload is None:
        raise NotFound(f"Alert {alert.id} has no stored payload.")
    media_type, extension = _download_type(alert.integration_type, alert.payload)
    return Response(
        alert.payload.encode("utf-8"),
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="alert-{alert.id}-payload.{extension}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
