"""Post-incident reviews and action items, in and out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from tocsin.core.schemas import StrictModel

Section = Annotated[str, Field(max_length=100_000)]
ReviewStateName = Literal["draft", "in_review", "published"]
ItemTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]

# The editable sections, in the order a review reads.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("went_well", "What went well"),
    ("went_wrong", "What went wrong"),
    ("lessons", "Lessons learned"),
)


class ReviewIn(StrictModel):
    incident: str = Field(max_length=40, description="the incident's number or id")


class ReviewPatch(StrictModel):
    summary: Section | None = None
    impact: Section | None = None
    root_cause: Section | None = None
    went_well: Section | None = None
    went_wrong: Section | None = None
    lessons: Section | None = None
    state: ReviewStateName | None = Field(default=None, description="draft, in_review or published")


class KeyEventOut(BaseModel):
    at: datetime
    kind: str
    label: str
    actor: str
    message: str


class GeneratedOut(BaseModel):
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    time_to_acknowledge: int | None = Field(description="seconds from opened to acknowledged")
    time_to_resolve: int | None = Field(description="seconds from opened to resolved")
    time_on_hold: int = Field(description="seconds on hold")
    escalations: int
    events: list[KeyEventOut]


class ActionItemIn(StrictModel):
    title: ItemTitle
    owner: str | None = Field(default=None, max_length=254, description="e-mail or id")
    due: date | None = None
    link: Link | None = Field(default=None, description="a problem number, ticket or URL")


class ActionItemPatch(StrictModel):
    title: ItemTitle | None = None
    owner: str | None = Field(default=None, max_length=254)
    due: date | None = None
    link: Link | None = None
    done: bool | None = None


class ActionItemOut(BaseModel):
    id: int
    review: int
    incident: str
    title: str
    owner: str | None
    due: date | None
    done: bool
    done_at: datetime | None
    overdue: bool
    link: str | None
    version: int


class ReviewOut(BaseModel):
    id: int
    incident: str
    incident_id: int
    incident_title: str
    priority: int
    major: bool
    customer: str
    state: ReviewStateName
    required: bool
    summary: str
    impact: str
    root_cause: str
    went_well: str
    went_wrong: str
    lessons: str
    generated: GeneratedOut
    generated_at: datetime
    author: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    action_items: list[ActionItemOut]


class MissingReviewOut(BaseModel):
    """A resolved incident that requires a review and has no published one."""

    incident: str
    incident_id: int
    title: str
    priority: int
    major: bool
    customer: str
    resolved_at: datetime | None
    review: int | None
    review_state: ReviewStateName | None
