"""Problems, the incidents linked to them, and known errors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Problem(Base):
    """The unknown (then known) cause of one or more incidents (ITIL problem record).

    States: new, assessed, root_cause_analysis, known_error, resolved, closed.
    """

    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_customer_state", "customer_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # PRB0000001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24))
    priority: Mapped[int]
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    root_cause: Mapped[str] = mapped_column(Text, default="")
    contributing_factors: Mapped[str] = mapped_column(Text, default="")
    # the five whys, in order: each answer is the next question's subject
    five_whys: Mapped[list[str]] = mapped_column(default=list)
    workaround: Mapped[str] = mapped_column(Text, default="")
    permanent_fix: Mapped[str] = mapped_column(Text, default="")
    fix_change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    version: Mapped[int] = mapped_column(default=1)
    opened_at: Mapped[datetime]
    # when the root cause was first recorded (problem metrics: time to root cause)
    root_cause_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProblemService(Base):
    """A service the problem affects."""

    __tablename__ = "problem_services"

    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ProblemIncident(Base):
    """An incident caused by the problem. An incident has at most one problem, as in
    ServiceNow's problem_id."""

    __tablename__ = "problem_incidents"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    problem_id: Mapped[int] = mapped_column(
        ForeignKey("problems.id", ondelete="CASCADE"), index=True
    )
    # how the link was made: "manual", "candidate", "known_error", "import"
    source: Mapped[str] = mapped_column(String(16))
    linked_at: Mapped[datetime]
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class KnownError(Base):
    """A problem whose cause is known and which has a workaround: what it looks like
    (service, category, symptoms, an alert fingerprint) and what to do meanwhile."""

    __tablename__ = "known_errors"
    __table_args__ = (Index("ix_known_errors_customer_service", "customer_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)  # KE0000001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    problem_id: Mapped[int | None] = mapped_column(
        ForeignKey("problems.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    symptoms: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    # an alert dedup key / fingerprint that identifies it exactly, when there is one
    fingerprint: Mapped[str | None] = mapped_column(String(255), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProblemCandidateDismissal(Base):
    """A cluster of recurring incidents someone said is not a problem: it is no longer
    proposed (a cluster that gains an incident has another key and is proposed again)."""

    __tablename__ = "problem_candidate_dismissals"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    dismissed_at: Mapped[datetime]
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
