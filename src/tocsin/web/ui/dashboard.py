"""The dashboard: open work by priority and state, the SLA watch list, who is on call,
recent alerts, and the MTTA / MTTR trend of the last 30 days, with their CSV exports and
charts. Every figure comes from a domain service, so it respects the viewer's customers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.alerts.schemas import AlertOut
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.bootstrap import Tocsin
from tocsin.oncall.schemas import OnCallOut
from tocsin.reports.service import PRIORITIES
from tocsin.reports.timing import TimingTrend, as_minutes
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.charts import open_chart, svg_response, timing_chart
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.pages import PageRoute, Staff
from tocsin.web.ui.render import page, theme_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

TREND_DAYS = 30
SLA_SHOWN = 10
ALERTS_SHOWN = 10


def duration(seconds: float | None) -> str:
    """3 h 05 min, 12 min, 40 s; a dash for no figure."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _recent_alerts(app: Tocsin, principal: Principal) -> list[AlertOut] | None:
    """None: alerts are not the viewer's to see (their tile is left out)."""
    if not principal.can(Permission.TEAMS_READ):
        return None
    return app.alerts.list(principal, limit=ALERTS_SHOWN).items


def _on_call(app: Tocsin, principal: Principal) -> list[OnCallOut] | None:
    if not principal.can(Permission.TEAMS_READ):
        return None
    return app.oncall.on_call(principal).items


@router.get("/dashboard", dependencies=[PUBLIC])
def dashboard(request: Request, visitor: Staff) -> Response:
    app = get_app(request)
    principal = visitor.principal
    sla = app.reports.sla_watch(principal)
    return page(
        request,
        "dashboard.html",
        visitor=visitor,
        matrix=app.reports.open_matrix(principal),
        priorities=PRIORITIES,
        sla=sla,
        sla_items=sla.items[:SLA_SHOWN],
        on_call=_on_call(app, principal),
        alerts=_recent_alerts(app, principal),
        trend=app.reports.timing(principal, days=TREND_DAYS),
        duration=duration,
    )


# charts ------------------------------------------------------------------------------------


@router.get("/dashboard/charts/timing.svg", dependencies=[PUBLIC])
def timing_svg(request: Request, visitor: Staff) -> Response:
    trend = get_app(request).reports.timing(visitor.principal, days=TREND_DAYS)
    return svg_response(timing_chart(trend, _chart_theme(request)))


@router.get("/dashboard/charts/open.svg", dependencies=[PUBLIC])
def open_svg(request: Request, visitor: Staff) -> Response:
    matrix = get_app(request).reports.open_matrix(visitor.principal)
    return svg_response(open_chart(matrix, _chart_theme(request)))


def _chart_theme(request: Request) -> str:
    # "auto" follows the system in CSS; an image cannot, so it is drawn light.
    return "dark" if theme_of(request) == "dark" else "light"


# CSV exports -------------------------------------------------------------------------------


@router.get("/dashboard/sla.csv", dependencies=[PUBLIC])
def sla_csv(request: Request, visitor: Staff) -> Response:
    watch = get_app(request).reports.sla_watch(visitor.principal)
    return csv_response(
        "sla-watch.csv",
        ("number", "priority", "sla_state", "due_at", "title"),
        ((i.number, i.priority, i.state, i.due_at, i.title) for i in watch.items),
    )


@router.get("/dashboard/alerts.csv", dependencies=[PUBLIC])
def alerts_csv(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.TEAMS_READ)
    alerts = get_app(request).alerts.list(visitor.principal, limit=ALERTS_SHOWN).items
    return csv_response(
        "recent-alerts.csv",
        ("id", "last_seen_at", "status", "severity", "integration", "summary", "incident"),
        (
            (
                a.id,
                a.last_seen_at,
                a.status,
                a.severity,
                a.integration,
                a.summary,
                a.incident.number if a.incident else "",
            )
            for a in alerts
        ),
    )


@router.get("/dashboard/timing.csv", dependencies=[PUBLIC])
def timing_csv(request: Request, visitor: Staff) -> Response:
    trend = get_app(request).reports.timing(visitor.principal, days=TREND_DAYS)
    return csv_response(
        "mtta-mttr-daily.csv",
        (
            "day",
            "acknowledged",
            "mtta_mean_minutes",
            "mtta_median_minutes",
            "resolved",
            "mttr_mean_minutes",
            "mttr_median_minutes",
        ),
        _timing_rows(trend),
    )


def _timing_rows(trend: TimingTrend) -> list[tuple[object, ...]]:
    return [
        (
            d.day.isoformat(),
            d.mtta.count,
            as_minutes(d.mtta.mean_seconds),
            as_minutes(d.mtta.median_seconds),
            d.mttr.count,
            as_minutes(d.mttr.mean_seconds),
            as_minutes(d.mttr.median_seconds),
        )
        for d in trend.days
    ]
