"""What the API accepts and answers for schedules, overrides and escalation policies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Email, Moment, Name, Slug, TimeZoneName
from tocsin.oncall.rotation import DAY_NAMES, parse_hhmm


def _check_hhmm(value: str) -> str:
    parse_hhmm(value)
    return value


HHMM = Annotated[str, AfterValidator(_check_hhmm)]
DayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
assert DAY_NAMES == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Hours(StrictModel):
    hours: int = Field(ge=1, le=24 * 366, description="Shift length in hours of elapsed time")


class RestrictionIn(StrictModel):
    days: list[DayName] = Field(min_length=1, max_length=7)
    start: HHMM
    end: HHMM = Field(description="Not after `start`: the window ends on the next day")


class LayerIn(StrictModel):
    name: Name
    start: Moment = Field(description="When the first shift begins (ISO 8601 with a zone)")
    rotation: Literal["daily", "weekly"] | Hours
    handoff: HHMM | None = Field(
        default=None, description="Local hand-off time for daily and weekly rotations"
    )
    users: list[Email] = Field(max_length=200)
    restrictions: list[RestrictionIn] = Field(default_factory=list, max_length=50)

    @field_validator("users")
    @classmethod
    def _someone(cls, value: list[Email]) -> list[Email]:
        if not value:
            raise ValueError("a layer needs at least one user (e-mail addresses)")
        return value


def _layers_given(value: list[LayerIn]) -> list[LayerIn]:
    if not value:
        raise ValueError("a schedule needs at least one layer")
    return value


class ScheduleIn(StrictModel):
    name: Name
    slug: Slug
    time_zone: TimeZoneName
    layers: Annotated[list[LayerIn], AfterValidator(_layers_given)] = Field(max_length=20)
    customer: Slug | None = None


class SchedulePatch(StrictModel):
    name: Name | None = None
    time_zone: TimeZoneName | None = None
    layers: Annotated[list[LayerIn], AfterValidator(_layers_given)] | None = Field(
        default=None, max_length=20
    )


class RestrictionOut(BaseModel):
    days: list[str]
    start: str
    end: str


class LayerOut(BaseModel):
    name: str
    start: datetime
    rotation: str | Hours
    handoff: str
    users: list[str]
    restrictions: list[RestrictionOut]


class ScheduleOut(BaseModel):
    id: int
    slug: str
    name: str
    customer: str
    time_zone: str
    layers: list[LayerOut]
    warnings: list[str] = Field(description="Gaps in the next 14 days, as sentences")
    ical_url: str
    created_at: datetime


class OverrideIn(StrictModel):
    user: Email
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _ordered(self) -> OverrideIn:
        if self.end <= self.start:
            raise ValueError("an override's end must be after its start")
        return self


class OverrideOut(BaseModel):
    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_at: datetime
    created_by: str | None


class ShiftOut(BaseModel):
    user: str
    start: datetime
    end: datetime
    source: str = Field(description="The layer's name, or `override`")


class OnCallUser(BaseModel):
    user: str
    name: str
    start: datetime = Field(description="When this user's current shift began")
    end: datetime = Field(description="When it ends (as far as the next 90 days tell)")
    ical_url: str = Field(description="This user's shifts on every schedule, as iCalendar")


class OnCallOut(BaseModel):
    schedule: str
    name: str
    customer: str
    time_zone: str
    on_call: list[OnCallUser]


class OnCallAnswer(BaseModel):
    at: datetime
    items: list[OnCallOut]


class TargetIn(StrictModel):
    type: Literal["user", "schedule", "team"]
    ref: str = Field(min_length=1, max_length=254, description="E-mail of a user, or a slug")


def _targets_given(value: list[TargetIn]) -> list[TargetIn]:
    if not value:
        raise ValueError("a level needs at least one target")
    return value


class LevelIn(StrictModel):
    delay_minutes: int = Field(
        ge=0,
        le=7 * 24 * 60,
        description="Minutes to wait after this level's pages before escalating to the next",
    )
    targets: Annotated[list[TargetIn], AfterValidator(_targets_given)] = Field(max_length=50)


def _levels_given(value: list[LevelIn]) -> list[LevelIn]:
    if not value:
        raise ValueError("an escalation policy needs at least one level")
    return value


class PolicyIn(StrictModel):
    name: Name
    slug: Slug
    repeat: int = Field(default=0, ge=0, le=20, description="Rounds after the last level")
    levels: Annotated[list[LevelIn], AfterValidator(_levels_given)] = Field(max_length=20)
    customer: Slug | None = None


class PolicyPatch(StrictModel):
    name: Name | None = None
    repeat: int | None = Field(default=None, ge=0, le=20)
    levels: Annotated[list[LevelIn], AfterValidator(_levels_given)] | None = Field(
        default=None, max_length=20
    )


class TargetOut(BaseModel):
    type: str
    ref: str


class LevelOut(BaseModel):
    delay_minutes: int
    targets: list[TargetOut]


class PolicyOut(BaseModel):
    id: int
    slug: str
    name: str
    customer: str
    repeat: int
    levels: list[LevelOut]
    created_at: datetime
