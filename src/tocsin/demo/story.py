"""One incident's history as a list of timed steps (pure; the loader replays them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from tocsin.incidents.lifecycle import Action, State
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch, NoteIn

MONITORING = "system:monitoring"
AUTO_CLOSE = "system:auto-close"


class Op(StrEnum):
    CREATE = "create"
    PATCH = "patch"
    ACTION = "action"
    NOTE = "note"
    AUTO_CLOSE = "auto_close"  # an engine pass closing what was resolved a week ago


Payload = IncidentIn | IncidentPatch | ActionIn | NoteIn | None


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    incident: int  # index of the incident in the plan; -1 for engine passes
    seq: int  # order within the incident
    actor: str  # an e-mail, or "system:<name>"
    op: Op
    data: Payload = None
    action: Action | None = None
    duplicate_of: int | None = None  # cancel reasons naming another incident's number
    # What the planner expects afterwards (used to shape the open queue, never executed).
    state: State = State.NEW
    owner: str | None = None
    team: str | None = None

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, self.incident, self.seq)


@dataclass(slots=True)
class Story:
    """Builds one incident's steps in time order, tracking state, team and owner."""

    index: int
    at: datetime
    state: State = State.NEW
    team: str | None = None
    owner: str | None = None
    steps: list[Step] = field(default_factory=list)
    # When the engine would auto-close it (None: closed by hand, cancelled, or open).
    auto_close_at: datetime | None = None

    def wait(self, delta: timedelta) -> None:
        self.at += delta

    def add(
        self,
        actor: str,
        op: Op,
        data: Payload = None,
        *,
        action: Action | None = None,
        state: State | None = None,
        duplicate_of: int | None = None,
    ) -> None:
        if self.steps and self.at <= self.steps[-1].at:
            self.at = self.steps[-1].at + timedelta(seconds=1)
        if state is not None:
            self.state = state
        self.steps.append(
            Step(
                at=self.at,
                incident=self.index,
                seq=len(self.steps),
                actor=actor,
                op=op,
                data=data,
                action=action,
                duplicate_of=duplicate_of,
                state=self.state,
                owner=self.owner,
                team=self.team,
            )
        )

    def act(
        self,
        actor: str,
        action: Action,
        data: ActionIn | None = None,
        *,
        state: State | None = None,
        duplicate_of: int | None = None,
    ) -> None:
        self.add(
            actor,
            Op.ACTION,
            data or ActionIn(),
            action=action,
            state=state,
            duplicate_of=duplicate_of,
        )

    def note(self, actor: str, body: str, *, internal: bool) -> None:
        self.add(actor, Op.NOTE, NoteIn(body=body, internal=internal))

    def cut(self, now: datetime) -> None:
        """Forget what would happen after `now`."""
        self.steps = [s for s in self.steps if s.at <= now]
        if self.auto_close_at is not None and self.auto_close_at > now:
            self.auto_close_at = None

    def truncate(self, length: int) -> None:
        """Keep the first `length` steps (the incident stalls there)."""
        self.steps = self.steps[:length]
        self.auto_close_at = None
        last = self.steps[-1] if self.steps else None
        self.state = last.state if last else State.NEW
        self.owner = last.owner if last else None
        self.team = last.team if last else None
        self.at = last.at if last else self.at

    def final_state(self) -> State:
        if not self.steps:
            return State.NEW
        state = self.steps[-1].state
        if state is State.RESOLVED and self.auto_close_at is not None:
            return State.CLOSED
        return state

    def first(self, action: Action) -> int | None:
        for position, step in enumerate(self.steps):
            if step.action is action:
                return position
        return None


def timeline(stories: list[Story]) -> list[Step]:
    """Every step of every story plus the engine's auto-close passes, in time order."""
    steps = [step for story in stories for step in story.steps]
    steps += [
        Step(at=s.auto_close_at, incident=-1, seq=s.index, actor=AUTO_CLOSE, op=Op.AUTO_CLOSE)
        for s in stories
        if s.auto_close_at is not None
    ]
    return sorted(steps, key=lambda s: s.key)
