"""/api/v1/reports/{name}: MTTA, MTTR, SLA compliance and the other reports, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.errors import ValidationFailed
from tocsin.reports.definitions import REPORTS
from tocsin.reports.output import to_csv
from tocsin.web.access import AppDep, require

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, require(Permission.REPORTS_READ)]
Text = Annotated[str | None, Query()]


@router.get(
    "/reports/{name}",
    tags=["reports"],
    description="Reports: " + ", ".join(REPORTS) + ". See docs/reports.md for definitions.",
    responses={200: {"content": {"text/csv": {}}}},
)
def get_report(
    app: AppDep,
    principal: Reader,
    request: Request,
    name: str,
    start: Annotated[str | None, Query(alias="from", description="ISO date or time")] = None,
    to: Text = None,
    period: Annotated[str | None, Query(description="e.g. last-quarter")] = None,
    customer: Text = None,
    team: Text = None,
    service: Text = None,
    priority: Text = None,
    by: Text = None,
    interval: Annotated[str | None, Query(description="volume: day, week or month")] = None,
    output: Annotated[
        str | None, Query(alias="format", description="json (default) or csv")
    ] = None,
) -> Any:
    params = {
        "from": start,
        "to": to,
        "period": period,
        "customer": customer,
        "team": team,
        "service": service,
        "priority": priority,
        "by": by,
        "interval": interval,
    }
    wants_csv = output == "csv" or (
        output is None and "text/csv" in request.headers.get("accept", "")
    )
    if output not in (None, "json", "csv"):
        raise ValidationFailed(f"'format' is json or csv, not {output!r}.", field="format")
    result = app.reports.report(principal, name, params)
    if wants_csv:
        return Response(
            to_csv(result.table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{result.report.name}.csv"'},
        )
    return result.as_json()
