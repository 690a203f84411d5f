"""Change records in and out of the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from tocsin.changes.rules import check_link
from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Moment, Slug, check_visible

Summary = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1024),
    AfterValidator(check_visible),
]
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4096)]


def _link(value: str | None) -> str | None:
    return check_link(value) if value else None


class ChangeIn(StrictModel):
    service: Slug | None = None
    customer: Slug | None = None
    summary: Summary
    source: str = Field(default="", max_length=255)
    link: Annotated[Link | None, AfterValidator(_link)] = None
    # when it happened; default: now
    at: Moment | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ChangeOut(BaseModel):
    id: int
    customer: str
    service: str | None
    summary: str
    source: str
    link: str | None
    at: datetime
    details: dict[str, Any]
    integration: str | None
    created_by: str | None
    created_at: datetime
