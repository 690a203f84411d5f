"""What the incident page shows beyond the incident itself: the next step, the SLA timers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tocsin.incidents.lifecycle import Action, State
from tocsin.sla.schemas import SlaOut, SlaTargetOut

# The step most people take next from each state: its button is the prominent one.
NEXT_STEP: dict[State, Action] = {
    State.NEW: Action.ACKNOWLEDGE,
    State.ASSIGNED: Action.ACKNOWLEDGE,
    State.IN_PROGRESS: Action.RESOLVE,
    State.ON_HOLD: Action.RESUME,
    State.RESOLVED: Action.CLOSE,
}

# Actions done with one click; the others open a small form (a reason, a team, notes).
ONE_CLICK = frozenset({Action.ACKNOWLEDGE, Action.START, Action.RESUME, Action.CLOSE})

# The submit button of each action's form, named after what it does.
SUBMIT_LABELS: dict[Action, str] = {
    Action.ASSIGN: "Save assignment",
    Action.HOLD: "Put on hold",
    Action.RESOLVE: "Resolve incident",
    Action.REOPEN: "Reopen incident",
    Action.CANCEL: "Cancel incident",
}

TimerState = Literal["met", "breached", "paused", "warning", "running"]


@dataclass(frozen=True, slots=True)
class SlaTimer:
    """One SLA target as the page shows it: a countdown while it runs, else its outcome."""

    name: str
    state: TimerState
    due_at: datetime | None
    met_at: datetime | None


def _timer(name: str, target: SlaTargetOut, sla: SlaOut) -> SlaTimer:
    state: TimerState
    if target.met_at is not None:
        state = "breached" if target.breached else "met"
    elif target.breached:
        state = "breached"
    elif target.due_at is None or sla.state == "paused":
        state = "paused"
    elif sla.state == "warning":
        # The SLA service decides when a policy is at risk; an open target shares it.
        state = "warning"
    else:
        state = "running"
    return SlaTimer(name=name, state=state, due_at=target.due_at, met_at=target.met_at)


def sla_timers(sla: SlaOut | None) -> list[SlaTimer]:
    if sla is None:
        return []
    return [_timer("Response", sla.response, sla), _timer("Resolution", sla.resolution, sla)]
