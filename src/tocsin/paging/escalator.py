"""Escalation runs: started when an incident opens, stopped when someone acknowledges,
stepped by the engine when a level's delay has passed.

Each step is one transaction: the run moves on, the pages are enqueued (each with a
dedupe key naming the run's generation, round, level and user, so a step redone after a
crash enqueues nothing twice), and the timeline says which level was reached and who was
paged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.db.session import UnitOfWork
from tocsin.incidents.models import Incident
from tocsin.incidents.service import IncidentService
from tocsin.oncall.specs import PolicySpec, policy_for
from tocsin.paging.escalation import Position, describe, step
from tocsin.paging.messages import draft
from tocsin.paging.models import EscalationRun
from tocsin.paging.pages import Pager
from tocsin.paging.snapshot import IncidentSnapshot, load_snapshots
from tocsin.paging.targets import recipients


@dataclass
class Escalator:
    incidents: IncidentService
    pager: Pager
    principal: Callable[[Session], Principal]

    # driven by events ------------------------------------------------------------------

    def start(self, uow: UnitOfWork, snapshot: IncidentSnapshot, at: datetime) -> bool:
        """Begin (or, for a reopened incident, begin again) the run of the incident's
        policy; its first level is paged by the next step, at once."""
        policy = policy_for(uow.session, service_id=snapshot.service_id, team_id=snapshot.team_id)
        if policy is None or not policy.levels:
            return False
        run = uow.session.get(EscalationRun, snapshot.id)
        if run is None:
            uow.session.add(
                EscalationRun(
                    incident_id=snapshot.id,
                    policy_id=policy.id,
                    generation=1,
                    level=0,
                    round=0,
                    status="active",
                    next_at=at,
                    started_at=at,
                    updated_at=at,
                )
            )
        elif run.status != "active" or run.started_at < at:
            run.policy_id = policy.id
            run.generation += 1
            run.level = run.round = 0
            run.status, run.stop_reason = "active", None
            run.next_at = run.started_at = run.updated_at = at
        return True

    def stop(self, uow: UnitOfWork, incident_id: int, reason: str, at: datetime) -> None:
        run = uow.session.get(EscalationRun, incident_id)
        if run is not None and run.status == "active":
            run.status, run.stop_reason, run.next_at, run.updated_at = "stopped", reason, None, at

    def escalate_now(self, uow: UnitOfWork, snapshot: IncidentSnapshot, at: datetime) -> None:
        """Page the run's next level now (an SLA breach set to escalate). A stopped or
        exhausted run is taken up again where it was; an incident without a run starts
        one."""
        run = uow.session.get(EscalationRun, snapshot.id)
        if run is None:
            self.start(uow, snapshot, at)
            return
        run.status, run.stop_reason, run.next_at, run.updated_at = "active", None, at, at

    # driven by the clock -----------------------------------------------------------------

    def run_due(self, uow: UnitOfWork, now: datetime, *, limit: int = 200) -> int:
        """Take every step that is due; returns how many were taken."""
        session = uow.session
        runs = list(
            session.scalars(
                select(EscalationRun)
                .where(EscalationRun.status == "active", EscalationRun.next_at <= now)
                .order_by(EscalationRun.next_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        snapshots = load_snapshots(session, [run.incident_id for run in runs])
        # What the steps add (timeline entries, runs moved on) is read by none of them:
        # it is written once, at commit, instead of before each step's first query.
        with session.no_autoflush:
            for run in runs:
                self._step(uow, run, snapshots[run.incident_id], now)
        return len(runs)

    def _step(
        self, uow: UnitOfWork, run: EscalationRun, snapshot: IncidentSnapshot, now: datetime
    ) -> None:
        session = uow.session
        if not snapshot.is_open or snapshot.acknowledged_at is not None:
            self.stop(uow, run.incident_id, "acknowledged", now)
            return
        policy = policy_for(session, service_id=snapshot.service_id, team_id=snapshot.team_id)
        if policy is None or not policy.levels:
            self.stop(uow, run.incident_id, "no escalation policy", now)
            return
        taken = step([lv.delay_minutes for lv in policy.levels], policy.repeat, _position(run))
        found = recipients(session, policy.levels[taken.page.level], now)
        first = taken.page == Position(0, 0)
        message = draft(
            snapshot,
            kind="paged" if first else "escalated",
            base_url=self.pager.base_url,
            data={"level": taken.page.level + 1, "round": taken.page.round + 1},
        )
        paged = []
        for user_id, email in found.users:
            methods = self.pager.page(
                uow,
                user_id=user_id,
                snapshot=snapshot,
                message=message,
                dedupe_prefix=(
                    f"esc:{run.incident_id}:{run.generation}:{taken.page.round}:"
                    f"{taken.page.level}:{user_id}"
                ),
                at=now,
            )
            paged.append(f"{email} ({methods})")
        self._log(uow, snapshot, policy, taken.page, paged, found.empty)
        run.updated_at = now
        if taken.following is None:
            run.status, run.stop_reason, run.next_at = "exhausted", "every level paged", None
        else:
            run.level, run.round = taken.following.level, taken.following.round
            # Nobody to page at this level: go on to the next one at once.
            run.next_at = now + taken.wait if paged else now

    def _log(
        self,
        uow: UnitOfWork,
        snapshot: IncidentSnapshot,
        policy: PolicySpec,
        page: Position,
        paged: list[str],
        empty: list[str],
    ) -> None:
        where = describe(page, len(policy.levels), policy.repeat)
        message = f"Escalation policy {policy.name}: {where} reached"
        message += f"; paged {', '.join(paged)}." if paged else "; nobody to page."
        if empty:
            message += f" Nobody on call in {', '.join(empty)}."
        incident = uow.session.get(Incident, snapshot.id)
        assert incident is not None
        # The first level of the first round is the page an incident opens with; every
        # later step is an escalation (what channels subscribe to as incident.escalated).
        first = page == Position(0, 0)
        self.incidents.log(
            uow,
            self.principal(uow.session),
            incident,
            kind="paged" if first else "escalated",
            message=message,
            extra={
                "policy": policy.slug,
                "level": page.level + 1,
                "round": page.round + 1,
                "paged": paged,
            },
        )


def _position(run: EscalationRun) -> Position:
    return Position(run.level, run.round)
