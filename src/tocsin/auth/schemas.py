"""What the API accepts and answers for customers, users and tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tocsin.auth.passwords import Password
from tocsin.auth.roles import Role
from tocsin.core.bounded import unstorable_at
from tocsin.core.validation import Email, Name, ShortName, Slug, TimeZoneName


def _refuse_unstorable(model: str, value: Any) -> Any:
    found = unstorable_at(value)
    if found is None:
        return value
    path, reason = found
    # A ValidationError raised here is reported at the field's location plus `path`, so
    # the answer names e.g. `config.parser.rules.0` rather than just `config`.
    error = PydanticCustomError("unstorable", reason)
    raise ValidationError.from_exception_data(
        model, [InitErrorDetails(type=error, loc=path, input=value)]
    )


class StrictModel(BaseModel):
    """Request bodies: unknown fields are mistakes, and what no database can store (NUL, a
    lone surrogate, NaN, nesting past 64 levels) is refused wherever it is, keys of nested
    objects too: PostgreSQL cannot store NUL, no driver can encode a lone surrogate, and
    SQLite must not accept what PostgreSQL refuses."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _refuse_unstorable(cls.__name__, value)


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
    name: ShortName = "api"


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; store it now.")
