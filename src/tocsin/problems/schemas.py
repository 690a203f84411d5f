"""What the API accepts and answers for problems, known errors and candidates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tocsin.changes.schemas import ChangeOut
from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Slug
from tocsin.incidents.schemas import PriorityValue, Title, UserRef
from tocsin.problems.lifecycle import ProblemState

LongText = Annotated[str, Field(max_length=20_000)]
Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
IncidentRef = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ChangeRef = Annotated[int, Field(ge=1, le=2**31 - 1)]
Fingerprint = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ProblemIn(StrictModel):
    title: Title
    description: LongText = ""
    customer: Slug | None = None
    services: list[Slug] = Field(default_factory=list, max_length=50)
    priority: PriorityValue = 3
    category: str | None = Field(default=None, max_length=100)
    owner: UserRef | None = None
    root_cause: LongText = ""
    contributing_factors: LongText = ""
    five_whys: list[Why] = Field(default_factory=list, max_length=10)
    workaround: LongText = ""
    permanent_fix: LongText = ""
    fix_change: ChangeRef | None = Field(default=None, description="id of a change record")


class ProblemPatch(StrictModel):
    title: Title | None = None
    description: LongText | None = None
    services: list[Slug] | None = Field(default=None, max_length=50)
    priority: PriorityValue | None = None
    category: str | None = Field(default=None, max_length=100)
    owner: UserRef | None = None
    root_cause: LongText | None = None
    contributing_factors: LongText | None = None
    five_whys: list[Why] | None = Field(default=None, max_length=10)
    workaround: LongText | None = None
    permanent_fix: LongText | None = None
    fix_change: ChangeRef | None = None
    state: ProblemState | None = Field(
        default=None,
        description="move the problem: new, assessed, root_cause_analysis, known_error "
        "(needs root_cause and workaround), resolved (needs permanent_fix), closed",
    )
    version: int | None = Field(default=None, ge=1, description="as If-Match")


class ImpactOut(BaseModel):
    incidents: int
    open: int
    downtime_seconds: int
    first_at: datetime | None
    last_at: datetime | None


class ProblemIncidentOut(BaseModel):
    id: int
    number: str
    title: str
    state: str
    priority: int
    opened_at: datetime
    resolved_at: datetime | None
    source: str
    linked_at: datetime


class ProblemOut(BaseModel):
    id: int
    number: str
    title: str
    description: str
    state: ProblemState
    allowed_states: list[ProblemState]
    customer: str | None
    services: list[str]
    priority: int
    category: str | None
    owner: str | None
    root_cause: str
    root_cause_at: datetime | None
    contributing_factors: str
    five_whys: list[str]
    workaround: str
    permanent_fix: str
    fix_change: int | None
    known_error: str | None
    impact: ImpactOut
    version: int
    opened_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class LinkIncidentsIn(StrictModel):
    incidents: list[IncidentRef] = Field(min_length=1, max_length=100)


class KnownErrorIn(StrictModel):
    title: Title
    customer: Slug | None = None
    service: Slug | None = None
    category: str | None = Field(default=None, max_length=100)
    symptoms: LongText = ""
    workaround: LongText = ""
    fingerprint: Fingerprint | None = None
    problem: IncidentRef | None = Field(default=None, description="PRB number or id")
    active: bool = True


class KnownErrorPatch(StrictModel):
    title: Title | None = None
    service: Slug | None = None
    category: str | None = Field(default=None, max_length=100)
    symptoms: LongText | None = None
    workaround: LongText | None = None
    fingerprint: Fingerprint | None = None
    active: bool | None = None
    version: int | None = Field(default=None, ge=1, description="as If-Match")


class KnownErrorOut(BaseModel):
    id: int
    number: str
    title: str
    customer: str | None
    service: str | None
    category: str | None
    symptoms: str
    workaround: str
    fingerprint: str | None
    problem: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class KnownErrorMatchOut(BaseModel):
    id: int
    number: str
    title: str
    workaround: str
    problem: str | None
    reason: str
    score: float


class CandidateIncidentOut(BaseModel):
    id: int
    number: str
    title: str
    opened_at: datetime


class CandidateOut(BaseModel):
    key: str
    customer: str | None
    title: str
    service: str | None
    category: str | None
    incidents: list[CandidateIncidentOut]


class Vote(BaseModel):
    value: str | int
    confidence: float


class SimilarOut(BaseModel):
    id: int
    number: str
    title: str
    score: float


class SuggestionsOut(BaseModel):
    category: list[Vote]
    priority: list[Vote]
    team: list[Vote]
    similar: list[SimilarOut]
    known_errors: list[KnownErrorMatchOut]
    # the incident's service's recent changes: a deploy just before is the usual suspect
    changes: list[ChangeOut] = Field(default_factory=list)
