"""Administration pages: users, teams and customers (the Admin section of the console)."""

from __future__ import annotations

from fastapi import APIRouter

from tocsin.web.ui.admin import customers, teams, users

router = APIRouter(include_in_schema=False)
for _module in (users, teams, customers):
    router.include_router(_module.router)
