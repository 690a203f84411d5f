"""Turning posted forms into service inputs, and errors back into sentences on the form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from tocsin.auth.principal import Principal
from tocsin.auth.roles import ASSIGNABLE_ROLES, Permission
from tocsin.auth.schemas import CustomerOut, UserOut
from tocsin.bootstrap import Tocsin
from tocsin.catalog.schemas import CategoryOut, ServiceOut, TeamOut
from tocsin.core.errors import NotFound, TocsinError


def filled(form: dict[str, str], names: Iterable[str]) -> dict[str, str]:
    """The named fields the user actually filled in (blank means "not given")."""
    out: dict[str, str] = {}
    for name in names:
        value = form.get(name, "").strip()
        if value:
            out[name] = value
    return out


def version_of(form: dict[str, str]) -> int | None:
    text = form.get("version", "").strip()
    return int(text) if text.isdecimal() else None


@dataclass
class FormErrors:
    """What went wrong: a summary sentence plus per-field messages shown beside inputs."""

    summary: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 422

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)


def _field_sentence(error: dict[str, object]) -> tuple[str, str]:
    loc = error.get("loc") or ()
    where = ".".join(str(p) for p in loc) if isinstance(loc, tuple | list) else str(loc)
    kind = error.get("type", "")
    if kind == "missing":
        return where, "This field is required."
    if kind == "extra_forbidden":
        return where, "This field cannot be set here."
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return where, message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def errors_from(exc: ValidationError | TocsinError) -> FormErrors:
    if isinstance(exc, ValidationError):
        fields: dict[str, str] = {}
        for error in exc.errors():
            where, sentence = _field_sentence(dict(error))
            fields.setdefault(where or "form", sentence)
        return FormErrors(summary="Please correct the marked fields.", fields=fields)
    field_name = getattr(exc, "field", None)
    return FormErrors(
        summary=exc.detail,
        fields={field_name: exc.detail} if isinstance(field_name, str) else {},
        # On a form, an unknown team or user is an input mistake, not a missing page.
        status=422 if isinstance(exc, NotFound) else exc.status,
    )


@dataclass
class Choices:
    """Options for the console's selects, limited to what the user may see."""

    teams: list[TeamOut] = field(default_factory=list)
    services: list[ServiceOut] = field(default_factory=list)
    customers: list[CustomerOut] = field(default_factory=list)
    categories: list[CategoryOut] = field(default_factory=list)
    assignees: list[UserOut] = field(default_factory=list)


def choices_for(app: Tocsin, principal: Principal, *, full: bool = True) -> Choices:
    out = Choices()
    if principal.can(Permission.CATALOG_READ):
        out.services = app.catalog.list_services(principal).items
        out.categories = app.catalog.list_categories(principal).items
    if not full:
        return out
    if principal.can(Permission.TEAMS_READ):
        out.teams = app.catalog.list_teams(principal).items
    if principal.can(Permission.CUSTOMERS_READ):
        out.customers = app.auth.list_customers(principal).items
    if principal.can(Permission.USERS_READ):
        users = app.auth.list_users(principal, limit=200).items
        out.assignees = [u for u in users if u.role in ASSIGNABLE_ROLES and u.active]
    return out
