"""The generated part of a review (pure): from an incident's record, its timeline and its
alerts, when it was detected, acknowledged, escalated, worked and resolved, with the
durations between, and the key events in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Timeline kinds that end a stretch on hold (the lifecycle's ways out of on_hold).
_HOLD_ENDS = frozenset({"resume", "resolve", "cancel"})
# Timeline kinds a review lists, and how each reads; the rest (field edits, alert repeats)
# are noise in a review. Notes are the actions people took.
KEY_KINDS: dict[str, str] = {
    "created": "Opened",
    "alert": "Alert",
    "alert_grouped": "Alert joined",
    "acknowledge": "Acknowledged",
    "start": "Work started",
    "assign": "Assigned",
    "paged": "Paged",
    "escalated": "Escalated",
    "hold": "Put on hold",
    "resume": "Resumed",
    "work_note": "Work note",
    "comment": "Comment",
    "linked": "Linked",
    "resolve": "Resolved",
    "reopen": "Reopened",
    "close": "Closed",
    "cancel": "Cancelled",
}


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    number: str
    title: str
    priority: int
    major: bool
    state: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One timeline entry, note or alert as the generator reads it."""

    at: datetime
    kind: str
    actor: str = ""
    message: str = ""


@dataclass(frozen=True, slots=True)
class KeyEvent:
    at: datetime
    kind: str
    label: str
    actor: str
    message: str


@dataclass(frozen=True, slots=True)
class Summary:
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    # seconds, wall clock from opened_at (the reports' MTTA / MTTR definitions)
    time_to_acknowledge: int | None
    time_to_resolve: int | None
    time_on_hold: int
    escalations: int
    events: list[KeyEvent] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "detected_at": self.detected_at.isoformat(),
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
            "time_to_acknowledge": self.time_to_acknowledge,
            "time_to_resolve": self.time_to_resolve,
            "time_on_hold": self.time_on_hold,
            "escalations": self.escalations,
            "events": [
                {
                    "at": e.at.isoformat(),
                    "kind": e.kind,
                    "label": e.label,
                    "actor": e.actor,
                    "message": e.message,
                }
                for e in self.events
            ],
        }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _seconds(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return int((end - start).total_seconds())


def on_hold_seconds(entries: list[Entry], until: datetime | None) -> int:
    """Seconds spent on hold: each "hold" entry to the next way out of on_hold (or
    `until`, when the incident is still on hold at the end)."""
    total = 0.0
    since: datetime | None = None
    for entry in sorted(entries, key=lambda e: e.at):
        if entry.kind == "hold" and since is None:
            since = entry.at
        elif entry.kind in _HOLD_ENDS and since is not None:
            total += (entry.at - since).total_seconds()
            since = None
    if since is not None and until is not None and until > since:
        total += (until - since).total_seconds()
    return int(total)


def summarise(incident: IncidentFacts, entries: list[Entry], alerts: list[Entry]) -> Summary:
    """The review's generated summary. `entries`: the incident's timeline and notes;
    `alerts`: its alerts at their first sighting."""
    detected_at = min([incident.opened_at, *(a.at for a in alerts)])
    everything = sorted([*entries, *alerts], key=lambda e: (e.at, e.kind != "alert"))
    events = [
        KeyEvent(
            at=e.at,
            kind=e.kind,
            label=KEY_KINDS[e.kind],
            actor=e.actor,
            message=e.message,
        )
        for e in everything
        if e.kind in KEY_KINDS
    ]
    return Summary(
        detected_at=detected_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        time_to_acknowledge=_seconds(incident.opened_at, incident.acknowledged_at),
        time_to_resolve=_seconds(incident.opened_at, incident.resolved_at),
        time_on_hold=on_hold_seconds(entries, incident.resolved_at or incident.closed_at),
        escalations=sum(1 for e in entries if e.kind == "escalated"),
        events=events,
    )


def duration_text(seconds: int | None) -> str:
    """A duration as people read it: 1 h 05 min, 4 min 10 s, or a dash when unknown."""
    if seconds is None:
        return "-"
    if seconds < 0:
        return f"-{duration_text(-seconds)}"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
