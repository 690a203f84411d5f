"""What the API accepts and answers for calendars, SLA policies and an incident's SLA."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Name, Slug

HolidaysField = str | list[str] | None


class CalendarIn(StrictModel):
    slug: Slug
    name: Name | None = None
    time_zone: str = Field(max_length=64)
    hours: dict[str, list[str]] = Field(
        description='Working hours per day: {"mon": ["09:00", "17:00"], ...}; several '
        'intervals as ["08:00", "12:00", "13:00", "17:00"]; a day left out is not worked'
    )
    holidays: HolidaysField = Field(
        default=None,
        description='A country code of the holidays package ("US", "DE-BY") or a list of ISO dates',
    )
    customer: Slug | None = None


class CalendarPatch(StrictModel):
    name: Name | None = None
    time_zone: str | None = Field(default=None, max_length=64)
    hours: dict[str, list[str]] | None = None
    holidays: HolidaysField = None


class CalendarOut(BaseModel):
    id: int
    slug: str
    name: str
    customer: str
    time_zone: str
    hours: dict[str, list[str]]
    holidays: HolidaysField
    created_at: datetime


class SlaPolicyIn(StrictModel):
    name: Name
    slug: Slug
    priority: int = Field(ge=1, le=5)
    response_minutes: int = Field(ge=1, le=525_600)
    resolution_minutes: int = Field(ge=1, le=5_256_000)
    calendar: Slug | None = Field(default=None, description="Calendar slug; none: 24x7")
    customer: Slug | None = Field(default=None, description="None: every customer")
    service: Slug | None = None
    warn_at: float | None = Field(default=None, gt=0, lt=1)
    escalate_on_breach: bool = False
    enabled: bool = True


class SlaPolicyPatch(StrictModel):
    name: Name | None = None
    priority: int | None = Field(default=None, ge=1, le=5)
    response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=5_256_000)
    calendar: Slug | None = None
    service: Slug | None = None
    warn_at: float | None = Field(default=None, gt=0, lt=1)
    escalate_on_breach: bool | None = None
    enabled: bool | None = None


class SlaPolicyOut(BaseModel):
    id: int
    slug: str
    name: str
    priority: int
    customer: str | None
    service: str | None
    calendar: str | None
    response_minutes: int
    resolution_minutes: int
    warn_at: float
    escalate_on_breach: bool
    enabled: bool
    created_at: datetime


class SlaTargetOut(BaseModel):
    due_at: datetime | None
    met_at: datetime | None
    breached: bool
    remaining_seconds: float


class SlaOut(BaseModel):
    policy: str
    state: Literal["ok", "warning", "breached", "paused", "met"]
    response: SlaTargetOut
    resolution: SlaTargetOut
    made_sla: bool | None
