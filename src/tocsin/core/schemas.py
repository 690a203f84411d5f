"""The base of every request body Tocsin accepts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from tocsin.core.bounded import unstorable_at


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
