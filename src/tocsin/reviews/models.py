"""Post-incident reviews (one per incident) and their action items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Review(Base):
    """What was learned from one incident. States: draft, in_review, published."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_customer_state", "customer_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    # the incident's customer, copied so tenant scoping needs no join
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    state: Mapped[str] = mapped_column(String(16))
    # the generated timeline and durations (reviews.timeline.Summary as JSON), kept as
    # generated so later edits to the incident do not rewrite a published review
    timeline: Mapped[dict[str, Any]] = mapped_column(default=dict)
    generated_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_wrong: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    published_at: Mapped[datetime | None]


class ActionItem(Base):
    """A follow-up a review decided on, tracked until done."""

    __tablename__ = "review_action_items"
    __table_args__ = (Index("ix_review_action_items_open", "done", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date | None]
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    # a problem number (PRB0000001), a ticket or a URL
    link: Mapped[str | None] = mapped_column(String(2000))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
