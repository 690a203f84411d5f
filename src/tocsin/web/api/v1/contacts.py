"""/api/v1/users/{ref}/contact-methods, notification-rules and notification-settings: how
and when a person is paged. `ref` is a user id, an e-mail address, or "me"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.notifications.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    ContactMethodPatch,
    RuleIn,
    RuleOut,
    SettingsIn,
    SettingsOut,
)
from tocsin.web.access import AppDep, IdPath, require

router = APIRouter(prefix="/api/v1/users/{ref}", tags=["contact methods"])

# Anyone signed in manages their own; the service lets administrators manage others'.
Self = Annotated[Principal, require(Permission.SELF)]


class TestQueued(BaseModel):
    delivery: str


@router.get("/contact-methods")
def list_contact_methods(app: AppDep, principal: Self, ref: str) -> Page[ContactMethodOut]:
    return app.contacts.list_methods(principal, ref)


@router.post("/contact-methods", status_code=status.HTTP_201_CREATED)
def create_contact_method(
    app: AppDep, principal: Self, ref: str, data: ContactMethodIn
) -> ContactMethodOut:
    return app.contacts.create_method(principal, ref, data)


@router.patch("/contact-methods/{cm_id}")
def patch_contact_method(
    app: AppDep, principal: Self, ref: str, cm_id: IdPath, data: ContactMethodPatch
) -> ContactMethodOut:
    return app.contacts.patch_method(principal, ref, cm_id, data)


@router.delete("/contact-methods/{cm_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_contact_method(app: AppDep, principal: Self, ref: str, cm_id: IdPath) -> Response:
    app.contacts.delete_method(principal, ref, cm_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/contact-methods/{cm_id}/test",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a test message to this contact method now",
)
def test_contact_method(app: AppDep, principal: Self, ref: str, cm_id: IdPath) -> TestQueued:
    return TestQueued(delivery=app.contacts.test_method(principal, ref, cm_id)[0])


@router.get("/notification-rules")
def list_rules(app: AppDep, principal: Self, ref: str) -> Page[RuleOut]:
    return app.contacts.list_rules(principal, ref)


@router.post("/notification-rules", status_code=status.HTTP_201_CREATED)
def create_rule(app: AppDep, principal: Self, ref: str, data: RuleIn) -> RuleOut:
    return app.contacts.create_rule(principal, ref, data)


@router.delete("/notification-rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(app: AppDep, principal: Self, ref: str, rule_id: IdPath) -> Response:
    app.contacts.delete_rule(principal, ref, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/notification-settings")
def get_settings(app: AppDep, principal: Self, ref: str) -> SettingsOut:
    return app.contacts.get_settings(principal, ref)


@router.put("/notification-settings")
def put_settings(app: AppDep, principal: Self, ref: str, data: SettingsIn) -> SettingsOut:
    return app.contacts.put_settings(principal, ref, data)
