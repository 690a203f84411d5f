"""ServiceNow incident event logs (one row per update) as incident records with their
history: reading, checking and mapping, without a database or a clock (pure)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from tocsin.incidents.intake import TITLE_MAX, format_number
from tocsin.incidents.lifecycle import HoldReason, State
from tocsin.incidents.priority import derive_priority

MISSING = "?"
REQUIRED = ("number", "incident_state", "sys_mod_count", "sys_updated_at", "opened_at")
# Users the import creates or refers to are known by this e-mail domain (RFC 2606 keeps
# .invalid unroutable, so no notification ever leaves for them).
EMAIL_DOMAIN = "import.invalid"
PRIORITY_REASON = "Imported from ServiceNow: the priority recorded there is kept."

# ServiceNow state -> Tocsin state and, for the waiting states, the hold reason.
STATES: dict[str, tuple[State, HoldReason | None]] = {
    "New": (State.NEW, None),
    "Active": (State.IN_PROGRESS, None),
    "Awaiting User Info": (State.ON_HOLD, HoldReason.AWAITING_REQUESTER),
    "Awaiting Evidence": (State.ON_HOLD, HoldReason.AWAITING_REQUESTER),
    "Awaiting Vendor": (State.ON_HOLD, HoldReason.AWAITING_VENDOR),
    "Awaiting Problem": (State.ON_HOLD, HoldReason.AWAITING_PROBLEM),
    "Resolved": (State.RESOLVED, None),
    "Closed": (State.CLOSED, None),
}
# Source columns kept in the description, as "label: value" lines.
DETAILS = (
    ("caller_id", "Caller"),
    ("opened_by", "Opened by"),
    ("sys_created_by", "Created by"),
    ("contact_type", "Contact type"),
    ("location", "Location"),
    ("u_symptom", "Symptom"),
    ("knowledge", "Knowledge"),
    ("u_priority_confirmation", "Priority confirmed"),
    ("notify", "Notify"),
    ("problem_id", "Problem"),
    ("rfc", "Change (RFC)"),
    ("vendor", "Vendor"),
    ("caused_by", "Caused by"),
    ("closed_code", "Closed code"),
    ("resolved_by", "Resolved by"),
)
# What the timeline records when it changes from one source row to the next.
TRACKED = ("state", "hold_reason", "team", "assignee", "impact", "urgency", "priority")


class BadFile(ValueError):
    """The file is not a ServiceNow incident event log Tocsin can read."""


def slug(label: str) -> str:
    """A source label as a slug: "Group 56" -> "group-56"."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:64] or "unnamed"


def email_domain(customer: str, *, provider: bool) -> str:
    """Where the people of an import into `customer` get their addresses: the provider's
    under import.invalid, a tenant's under <slug>.import.invalid, so that two tenants'
    "Caller 7" are two people."""
    return EMAIL_DOMAIN if provider else f"{customer}.{EMAIL_DOMAIN}"


def email_for(label: str, domain: str = EMAIL_DOMAIN) -> str:
    """The stable e-mail of a person the source names only by label."""
    return f"{slug(label)}@{domain}"


def problem_title(label: str) -> str:
    """The title of the problem imported for a source problem id: also how a later import
    finds it again."""
    return f"ServiceNow {label}"


def number_value(number: str) -> int | None:
    """The counter value of an incident number in Tocsin's own format, else None."""
    digits = number.removeprefix("INC")
    if not digits.isdecimal() or format_number(int(digits)) != number:
        return None
    return int(digits)


class Times:
    """ "D/M/YYYY HH:MM" in a time zone, as aware UTC datetimes; a log repeats its
    timestamps many times, so each text is parsed once."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._seen: dict[str, datetime] = {}

    def parse(self, text: str) -> datetime | None:
        """None for "?" or empty; ValueError for anything else that is not a time."""
        if text in (MISSING, ""):
            return None
        value = self._seen.get(text)
        if value is None:
            date, _, clock = text.partition(" ")
            day, month, year = date.split("/")
            hour, _, minute = clock.partition(":")
            local = datetime(int(year), int(month), int(day), int(hour), int(minute or 0))
            value = local.replace(tzinfo=self.zone).astimezone(UTC)
            self._seen[text] = value
        return value


def level(text: str | None) -> int | None:
    """The leading digit of "2 - Medium"."""
    if not text or not text[0].isdigit():
        return None
    return int(text[0])


@dataclass(frozen=True, slots=True)
class Row:
    """One accepted source row: an update of one incident."""

    line: int
    number: str
    mod_count: int
    updated_at: datetime
    cells: Sequence[str]
    columns: Mapping[str, int]  # the header's: name -> position, shared by every row

    def get(self, name: str) -> str | None:
        """The cell of a column; None when it is "?", empty or not in the file."""
        at = self.columns.get(name)
        if at is None:
            return None
        value = self.cells[at]
        return None if value in (MISSING, "") else value


@dataclass(frozen=True, slots=True)
class Event:
    """One timeline entry: the source row's update as Tocsin records changes."""

    at: datetime
    actor_label: str
    kind: str
    changes: dict[str, Any]
    message: str


@dataclass(slots=True)
class Record:
    """One incident as the log leaves it, with its history."""

    number: str
    title: str
    description: str
    state: State
    hold_reason: HoldReason | None
    impact: int
    urgency: int
    priority: int
    priority_overridden: bool
    category: str | None
    subcategory: str | None
    service: str | None
    team: str | None
    assignee: str | None  # source label ("Resolver 12"); e-mail by email_for
    requester: str | None
    problem: str | None
    tags: list[str]
    reopen_count: int
    reassignment_count: int
    made_sla: bool | None
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    events: list[Event] = field(default_factory=list)


@dataclass(slots=True)
class Parsed:
    records: list[Record]
    rows_read: int
    skipped: Counter[str]


def open_rows(path: Path) -> Iterator[list[str]]:
    """The CSV rows of a .csv file or of the first .csv inside a .zip, header first."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = [
                    n
                    for n in archive.namelist()
                    if n.lower().endswith(".csv") and not n.startswith("__MACOSX/")
                ]
                if not names:
                    raise BadFile(f"{path.name} holds no .csv file")
                with archive.open(names[0]) as raw:
                    yield from csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
            return
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield from csv.reader(text)
    except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile) as exc:
        raise BadFile(f"{path.name} is not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise BadFile(f"{path.name} cannot be read: {exc.strerror or exc}") from None


def accept_rows(
    lines: Iterable[Sequence[str]], times: Times, skipped: Counter[str]
) -> Iterator[Row]:
    """The rows that name an incident and an update time; the rest counted by reason."""
    iterator = iter(lines)
    header = next(iterator, None)
    if header is None:
        raise BadFile("the file is empty")
    names = [h.strip() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise BadFile(
            "this is not a ServiceNow incident event log: the columns "
            + ", ".join(missing)
            + " are missing"
        )
    width = len(names)
    columns = {name: at for at, name in enumerate(names)}
    number_at, mod_at = columns["number"], columns["sys_mod_count"]
    numbers: set[str] = set()  # the well-formed numbers seen: each is checked once
    updated_at_, opened_at_ = columns["sys_updated_at"], columns["opened_at"]
    for line, cells in enumerate(iterator, start=2):
        if not any(cells):
            continue
        if len(cells) != width:
            skipped["wrong number of columns"] += 1
            continue
        number = cells[number_at]
        if number not in numbers and number_value(number) is None:
            skipped["number not like INC0000001"] += 1
            continue
        mod = cells[mod_at]
        if not mod.isdecimal():
            skipped["sys_mod_count not a number"] += 1
            continue
        try:
            updated_at = times.parse(cells[updated_at_])
            times.parse(cells[opened_at_])
        except (ValueError, IndexError):
            skipped["unreadable date"] += 1
            continue
        if updated_at is None:
            skipped["no sys_updated_at"] += 1
            continue
        numbers.add(number)
        yield Row(line, number, int(mod), updated_at, cells, columns)


def _title(final: Row, number: str) -> str:
    where = " / ".join(x for x in (final.get("category"), final.get("subcategory")) if x)
    symptom = final.get("u_symptom")
    ci = final.get("cmdb_ci")
    head = symptom or where or f"Imported incident {number}"
    rest = [x for x in ((where if symptom else None), ci) if x]
    title = f"{head} ({', '.join(rest)})" if rest else head
    return title[:TITLE_MAX]


def _description(final: Row) -> str:
    lines = ["Imported from ServiceNow."]
    lines += [f"{label}: {final.get(name)}" for name, label in DETAILS if final.get(name)]
    return "\n".join(lines)


def _tags(final: Row) -> list[str]:
    tags = ["servicenow"]
    for name, prefix in (("contact_type", "contact"), ("location", "location")):
        value = final.get(name)
        if value:
            tags.append(f"{prefix}:{slug(value)}"[:50])
    if final.get("u_symptom"):
        tags.append(f"symptom:{slug(final.get('u_symptom') or '')}"[:50])
    if final.get("knowledge") == "true":
        tags.append("knowledge")
    return tags


def _state(row: Row) -> tuple[State, HoldReason | None] | None:
    return STATES.get(row.get("incident_state") or "")


def _snapshot(
    row: Row, state: tuple[State, HoldReason | None] | None, domain: str
) -> dict[str, Any]:
    """The tracked fields as an incident's answer names them (team slug, user e-mail)."""
    team, assignee = row.get("assignment_group"), row.get("assigned_to")
    return {
        "state": state[0].value if state else None,
        "hold_reason": state[1].value if state and state[1] else None,
        "team": slug(team) if team else None,
        "assignee": email_for(assignee, domain) if assignee else None,
        "impact": level(row.get("impact")),
        "urgency": level(row.get("urgency")),
        "priority": level(row.get("priority")),
    }


def _events(rows: Sequence[Row], domain: str) -> list[Event]:
    events = []
    before: dict[str, Any] = dict.fromkeys(TRACKED)
    last_state: tuple[State, HoldReason | None] | None = None
    for n, row in enumerate(rows):
        raw_state = row.get("incident_state") or MISSING
        known = STATES.get(raw_state)
        state = known or last_state
        now = _snapshot(row, state, domain)
        changes = {k: [before[k], now[k]] for k in TRACKED if before[k] != now[k]}
        message = f"ServiceNow update {row.mod_count}: {raw_state}"
        if known is None:
            message += " (not a known state: the state is left as it was)"
        events.append(
            Event(
                at=row.updated_at,
                actor_label=row.get("sys_updated_by") or "servicenow",
                kind="created" if n == 0 else "updated",
                changes=changes,
                message=message,
            )
        )
        before, last_state = now, state
    return events


def build(
    number: str,
    rows: Sequence[Row],
    *,
    times: Times,
    matrix: Mapping[str, int],
    domain: str = EMAIL_DOMAIN,
) -> Record | str:
    """The incident of one number from its rows in update order (ties: file order), or why
    it cannot be imported."""
    final = rows[-1]
    known = [s for s in (_state(r) for r in rows) if s is not None]
    if not known:
        return "no row in a known state"
    state, hold = _state(final) or known[-1]
    impact, urgency = level(final.get("impact")), level(final.get("urgency"))
    priority = level(final.get("priority"))
    if impact not in (1, 2, 3) or urgency not in (1, 2, 3):
        return "impact or urgency not 1-3"
    if priority is None or not 1 <= priority <= 5:
        return "priority not 1-5"
    opened_at = times.parse(final.get("opened_at") or "")
    if opened_at is None:
        return "no opened_at"
    acknowledged = [r.updated_at for r in rows if r.get("incident_state") != "New"]
    made_sla = final.get("made_sla")
    return Record(
        number=number,
        title=_title(final, number),
        description=_description(final),
        state=state,
        hold_reason=hold if state is State.ON_HOLD else None,
        impact=impact,
        urgency=urgency,
        priority=priority,
        priority_overridden=priority != derive_priority(matrix, impact=impact, urgency=urgency),
        category=final.get("category"),
        subcategory=final.get("subcategory") if final.get("category") else None,
        service=final.get("cmdb_ci"),
        team=final.get("assignment_group"),
        assignee=final.get("assigned_to"),
        requester=final.get("caller_id"),
        problem=final.get("problem_id"),
        tags=_tags(final),
        reopen_count=int(final.get("reopen_count") or 0),
        reassignment_count=int(final.get("reassignment_count") or 0),
        made_sla=None if made_sla is None else made_sla == "true",
        opened_at=opened_at,
        acknowledged_at=min(acknowledged) if acknowledged else None,
        resolved_at=times.parse(final.get("resolved_at") or ""),
        closed_at=times.parse(final.get("closed_at") or ""),
        updated_at=max(r.updated_at for r in rows),
        events=_events(rows, domain),
    )


def parse(
    lines: Iterable[Sequence[str]],
    *,
    zone: tzinfo,
    matrix: Mapping[str, int],
    domain: str = EMAIL_DOMAIN,
) -> Parsed:
    """A whole log: its incidents in order of first appearance, rows read, rows skipped by
    reason (an incident that cannot be imported skips all of its rows)."""
    times = Times(zone)
    skipped: Counter[str] = Counter()
    grouped: dict[str, list[Row]] = {}
    rows_read = 0
    for row in accept_rows(lines, times, skipped):
        rows_read += 1
        grouped.setdefault(row.number, []).append(row)
    rows_read += sum(skipped.values())
    records = []
    for number, rows in grouped.items():
        rows.sort(key=lambda r: (r.mod_count, r.line))
        try:
            record = build(number, rows, times=times, matrix=matrix, domain=domain)
        except (ValueError, IndexError):
            record = "unreadable value in the last row"
        if isinstance(record, str):
            skipped[record] += len(rows)
        else:
            records.append(record)
    return Parsed(records=records, rows_read=rows_read, skipped=skipped)
