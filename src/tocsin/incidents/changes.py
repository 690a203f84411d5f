"""Collecting what an operation changed, for the timeline and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.catalog.models import Category, Service, Team


@dataclass(slots=True)
class ChangeSet:
    """field -> [before, after], in the words a person reads (slugs, e-mails, names)."""

    changes: dict[str, list[Any]] = field(default_factory=dict)

    def record(self, name: str, before: Any, after: Any) -> None:
        if before == after:
            return
        if name in self.changes:  # changed twice in one operation: keep the first "before"
            before = self.changes[name][0]
            if before == after:
                del self.changes[name]
                return
        self.changes[name] = [before, after]

    def __bool__(self) -> bool:
        return bool(self.changes)


def label(
    session: Session, model: type[Customer | Team | Service | Category | User], key: int | None
) -> str | None:
    """The human name of a referenced row (the session's identity map makes repeats free)."""
    if key is None:
        return None
    row = session.get(model, key)
    if row is None:
        return None
    if isinstance(row, User):
        return row.email
    if isinstance(row, Category):
        return row.name
    assert isinstance(row, Customer | Team | Service)
    return row.slug
