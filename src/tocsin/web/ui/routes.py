"""The browser console's routes (sign-in, staff console, requester portal) and its CSS."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

<<<<<<< HEAD
from tocsin.web.ui import act, admin, console, incident, login, portal, prefs
=======
from tocsin.web.ui import act, console, incident, live, login, portal, prefs
>>>>>>> i16-live

STATIC = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
<<<<<<< HEAD
for _module in (login, prefs, console, incident, portal, act, admin):
=======
for _module in (login, prefs, console, incident, portal, act, live):
>>>>>>> i16-live
    router.include_router(_module.router)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
