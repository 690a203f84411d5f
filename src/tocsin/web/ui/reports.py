"""/reports: pick a report and its filters, see its chart and table, download its CSV."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.auth.roles import Permission
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.reports.definitions import INTERVALS, PERIODS, REPORTS
from tocsin.reports.output import display, heading, to_csv
from tocsin.reports.runner import ReportResult
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.charts import report_chart, svg_response
from tocsin.web.ui.pages import PageRoute, Staff
from tocsin.web.ui.render import page, theme_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

FIELDS = ("from", "to", "period", "customer", "team", "service", "priority", "by", "interval")


def _params(request: Request) -> tuple[str, dict[str, str | None]]:
    query = request.query_params
    name = query.get("report") or "mttr"
    return name, {k: query.get(k) or None for k in FIELDS}


def _run(request: Request, visitor: Staff) -> ReportResult:
    name, params = _params(request)
    return get_app(request).reports.report(visitor.principal, name, params)


@router.get("/reports", dependencies=[PUBLIC])
def reports_page(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.REPORTS_READ)
    name, params = _params(request)
    result: ReportResult | None = None
    problem: str | None = None
    try:
        result = _run(request, visitor)
    except (ValidationFailed, NotFound) as exc:
        problem = exc.detail
    query = urlencode({"report": name, **{k: v for k, v in params.items() if v}})
    return page(
        request,
        "reports.html",
        visitor=visitor,
        status=200 if problem is None else 422,
        reports=REPORTS,
        periods=PERIODS,
        intervals=INTERVALS,
        name=name,
        params=params,
        result=result,
        problem=problem,
        query=query,
        heading=heading,
        display=display,
    )


@router.get("/reports/chart.svg", dependencies=[PUBLIC])
def report_svg(request: Request, visitor: Staff) -> Response:
    result = _run(request, visitor)
    theme = "dark" if theme_of(request) == "dark" else "light"
    return svg_response(report_chart(result.table, result.report.chart, theme))


@router.get("/reports/download.csv", dependencies=[PUBLIC])
def report_csv(request: Request, visitor: Staff) -> Response:
    result = _run(request, visitor)
    return Response(
        to_csv(result.table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{result.report.name}.csv"'},
    )
