"""The browser console's routes (sign-in, staff console, requester portal) and its CSS."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from tocsin.web.ui import (
    act,
    admin,
    alerts,
    bulk,
    console,
    dashboard,
    escalation,
    incident,
    integrations,
    live,
    login,
    oncall,
    portal,
    prefs,
    problems,
    queue,
    reports,
    reviews,
    services,
    sla,
    views,
)
from tocsin.web.ui import changes as change_pages

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
for _module in (
    login,
    prefs,
    dashboard,
    queue,
    views,
    bulk,
    console,
    incident,
    portal,
    act,
    live,
    admin,
    oncall,
    escalation,
    sla,
    alerts,
    integrations,
    services,
    change_pages,
    problems,
    reviews,
    reports,
):
    router.include_router(_module.router)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
