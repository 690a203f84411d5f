"""What the API accepts and answers for incidents, notes and timelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, field_validator

from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Email, Moment, Slug, check_visible
from tocsin.incidents.lifecycle import Action, HoldReason, ResolutionCode, State
from tocsin.sla.schemas import SlaOut


class IncidentType(StrEnum):
    INCIDENT = "incident"
    SECURITY_INCIDENT = "security_incident"
    SERVICE_REQUEST = "service_request"


Level = Annotated[int, Field(ge=1, le=3, description="1 High, 2 Medium, 3 Low")]
PriorityValue = Annotated[int, Field(ge=1, le=5, description="1 (P1, critical) to 5 (P5)")]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(check_visible),
]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
UserRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


def _parse_priority(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().upper().removeprefix("P")
        return int(text) if text.isdecimal() else value
    return value


class _IncidentFields(StrictModel):
    @field_validator("priority", mode="before", check_fields=False)
    @classmethod
    def _priority_accepts_p_labels(cls, value: Any) -> Any:
        return _parse_priority(value)

    @field_validator("tags", check_fields=False)
    @classmethod
    def _unique_tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else list(dict.fromkeys(value))


class IncidentIn(_IncidentFields):
    title: Title
    description: str = Field(default="", max_length=100_000)
    type: IncidentType = IncidentType.INCIDENT
    category: str | None = Field(default=None, max_length=100)
    subcategory: str | None = Field(default=None, max_length=100)
    service: Slug | None = None
    customer: Slug | None = None
    requester: UserRef | None = None
    team: Slug | None = None
    assignee: UserRef | None = None
    impact: Level = 3
    urgency: Level = 3
    priority: PriorityValue | None = Field(
        default=None, description="Override the matrix; needs priority_reason"
    )
    priority_reason: Reason | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=30)
    major: bool = False
    shared_with: list[Email] = Field(default_factory=list, max_length=50)
    opened_at: Moment | None = Field(
        default=None,
        description="Back-date the incident (administrators; imports); with its offset or Z",
    )


class IncidentPatch(_IncidentFields):
    title: Title | None = None
    description: str | None = Field(default=None, max_length=100_000)
    type: IncidentType | None = None
    category: str | None = Field(default=None, max_length=100)
    subcategory: str | None = Field(default=None, max_length=100)
    service: Slug | None = None
    requester: UserRef | None = None
    team: Slug | None = None
    assignee: UserRef | None = None
    impact: Level | None = None
    urgency: Level | None = None
    priority: PriorityValue | None = Field(
        default=None, description="Override; null returns to the matrix value"
    )
    priority_reason: Reason | None = None
    tags: list[Tag] | None = Field(default=None, max_length=30)
    major: bool | None = None
    shared_with: list[Email] | None = Field(default=None, max_length=50)


class ActionIn(StrictModel):
    team: Slug | None = None
    assignee: UserRef | None = None
    reason: Reason | None = None
    resolution_code: ResolutionCode | None = None
    resolution_notes: Reason | None = None


class IncidentOut(BaseModel):
    id: int
    number: str
    title: str
    description: str
    type: IncidentType
    category: str | None
    subcategory: str | None
    service: str | None
    customer: str
    requester: str | None
    team: str | None
    assignee: str | None
    impact: int
    urgency: int
    priority: int
    priority_label: str
    priority_overridden: bool
    priority_reason: str | None
    tags: list[str]
    major: bool
    state: State
    hold_reason: HoldReason | None
    resolution_code: ResolutionCode | None
    resolution_notes: str | None
    cancel_reason: str | None
    reopen_count: int
    reassignment_count: int
    version: int
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    shared_with: list[str]
    allowed_actions: list[Action]
    # the SLA clocks, once a policy matched the incident (see sla/)
    sla: SlaOut | None = None


class NoteIn(StrictModel):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]
    internal: bool = Field(
        default=True, description="true: work note (staff only); false: comment the requester sees"
    )


class NoteOut(BaseModel):
    id: int
    body: str
    internal: bool
    author: str
    created_at: datetime


class TimelineEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str
    kind: str
    changes: dict[str, Any]
    message: str
    internal: bool


class LinkKind(StrEnum):
    RELATED = "related"
    DUPLICATE_OF = "duplicate_of"
    CAUSED_BY = "caused_by"


class LinkIn(StrictModel):
    incident: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="The other incident: its number (INC0001234) or id")
    kind: LinkKind = Field(
        default=LinkKind.RELATED,
        description="related; duplicate_of: this incident duplicates the other; "
        "caused_by: the other incident caused this one",
    )


class LinkedIncidentOut(BaseModel):
    link_id: int
    kind: LinkKind
    # outgoing: made on this incident ("this is a duplicate of ..."); incoming: made on the
    # other one ("... is a duplicate of this")
    direction: Literal["outgoing", "incoming"]
    relation: str = Field(description='How this incident relates to it, e.g. "duplicate of"')
    number: str
    title: str
    state: State
    priority: int
    created_at: datetime
