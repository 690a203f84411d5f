"""Integrations: the list with each one's inbound addresses, the form that creates one, its
page, and the button that sends a test alert through the real alert pipeline."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.alerts.schemas import IntegrationIn, IntegrationOut
from tocsin.auth.roles import Permission
from tocsin.core.errors import TocsinError, ValidationFailed
from tocsin.integrations import registry
from tocsin.integrations.base import Severity
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.csv_export import csv_response
from tocsin.web.ui.forms import FormErrors, choices_for, errors_from, filled
from tocsin.web.ui.inbound import inbound
from tocsin.web.ui.notices import notice
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff, Staff, see_other
from tocsin.web.ui.render import page
from tocsin.web.ui.session import Visitor

# Every route here depends on PUBLIC for the access rule and checks the session itself
# (Staff / PostedStaff redirect to /login, requesters to /portal); the services check role.
router = APIRouter(include_in_schema=False, route_class=PageRoute)

FIELDS = ("name", "type", "customer", "service", "team")
CONFIG_FIELDS = ("group_by", "interval_minutes", "grace_minutes", "parser")
CSV_HEADER = (
    "id",
    "name",
    "type",
    "customer",
    "service",
    "team",
    "enabled",
    "key_prefix",
    "alerts",
    "last_alert_at",
    "created_at",
)


def _type_choices() -> list[tuple[str, str]]:
    return [(name, registry.get(name).title) for name in registry.names()]


def _field_of(where: str) -> str:
    """A service error's field ("config.parser") as the form names it ("parser")."""
    return where.removeprefix("config.")


@router.get("/integrations", dependencies=[PUBLIC])
def integration_list(request: Request, visitor: Staff, ok: str = "") -> Response:
    app = get_app(request)
    principal = visitor.principal
    integrations = app.integrations.list_all(principal).items
    return page(
        request,
        "integrations.html",
        visitor=visitor,
        integrations=integrations,
        activity=app.alerts.activity(principal),
        addresses={i.id: inbound(app.settings, i, None) for i in integrations},
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )


@router.get("/integrations.csv", dependencies=[PUBLIC])
def integrations_csv(request: Request, visitor: Staff) -> Response:
    app = get_app(request)
    integrations = app.integrations.list_all(visitor.principal).items
    activity = app.alerts.activity(visitor.principal)
    rows = []
    for i in integrations:
        seen = activity.get(i.id)
        rows.append(
            (
                i.id,
                i.name,
                i.type,
                i.customer,
                i.service,
                i.team,
                "yes" if i.enabled else "no",
                i.key_prefix,
                seen.alerts if seen else 0,
                seen.last_alert_at if seen else None,
                i.created_at,
            )
        )
    return csv_response("integrations.csv", CSV_HEADER, rows)


def _new_form(
    request: Request, visitor: Visitor, values: dict[str, str], errors: FormErrors
) -> Response:
    return page(
        request,
        "integration_new.html",
        visitor=visitor,
        status=errors.status if errors else 200,
        values=values,
        errors=errors,
        types=_type_choices(),
        choices=choices_for(get_app(request), visitor.principal),
    )


@router.get("/integrations/new", dependencies=[PUBLIC])
def new_integration(request: Request, visitor: Staff) -> Response:
    visitor.principal.require(Permission.CATALOG_MANAGE)
    defaults = {"type": "generic", "auto_resolve": "on"}
    return _new_form(request, visitor, defaults, FormErrors())


def _config(form: dict[str, str], kind_name: str) -> dict[str, object] | None:
    """The configuration the form asks for; None: the type's defaults. ValueError names a
    field whose text is not what it must be."""
    given = filled(form, CONFIG_FIELDS)
    if not given and form.get("auto_resolve") == "on":
        return None
    config: dict[str, object] = {}
    if "group_by" in given:
        config["group_by"] = [p.strip() for p in given["group_by"].split(",") if p.strip()]
    elif kind_name in registry.names():  # an unknown type is refused by the service
        config["group_by"] = list(registry.get(kind_name).default_group_by)
    config["auto_resolve"] = form.get("auto_resolve") == "on"
    for name in ("interval_minutes", "grace_minutes"):
        if name in given:
            config[name] = given[name]
    if "parser" in given:
        try:
            parser = json.loads(given["parser"])
        except ValueError:
            raise ValueError("parser") from None
        if not isinstance(parser, dict):
            raise ValueError("parser")
        config["parser"] = parser
    return config


@router.post("/integrations", dependencies=[PUBLIC])
def create_integration(request: Request, visitor: PostedStaff, form: FormData) -> Response:
    values = {name: form.get(name, "") for name in (*FIELDS, *CONFIG_FIELDS, "auto_resolve")}
    app = get_app(request)
    data: dict[str, object] = dict(filled(form, FIELDS))
    try:
        config = _config(form, values["type"])
    except ValueError:
        sentence = 'Sender settings must be a JSON object, e.g. {"severity": "warning"}.'
        errors = FormErrors(summary=sentence, fields={"parser": sentence})
        return _new_form(request, visitor, values, errors)
    if config is not None:
        data["config"] = config
    try:
        created = app.integrations.create(visitor.principal, IntegrationIn.model_validate(data))
    except (ValidationError, TocsinError) as exc:
        errors = errors_from(exc)
        errors.fields = {_field_of(k): v for k, v in errors.fields.items()}
        return _new_form(request, visitor, values, errors)
    # The key is shown once: this answer is the only page that holds it, so it is drawn
    # here rather than after a redirect.
    return _detail(request, visitor, created, key=created.key, status=201)


def _detail(
    request: Request,
    visitor: Visitor,
    integration: IntegrationOut,
    *,
    key: str | None = None,
    status: int = 200,
    ok: str = "",
) -> Response:
    app = get_app(request)
    principal = visitor.principal
    recent = app.alerts.list(principal, integration=str(integration.id), limit=10)
    return page(
        request,
        "integration.html",
        visitor=visitor,
        status=status,
        integration=integration,
        title=_type_title(integration.type),
        key=key,
        addresses=inbound(app.settings, integration, key),
        activity=app.alerts.activity(principal).get(integration.id),
        recent=recent,
        severities=[(s.value, s.value.capitalize()) for s in Severity],
        notice=notice(ok),
        can_manage=principal.can(Permission.CATALOG_MANAGE),
    )


def _type_title(name: str) -> str:
    try:
        return registry.get(name).title
    except KeyError:
        return name


@router.get("/integrations/{ref}", dependencies=[PUBLIC])
def integration_detail(request: Request, visitor: Staff, ref: str, ok: str = "") -> Response:
    integration = get_app(request).integrations.get(visitor.principal, ref)
    return _detail(request, visitor, integration, ok=ok)


@router.post("/integrations/{ref}/test", dependencies=[PUBLIC])
def send_test_alert(request: Request, visitor: PostedStaff, form: FormData, ref: str) -> Response:
    app = get_app(request)
    principal = visitor.principal
    principal.require(Permission.CATALOG_MANAGE)
    try:
        severity = Severity(form.get("severity", Severity.CRITICAL.value))
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise ValidationFailed(f"severity must be one of {names}.", field="severity") from None
    integration = app.integrations.resolve(principal, ref)
    outcome = app.alerts.send_test(principal, integration, severity=severity)
    if outcome.incident_number:
        return see_other(f"/incidents/{outcome.incident_number}?ok=test_alert")
    if outcome.alert_id:
        return see_other(f"/alerts/{outcome.alert_id}?ok=test_alert_{outcome.result}")
    return see_other(f"/integrations/{integration.id}?ok=test_alert_{outcome.result}")
