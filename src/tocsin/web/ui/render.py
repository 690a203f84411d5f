"""Jinja2 (autoescape on) and the filters the console's templates use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from tocsin.auth.roles import Permission
from tocsin.web.ui.session import Visitor

TEMPLATES = Path(__file__).parent / "templates"

# Pages never embed scripts, inline styles or foreign frames; the browser enforces it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@pass_context
def local(context: Context, value: datetime | None) -> str:
    """A timestamp in the signed-in user's time zone, e.g. 2026-03-02 10:00 CET."""
    if value is None:
        return "—"
    tz = zone(str(context.get("tz", "UTC")))
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def label(value: object) -> str:
    """in_progress -> In progress; enums by their value."""
    if value is None:
        return "—"
    text = value.value if isinstance(value, Enum) else str(value)
    text = text.replace("_", " ")
    return text[:1].upper() + text[1:]


KIND_LABELS = {
    "created": "opened the incident",
    "updated": "updated fields",
    "acknowledge": "acknowledged",
    "assign": "assigned",
    "start": "started work",
    "hold": "put it on hold",
    "resume": "resumed work",
    "resolve": "resolved",
    "close": "closed",
    "reopen": "reopened",
    "cancel": "cancelled",
    "work_note": "added a work note",
    "comment": "commented",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


# Fields whose recorded values are codes (in_progress) rather than names people typed.
CODED_FIELDS = frozenset({"state", "hold_reason", "resolution_code", "type"})


@pass_context
def change_value(context: Context, value: Any, field: str = "") -> str:
    """One side of a before -> after pair in the timeline."""
    if value is None or value == "" or value == []:
        return "—"
    if field in CODED_FIELDS and isinstance(value, str):
        return label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            return str(local(context, parsed))
    return str(value)


def pairs(items: Iterable[object], value: str, text: str) -> list[tuple[str, str]]:
    """(value, label) options for a select from a list of objects."""
    return [(str(getattr(i, value)), str(getattr(i, text))) for i in items]


def enum_options(members: Iterable[Enum]) -> list[tuple[str, str]]:
    return [(str(m.value), label(m)) for m in members]


LEVEL_NAMES = {1: "High", 2: "Medium", 3: "Low"}


def level(value: int) -> str:
    return f"{value} · {LEVEL_NAMES.get(value, '?')}"


LEVELS = [(str(n), level(n)) for n in LEVEL_NAMES]


def change_rows(changes: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """field, before, after for each recorded change (tolerates odd shapes from imports)."""
    rows = []
    for name, pair in changes.items():
        if isinstance(pair, list | tuple) and len(pair) == 2:
            rows.append((name, pair[0], pair[1]))
        else:
            rows.append((name, None, pair))
    return rows


def priority_class(priority: int) -> str:
    return f"p{priority}" if 1 <= priority <= 5 else "p5"


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    local=local,
    label=label,
    change_value=change_value,
    pairs=pairs,
    enum_options=enum_options,
    level=level,
    kind_label=kind_label,
    change_rows=change_rows,
)
_env.globals.update(priority_class=priority_class, Permission=Permission, levels=LEVELS)


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
