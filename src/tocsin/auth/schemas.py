"""What the API accepts and answers for customers, users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tocsin.auth.passwords import Password
from tocsin.auth.roles import Role
from tocsin.core.validation import Email, Name, Slug, TimeZoneName


def _reject_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters (\\u0000)")
    if isinstance(value, list):
        for item in value:
            _reject_nul(item)
    return value


class StrictModel(BaseModel):
    """Request bodies: unknown fields are mistakes, NUL characters are refused everywhere
    (PostgreSQL cannot store them, and SQLite must not accept what PostgreSQL refuses)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _reject_nul(value)


class CustomerIn(StrictModel):
    slug: Slug
    name: Name


class CustomerPatch(StrictModel):
    name: Name | None = None


class CustomerOut(BaseModel):
    id: int
    slug: str
    name: str
    is_default: bool
    created_at: datetime


class UserIn(StrictModel):
    email: Email
    name: Name | None = None
    role: Role
    customer: Slug | None = Field(
        default=None, description="Customer slug; the default one if omitted"
    )
    password: Password | None = None
    time_zone: TimeZoneName = "UTC"


class UserPatch(StrictModel):
    name: Name | None = None
    role: Role | None = None
    time_zone: TimeZoneName | None = None
    active: bool | None = None
    password: Password | None = None


class MePatch(StrictModel):
    name: Name | None = None
    time_zone: TimeZoneName | None = None


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    customer: str
    time_zone: str
    active: bool
    teams: list[str]
    created_at: datetime


class TokenIn(StrictModel):
    name: Name = "api"


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; store it now.")
