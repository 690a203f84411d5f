"""What the API accepts and answers for teams, services and categories."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from tocsin.core.schemas import StrictModel
from tocsin.core.validation import Email, Name, ShortName, Slug


class TeamIn(StrictModel):
    slug: Slug
    name: Name
    customer: Slug | None = None
    members: list[Email] = Field(default_factory=list)
    escalation_policy: Slug | None = None


class TeamPatch(StrictModel):
    name: Name | None = None
    members: list[Email] | None = None
    escalation_policy: Slug | None = None


class TeamOut(BaseModel):
    id: int
    slug: str
    name: str
    customer: str
    members: list[str]
    escalation_policy: str | None = None
    created_at: datetime


class ServiceIn(StrictModel):
    slug: Slug
    name: Name
    description: str = Field(default="", max_length=5000)
    customer: Slug | None = None
    team: Slug | None = None
    escalation_policy: Slug | None = None


class ServicePatch(StrictModel):
    name: Name | None = None
    description: str | None = Field(default=None, max_length=5000)
    team: Slug | None = None
    escalation_policy: Slug | None = None


class ServiceOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    customer: str
    team: str | None
    escalation_policy: str | None = None
    created_at: datetime


class CategoryIn(StrictModel):
    name: ShortName
    parent: str | None = Field(default=None, description="Name of the parent category")


class CategoryOut(BaseModel):
    id: int
    name: str
    parent: str | None
    subcategories: list[str]
