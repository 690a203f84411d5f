"""Jinja2 (autoescape on) and the filters the console's templates use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tocsin.auth.roles import Permission
from tocsin.web.ui.filters import (
    LEVELS,
    change_rows,
    change_value,
    enum_options,
    kind_label,
    label,
    level,
    local,
    local_short,
    pairs,
    priority_class,
)
from tocsin.web.ui.nav import nav_active, nav_items
from tocsin.web.ui.session import Visitor

THEME_COOKIE = "tocsin_theme"
THEMES = ("auto", "light", "dark")

TEMPLATES = Path(__file__).parent / "templates"

# Pages never embed inline scripts, inline styles or foreign frames; the browser enforces
# it. Scripts come only from /static (progressive enhancement: every page works without).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    local=local,
    local_short=local_short,
    label=label,
    change_value=change_value,
    pairs=pairs,
    enum_options=enum_options,
    level=level,
    kind_label=kind_label,
    change_rows=change_rows,
)
_env.globals.update(
    priority_class=priority_class,
    Permission=Permission,
    levels=LEVELS,
    nav_items=nav_items,
    nav_active=nav_active,
)


def theme_of(request: Request) -> str:
    chosen = request.cookies.get(THEME_COOKIE, "auto")
    return chosen if chosen in THEMES else "auto"


def page(
    request: Request,
    template: str,
    *,
    visitor: Visitor | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    principal = visitor.principal if visitor else None
    html = _env.get_template(template).render(
        me=principal,
        csrf=visitor.csrf if visitor else "",
        tz=principal.time_zone if principal else "UTC",
        path=request.url.path,
        here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        theme=theme_of(request),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def error_page(
    request: Request, *, visitor: Visitor | None, status: int, title: str, detail: str
) -> HTMLResponse:
    return page(
        request,
        "error.html",
        visitor=visitor,
        status=status,
        status_code=status,
        title=title,
        detail=detail,
    )
