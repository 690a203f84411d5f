"""Reading problems and known errors within the principal's customers, and the facts
the pure rules (matching, clustering, impact) need from incidents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from tocsin.alerts.models import Alert
from tocsin.auth.principal import Principal
from tocsin.catalog.models import Category
from tocsin.catalog.service import category_by_name
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.core.ids import as_id, is_number
from tocsin.incidents.models import Incident
from tocsin.problems.models import KnownError, Problem
from tocsin.problems.similarity import tokens

T = TypeVar("T", Problem, KnownError)


def scoped(column: InstrumentedAttribute[int], principal: Principal) -> ColumnElement[bool]:
    """Rows of the customers the principal may see (the provider's staff: all)."""
    if principal.all_customers:
        return and_(True)
    return column == principal.customer_id


def _by_ref(
    session: Session,
    principal: Principal,
    model: type[T],
    prefix: str,
    noun: str,
    ref: str,
    *,
    for_update: bool = False,
) -> T:
    text = ref.strip().upper()
    ident = as_id(text)
    if ident is not None:
        condition = model.id == ident
    elif text.startswith(prefix) and is_number(text[len(prefix) :]):
        condition = model.number == text
    else:
        raise NotFound(f"There is no {noun} {ref!r}; use its id or its number ({prefix}0000001).")
    query = select(model).where(condition, scoped(model.customer_id, principal))
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFound(f"There is no {noun} {ref!r}.")
    return row


def problem_by_ref(
    session: Session, principal: Principal, ref: str, *, for_update: bool = False
) -> Problem:
    return _by_ref(session, principal, Problem, "PRB", "problem", ref, for_update=for_update)


def known_error_by_ref(
    session: Session, principal: Principal, ref: str, *, for_update: bool = False
) -> KnownError:
    return _by_ref(session, principal, KnownError, "KE", "known error", ref, for_update=for_update)


def top_category_id(session: Session, name: str | None) -> int | None:
    """A top-level category by name; 422 naming the known ones when there is none."""
    if name is None or not name.strip():
        return None
    found = category_by_name(session, name.strip(), parent_id=None)
    if found is None:
        known = ", ".join(
            session.scalars(
                select(Category.name).where(Category.parent_id.is_(None)).order_by(Category.name)
            )
        )
        raise ValidationFailed(
            f"There is no category {name!r}. Known categories: {known or 'none'}.",
            field="category",
        )
    return found.id


def dedup_keys(session: Session, incident_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """The alert dedup keys (fingerprints) of each incident, in one query."""
    keys: dict[int, set[str]] = {i: set() for i in incident_ids}
    if incident_ids:
        for incident_id, key in session.execute(
            select(Alert.incident_id, Alert.dedup_key).where(Alert.incident_id.in_(incident_ids))
        ):
            if incident_id is not None:
                keys[incident_id].add(key)
    return {i: frozenset(k) for i, k in keys.items()}


def incident_words(incident: Incident) -> frozenset[str]:
    return tokens(f"{incident.title} {incident.description}")
