"""Which action links were used: a row per link, written by the transaction that acted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class ActionLinkUse(Base):
    """A used link. The primary key makes a link single use even when two requests race:
    the second insert fails and its transaction, with its action, rolls back."""

    __tablename__ = "action_links_used"

    link_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    used_at: Mapped[datetime]
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    # who acted: the link's own user, or for a shared channel's link whoever signed in
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    # the message the link came in (the notification's delivery id)
    delivery_id: Mapped[str] = mapped_column(String(200))
