"""The bulk statements of one import: what the records refer to (found or created), then
the incidents, their timeline entries, SLA outcomes and problem links."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission, Role
from tocsin.core.errors import PermissionDenied
from tocsin.db import counters
from tocsin.db.raw import Columns, Raw, json_text
from tocsin.imports.servicenow import (
    PRIORITY_REASON,
    Record,
    email_for,
    number_value,
    problem_title,
    slug,
)
from tocsin.incidents.intake import TIMELINE_COLUMNS
from tocsin.incidents.schemas import IncidentType
from tocsin.problems.service import format_number as format_problem_number

T = TypeVar("T")

_INCIDENT_COLUMNS: Columns = (
    ("number", "text"),
    ("customer_id", "bigint"),
    ("type", "text"),
    ("title", "text"),
    ("description", "text"),
    ("category_id", "bigint"),
    ("subcategory_id", "bigint"),
    ("service_id", "bigint"),
    ("requester_id", "bigint"),
    ("team_id", "bigint"),
    ("assignee_id", "bigint"),
    ("impact", "int"),
    ("urgency", "int"),
    ("priority", "int"),
    ("priority_overridden", "bool"),
    ("priority_reason", "text"),
    ("tags", "json"),
    ("major", "bool"),
    ("state", "text"),
    ("hold_reason", "text"),
    ("reopen_count", "int"),
    ("reassignment_count", "int"),
    ("version", "int"),
    ("opened_at", "timestamptz"),
    ("acknowledged_at", "timestamptz"),
    ("resolved_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("created_by_id", "bigint"),
)
_SLA_COLUMNS: Columns = (
    ("incident_id", "bigint"),
    ("customer_id", "bigint"),
    ("response_target_seconds", "float8"),
    ("response_consumed_seconds", "float8"),
    ("resolution_target_seconds", "float8"),
    ("resolution_consumed_seconds", "float8"),
    ("resolution_met_at", "timestamptz"),
    ("resolution_breached_at", "timestamptz"),
    ("stopped_at", "timestamptz"),
    ("made_sla", "bool"),
    ("applied_at", "timestamptz"),
    ("applied_keys", "json"),
)
_LINK_COLUMNS: Columns = (
    ("incident_id", "bigint"),
    ("problem_id", "bigint"),
    ("source", "text"),
    ("linked_at", "timestamptz"),
    ("linked_by_id", "bigint"),
)


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def present(raw: Raw, numbers: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in chunks(numbers, 1000):
        where, params = raw.any_of("number", "text", chunk)
        found.update(
            str(n) for (n,) in raw.rows(f"SELECT number FROM incidents WHERE {where}", params)
        )
    return found


def imported_problems(raw: Raw, customer_id: int, labels: set[str]) -> dict[str, int]:
    """Source problem label -> id of the problem an earlier import made for it."""
    titles = {problem_title(label): label for label in labels}
    found: dict[str, int] = {}
    for chunk in chunks(sorted(titles), 1000):
        where, params = raw.any_of("title", "text", chunk)
        for problem_id, title in raw.rows(
            f"SELECT id, title FROM problems WHERE customer_id = ? AND {where}",
            [customer_id, *params],
        ):
            found[titles[str(title)]] = int(problem_id)
    return found


def raise_counter(raw: Raw, numbers: Sequence[str]) -> None:
    """Numbers the system hands out next must not collide with the imported ones."""
    values = [v for v in (number_value(n) for n in numbers) if v is not None]
    if values:
        top = max(values)
        raw.run("UPDATE counters SET value = ? WHERE name = 'incident' AND value < ?", (top, top))


class Writer:
    """Rows for one import's transaction, with the ids of what they refer to."""

    def __init__(
        self, raw: Raw, customer_id: int, principal: Principal, now: datetime, domain: str
    ) -> None:
        self.raw = raw
        self.domain = domain
        self.customer_id = customer_id
        self.principal = principal
        self.now = now
        self.categories: dict[tuple[str | None, str], int] = {}
        self.teams: dict[str, int] = {}
        self.services: dict[str, int] = {}
        self.users: dict[str, int] = {}
        self.problems: dict[str, int] = {}
        self._stamps: dict[datetime, Any] = {}

    def at(self, value: datetime | None) -> Any:
        """`raw.at`, once per distinct time: a log's times repeat (minute resolution)."""
        if value is None:
            return None
        stamp = self._stamps.get(value)
        if stamp is None:
            stamp = self._stamps[value] = self.raw.at(value)
        return stamp

    def references(self, records: Sequence[Record]) -> int:
        """Find or create what the records refer to; answer how many problems were made."""
        self._categories(records)
        self.teams = self._slugged("teams", {r.team for r in records if r.team})
        self.services = self._slugged("services", {r.service for r in records if r.service})
        # Assignees first: a label that is both keeps the agent role.
        people: dict[str, Role] = {}
        for r in records:
            if r.requester:
                people.setdefault(email_for(r.requester, self.domain), Role.REQUESTER)
        for r in records:
            if r.assignee:
                people[email_for(r.assignee, self.domain)] = Role.AGENT
        labels = {
            email_for(x, self.domain): x for r in records for x in (r.requester, r.assignee) if x
        }
        self._users(people, labels)
        return self._problems(records)

    def _categories(self, records: Sequence[Record]) -> None:
        raw = self.raw
        tops = {r.category for r in records if r.category}
        for cid, name in raw.rows("SELECT id, name FROM categories WHERE parent_id IS NULL"):
            self.categories[(None, str(name))] = int(cid)
        missing = sorted(t for t in tops if (None, t) not in self.categories)
        subs = {(r.category, r.subcategory) for r in records if r.category and r.subcategory}
        if (missing or subs) and not self.principal.can(Permission.CATEGORIES_MANAGE):
            self._no_new_categories(missing, subs)
        for cid, name in raw.insert(
            "categories",
            (("name", "text"), ("parent_id", "bigint")),
            [(t, None) for t in missing],
            suffix=" RETURNING id, name",
        ):
            self.categories[(None, str(name))] = int(cid)
        parents = {self.categories[(None, top)]: top for top, _ in subs}
        if not parents:
            return
        where, params = raw.any_of("parent_id", "bigint", list(parents))
        for cid, name, parent in raw.rows(
            f"SELECT id, name, parent_id FROM categories WHERE {where}", params
        ):
            self.categories[(parents[int(parent)], str(name))] = int(cid)
        wanted = sorted((p, s) for p, s in subs if (p, s) not in self.categories)
        for cid, name, parent in raw.insert(
            "categories",
            (("name", "text"), ("parent_id", "bigint")),
            [(s, self.categories[(None, p)]) for p, s in wanted if p is not None],
            suffix=" RETURNING id, name, parent_id",
        ):
            self.categories[(parents[int(parent)], str(name))] = int(cid)

    def _no_new_categories(self, missing: list[str], subs: set[tuple[str, str]]) -> None:
        """A tenant's administrator imports into the categories the provider has made."""
        raw = self.raw
        if not missing:
            parents = {self.categories[(None, top)]: top for top, _ in subs}
            where, params = raw.any_of("parent_id", "bigint", list(parents))
            have = {
                (parents[int(parent)], str(name))
                for name, parent in raw.rows(
                    f"SELECT name, parent_id FROM categories WHERE {where}", params
                )
            }
            missing = sorted(f"{p} / {s}" for p, s in subs if (p, s) not in have)
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise PermissionDenied(
                f"The file names categories Tocsin does not have ({shown}). "
                + self.principal.refusal(Permission.CATEGORIES_MANAGE)
            )

    def _slugged(self, table: str, labels: set[str]) -> dict[str, int]:
        """Label -> id of the customer's team or service with the label's slug."""
        raw = self.raw
        by_slug = {slug(label): label for label in labels}
        ids: dict[str, int] = {}
        for row_id, row_slug in raw.rows(
            f"SELECT id, slug FROM {table} WHERE customer_id = ?", (self.customer_id,)
        ):
            if str(row_slug) in by_slug:
                ids[by_slug[str(row_slug)]] = int(row_id)
        missing = sorted(s for s, label in by_slug.items() if label not in ids)
        columns: Columns = (
            ("slug", "text"),
            ("name", "text"),
            ("customer_id", "bigint"),
            ("created_at", "timestamptz"),
        )
        rows: list[tuple[Any, ...]] = [
            (s, by_slug[s], self.customer_id, raw.at(self.now)) for s in missing
        ]
        if table == "services":
            columns = (*columns, ("description", "text"))
            rows = [(*row, "Imported from ServiceNow (configuration item).") for row in rows]
        for row_id, row_slug in raw.insert(table, columns, rows, suffix=" RETURNING id, slug"):
            ids[by_slug[str(row_slug)]] = int(row_id)
        return ids

    def _users(self, people: dict[str, Role], labels: dict[str, str]) -> None:
        raw = self.raw
        emails = sorted(people)
        for chunk in chunks(emails, 1000):
            where, params = raw.any_of("email", "text", chunk)
            for user_id, email in raw.rows(f"SELECT id, email FROM users WHERE {where}", params):
                self.users[str(email)] = int(user_id)
        rows = [
            (
                email,
                labels[email],
                people[email].value,
                self.customer_id,
                None,
                "UTC",
                raw.flag(False),
                raw.at(self.now),
            )
            for email in emails
            if email not in self.users
        ]
        columns: Columns = (
            ("email", "text"),
            ("name", "text"),
            ("role", "text"),
            ("customer_id", "bigint"),
            ("password_hash", "text"),
            ("time_zone", "text"),
            ("active", "bool"),
            ("created_at", "timestamptz"),
        )
        for user_id, email in raw.insert("users", columns, rows, suffix=" RETURNING id, email"):
            self.users[str(email)] = int(user_id)

    def _problems(self, records: Sequence[Record]) -> int:
        raw = self.raw
        linked: dict[str, list[Record]] = {}
        for r in records:
            if r.problem:
                linked.setdefault(r.problem, []).append(r)
        self.problems = imported_problems(raw, self.customer_id, set(linked))
        missing = sorted(label for label in linked if label not in self.problems)
        if not missing:
            return 0
        first = counters.take(raw, "problem", len(missing))
        rows = []
        for offset, label in enumerate(missing):
            incidents = linked[label]
            opened = min(r.opened_at for r in incidents)
            rows.append(
                (
                    format_problem_number(first + offset),
                    self.customer_id,
                    problem_title(label),
                    f"Imported from ServiceNow ({label}); its incidents link to it.",
                    "new",
                    min(r.priority for r in incidents),
                    "",
                    "",
                    "[]",
                    "",
                    "",
                    1,
                    raw.at(opened),
                    raw.at(self.now),
                    self.principal.user_id or None,
                )
            )
        columns: Columns = (
            ("number", "text"),
            ("customer_id", "bigint"),
            ("title", "text"),
            ("description", "text"),
            ("state", "text"),
            ("priority", "int"),
            ("root_cause", "text"),
            ("contributing_factors", "text"),
            ("five_whys", "json"),
            ("workaround", "text"),
            ("permanent_fix", "text"),
            ("version", "int"),
            ("opened_at", "timestamptz"),
            ("updated_at", "timestamptz"),
            ("created_by_id", "bigint"),
        )
        titles = {problem_title(label): label for label in missing}
        for problem_id, title in raw.insert(
            "problems", columns, rows, suffix=" RETURNING id, title"
        ):
            self.problems[titles[str(title)]] = int(problem_id)
        return len(missing)

    def _incident_row(self, r: Record) -> tuple[Any, ...]:
        raw, at = self.raw, self.at
        category = self.categories.get((None, r.category)) if r.category else None
        subcategory = (
            self.categories.get((r.category, r.subcategory))
            if r.category and r.subcategory
            else None
        )
        return (
            r.number,
            self.customer_id,
            IncidentType.INCIDENT.value,
            r.title,
            r.description,
            category,
            subcategory,
            self.services.get(r.service) if r.service else None,
            self.users.get(email_for(r.requester, self.domain)) if r.requester else None,
            self.teams.get(r.team) if r.team else None,
            self.users.get(email_for(r.assignee, self.domain)) if r.assignee else None,
            r.impact,
            r.urgency,
            r.priority,
            raw.flag(r.priority_overridden),
            PRIORITY_REASON if r.priority_overridden else None,
            json_text(r.tags),
            raw.flag(False),
            r.state.value,
            r.hold_reason.value if r.hold_reason else None,
            r.reopen_count,
            r.reassignment_count,
            1,
            at(r.opened_at),
            at(r.acknowledged_at),
            at(r.resolved_at),
            at(r.closed_at),
            at(r.updated_at),
            self.principal.user_id or None,
        )

    def incidents(self, records: Sequence[Record]) -> None:
        raw = self.raw
        ids = {
            str(number): int(incident_id)
            for incident_id, number in raw.insert(
                "incidents",
                _INCIDENT_COLUMNS,
                [self._incident_row(r) for r in records],
                suffix=" RETURNING id, number",
            )
        }
        timeline = []
        slas = []
        links = []
        flag_false = raw.flag(False)
        for r in records:
            incident_id = ids[r.number]
            for e in r.events:
                timeline.append(
                    (
                        incident_id,
                        self.at(e.at),
                        None,
                        e.actor_label,
                        e.kind,
                        json_text(e.changes),
                        e.message,
                        flag_false,
                    )
                )
            if r.resolved_at is not None and r.made_sla is not None:
                resolved = self.at(r.resolved_at)
                slas.append(
                    (
                        incident_id,
                        self.customer_id,
                        0.0,
                        0.0,
                        0.0,
                        0.0,
                        resolved if r.made_sla else None,
                        None if r.made_sla else resolved,
                        resolved,
                        raw.flag(r.made_sla),
                        resolved,
                        "[]",
                    )
                )
            if r.problem:
                links.append(
                    (
                        incident_id,
                        self.problems[r.problem],
                        "import",
                        raw.at(self.now),
                        self.principal.user_id or None,
                    )
                )
        raw.insert("incident_timeline", TIMELINE_COLUMNS, timeline)
        raw.insert("incident_slas", _SLA_COLUMNS, slas)
        raw.insert("problem_incidents", _LINK_COLUMNS, links)
