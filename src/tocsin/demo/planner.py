"""Planning the demo's history (pure): which incidents open when, and what happens next.

Everything comes from one random.Random, so the same seed gives the same history
(relative to the moment it ends). The loader replays the steps in time order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin.demo import phrases
from tocsin.demo.people import CUSTOMERS, Person, members_of, person, requesters_of, service
from tocsin.demo.story import MONITORING, Op, Story
from tocsin.demo.vocabulary import TEMPLATES, Source, Template
from tocsin.incidents.lifecycle import OPEN_STATES, Action, HoldReason, ResolutionCode, State
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentPatch

HISTORY_DAYS = 60
AUTO_CLOSE_AFTER = timedelta(days=7)
PRIORITY_WEIGHTS = {1: 2.0, 2: 6.0, 3: 36.0, 4: 31.0, 5: 22.0}
# Minutes to the first response and hours of work to the fix, by priority (log-uniform).
ACK_MINUTES = {1: (2, 10), 2: (4, 30), 3: (10, 150), 4: (20, 480), 5: (30, 900)}
WORK_HOURS = {1: (0.6, 4), 2: (1.5, 12), 3: (3, 48), 4: (6, 120), 5: (10, 200)}
RESOLUTION_CODES = {
    ResolutionCode.SOLVED_PERMANENTLY: 60,
    ResolutionCode.SOLVED_WORKAROUND: 20,
    ResolutionCode.NOT_REPRODUCIBLE: 6,
    ResolutionCode.RESOLVED_BY_REQUESTER: 6,
    ResolutionCode.TOO_COSTLY: 2,
}
ESCALATION = {
    "service-desk": ("network", "platform", "databases"),
    "network": ("platform",),
    "databases": ("platform",),
    "platform": ("databases", "network"),
    "security": ("platform", "network"),
    "acme-it": ("platform",),
}


@dataclass(frozen=True, slots=True)
class Opening:
    at: datetime
    service: str  # "" for none
    template: Template
    source: Source
    customer: str | None  # None: the provider itself (default customer)
    requester: Person | None
    priority: int
    words: dict[str, str]  # the incident's placeholder values


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class Planner:
    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        matrix: Mapping[str, int],
        categories: Mapping[str, set[str]],
        open_share: float = 0.1,
    ) -> None:
        self.rng = rng
        self.now = now
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.categories = categories
        self.open_share = open_share
        self.pairs: dict[int, list[tuple[int, int]]] = {}
        for key, priority in sorted(matrix.items()):
            impact, urgency = (int(x) for x in key.split("x"))
            self.pairs.setdefault(priority, []).append((impact, urgency))
        self.choices = [(slug, t) for slug, group in TEMPLATES.items() for t in group]
        self.weights = [
            t.weight * (1.3 if slug and service(slug).customer else 1.0) for slug, t in self.choices
        ]
        self.desk = [p.email for p in members_of("service-desk")]

    # time ----------------------------------------------------------------------------

    def _when(self, source: Source) -> datetime:
        """Alerts come at any hour; people report on weekdays, in office hours."""
        rng = self.rng
        while True:
            at = self.start + timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
            if source is Source.MONITORING:
                return at
            weekend = at.weekday() >= 5
            if 7 <= at.hour < 18 and rng.random() < (0.25 if weekend else 1.0):
                return at

    def _later(self, story: Story, o: Opening, delta: timedelta) -> None:
        """Move on; below P2, people act in office hours (Mon-Fri 07:00-19:00 UTC)."""
        story.wait(delta)
        at = story.at
        if o.priority <= 2 or (at.weekday() < 5 and 7 <= at.hour < 19):
            return
        day = at if at.hour < 7 else at + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        story.at = day.replace(hour=7, minute=0, second=0) + timedelta(
            minutes=self.rng.uniform(0, 120)
        )

    # openings ------------------------------------------------------------------------

    def _opening(self, *, fresh: bool) -> Opening:
        rng = self.rng
        while True:
            slug, template = rng.choices(self.choices, self.weights)[0]
            if not fresh or Source.PORTAL in template.sources:
                break
        sources = list(template.sources)
        source = (
            Source.PORTAL if fresh else rng.choices(sources, [6.0, 3.0, 1.0][: len(sources)])[0]
        )
        owner = service(slug).customer if slug else None
        if owner is not None:
            customer: str | None = owner
        elif source is Source.MONITORING and rng.random() < 0.5:
            customer = None
        else:
            customer = rng.choices([c.slug for c in CUSTOMERS], [c.weight for c in CUSTOMERS])[0]
        requester = None
        if source is not Source.MONITORING and customer is not None:
            requester = rng.choice(requesters_of(customer))
        options = list(template.priorities)
        priority = rng.choices(options, [PRIORITY_WEIGHTS[p] for p in options])[0]
        at = self.now - timedelta(minutes=rng.uniform(10, 180)) if fresh else self._when(source)
        words = phrases.words(rng)
        if requester is not None:
            words["first"] = requester.first_name
        return Opening(at, slug, template, source, customer, requester, priority, words)

    # building blocks -------------------------------------------------------------------

    def _category(self, template: Template) -> dict[str, Any]:
        children = self.categories.get(template.category)
        if children is None:
            return {}
        if template.subcategory is None or template.subcategory not in children:
            return {"category": template.category}
        return {"category": template.category, "subcategory": template.subcategory}

    def _levels(self, priority: int) -> tuple[int, int]:
        """An impact/urgency pair the matrix turns into `priority` (or the nearest one)."""
        nearest = min(self.pairs, key=lambda p: (abs(p - priority), p))
        return self.rng.choice(self.pairs[nearest])

    def _member(self, team: str) -> str:
        people = members_of(team)
        weights = [3.0 if p.role.value == "agent" else 1.0 for p in people]
        return self.rng.choices(people, weights)[0].email

    def _owner(self, story: Story) -> str:
        if story.owner is None:
            story.owner = self._member(story.team or "service-desk")
        return story.owner

    def _say(self, o: Opening, options: tuple[str, ...], **extra: str) -> str:
        return phrases.fill(self.rng.choice(options), o.words | extra)

    # one incident ----------------------------------------------------------------------

    def _open(self, story: Story, o: Opening, *, fresh: bool) -> None:
        rng = self.rng
        slug = o.service
        team = service(slug).team if slug else "service-desk"
        impact, urgency = self._levels(o.priority)
        fields: dict[str, Any] = {
            "title": phrases.fill(o.template.title, o.words),
            "description": phrases.fill(o.template.description, o.words),
            "type": o.template.kind,
            **self._category(o.template),
        }
        if o.source is Source.MONITORING:
            story.wait(timedelta(minutes=rng.uniform(1, 4)))
            fields |= {"impact": impact, "urgency": urgency, "tags": ["alert"]}
            fields |= {"service": slug, "opened_at": o.at, "major": o.priority == 1}
            if o.customer is not None and not service(slug).customer:
                fields["customer"] = o.customer
            story.team = team
            data = IncidentIn.model_validate(fields)
            story.add(MONITORING, Op.CREATE, data, state=State.ASSIGNED)
            return
        assert o.requester is not None
        assert o.customer is not None
        if o.source is Source.DESK:
            desk = rng.choice(self.desk)
            fields |= {"impact": impact, "urgency": urgency, "team": team, "major": o.priority == 1}
            fields |= {"customer": o.customer, "requester": o.requester.email}
            if slug:
                fields["service"] = slug
            if team == "service-desk" and rng.random() < 0.5:
                fields["assignee"] = story.owner = desk
            story.team = team
            story.add(desk, Op.CREATE, IncidentIn.model_validate(fields), state=State.ASSIGNED)
            return
        # The portal: the requester fills the form, the service desk triages it. A
        # requester may pick one of its own customer's services: routed to its team.
        fields["urgency"] = rng.choice((1, 2, 2, 3))
        colleagues = [p for p in requesters_of(o.customer) if p != o.requester]
        if colleagues and rng.random() < 0.15:
            fields["shared_with"] = [rng.choice(colleagues).email]
        state = State.NEW
        if not fresh and slug and service(slug).customer == o.customer and rng.random() < 0.6:
            fields["service"] = slug
            story.team, state = team, State.ASSIGNED
        story.add(o.requester.email, Op.CREATE, IncidentIn.model_validate(fields), state=state)

    def _triage(self, story: Story, o: Opening) -> None:
        rng = self.rng
        desk = rng.choice(self.desk)
        impact, urgency = self._levels(o.priority)
        patch: dict[str, Any] = {"impact": impact, "urgency": urgency}
        routed = story.team is not None  # the requester named the service
        if o.service and not routed:
            patch["service"] = o.service
        if o.priority == 1:
            patch["major"] = True
        elif o.priority > 2 and rng.random() < 0.04:
            patch["priority"] = o.priority - 1
            patch["priority_reason"] = rng.choice(phrases.OVERRIDE_REASONS)
        self._later(story, o, timedelta(minutes=_log_uniform(rng, 4, 50)))
        story.add(desk, Op.PATCH, IncidentPatch.model_validate(patch))
        if routed:
            return
        story.team = service(o.service).team if o.service else "service-desk"
        assign: dict[str, Any] = {"team": story.team}
        if story.team == "service-desk" and rng.random() < 0.4:
            assign["assignee"] = story.owner = desk
        story.wait(timedelta(minutes=rng.uniform(0.5, 3)))
        story.act(desk, Action.ASSIGN, ActionIn.model_validate(assign), state=State.ASSIGNED)

    def _cancel(self, story: Story, o: Opening, earlier: dict[str, list[int]]) -> None:
        rng = self.rng
        self._later(story, o, timedelta(minutes=_log_uniform(rng, 10, 300)))
        reason = rng.choice(phrases.CANCEL_REASONS)
        duplicate = None
        if o.source is Source.MONITORING:
            reason = "False positive: the probe itself was failing."
        elif "{dup}" in reason:
            candidates = earlier.get(o.service or o.template.title, [])
            duplicate = candidates[-1] if candidates else None
            reason = reason if candidates else phrases.CANCEL_REASONS[1]
        story.act(
            rng.choice(self.desk),
            Action.CANCEL,
            ActionIn(reason=reason),
            state=State.CANCELLED,
            duplicate_of=duplicate,
        )

    def _work(self, story: Story, o: Opening) -> None:
        """From the acknowledgement to the first resolution."""
        rng = self.rng
        self._later(story, o, timedelta(minutes=_log_uniform(rng, *ACK_MINUTES[o.priority])))
        story.act(self._owner(story), Action.ACKNOWLEDGE, state=State.IN_PROGRESS)
        work = timedelta(hours=_log_uniform(rng, *WORK_HOURS[o.priority]))
        if o.requester is not None and rng.random() < 0.6:
            story.wait(timedelta(minutes=rng.uniform(2, 15)))
            story.note(self._owner(story), self._say(o, phrases.FIRST_COMMENTS), internal=False)
        for _ in range(rng.choice((0, 1, 1, 2))):
            self._later(story, o, work * rng.uniform(0.1, 0.25))
            notes = o.template.notes + phrases.INVESTIGATION_NOTES
            story.note(self._owner(story), self._say(o, notes), internal=True)
        targets = [t for t in ESCALATION.get(story.team or "", ()) if t != story.team]
        if o.template.escalate_to and o.template.escalate_to != story.team:
            targets = [o.template.escalate_to]
        if targets and rng.random() < 0.14:
            self._hand_over(story, o, rng.choice(targets), work)
        if rng.random() < 0.16:
            self._hold(story, o, work)
        self._later(story, o, work * rng.uniform(0.3, 0.6))
        self._resolve(story, o, o.template.fixes or phrases.GENERIC_FIXES)

    def _hand_over(self, story: Story, o: Opening, target: str, work: timedelta) -> None:
        rng = self.rng
        self._later(story, o, work * rng.uniform(0.1, 0.3))
        current = self._owner(story)
        story.note(current, self._say(o, phrases.HANDOVER_NOTES, team=target), internal=True)
        # Customer-side staff do not see the provider's teams: the service desk transfers.
        mover = current if person(current).customer is None else rng.choice(self.desk)
        story.team = target
        if current not in {p.email for p in members_of(target)}:
            story.owner = None
        story.act(mover, Action.ASSIGN, ActionIn(team=target))
        if story.owner is None:
            self._later(story, o, timedelta(minutes=_log_uniform(rng, 5, 90)))
            story.owner = taker = self._member(target)
            story.act(taker, Action.ASSIGN, ActionIn(assignee=taker))
            story.note(taker, rng.choice(phrases.TAKE_NOTES), internal=True)

    def _hold(self, story: Story, o: Opening, work: timedelta) -> None:
        rng = self.rng
        reasons = list(phrases.HOLD_WEIGHTS)
        weights = list(phrases.HOLD_WEIGHTS.values())
        if o.requester is None:
            weights[reasons.index(HoldReason.AWAITING_REQUESTER)] = 0
        reason = rng.choices(reasons, weights)[0]
        self._later(story, o, work * rng.uniform(0.1, 0.2))
        owner = self._owner(story)
        if reason is HoldReason.AWAITING_REQUESTER:
            story.note(owner, self._say(o, phrases.ASK_REQUESTER), internal=False)
        else:
            story.note(owner, self._say(o, phrases.HOLD_NOTES[reason]), internal=True)
        story.act(owner, Action.HOLD, ActionIn(reason=reason.value), state=State.ON_HOLD)
        self._later(story, o, timedelta(hours=_log_uniform(rng, 2, 72)))
        if reason is HoldReason.AWAITING_REQUESTER and o.requester is not None:
            story.note(o.requester.email, rng.choice(phrases.REQUESTER_REPLIES), internal=False)
            self._later(story, o, timedelta(minutes=rng.uniform(10, 90)))
        story.act(self._owner(story), Action.RESUME, state=State.IN_PROGRESS)

    def _resolve(self, story: Story, o: Opening, fixes: tuple[str, ...]) -> None:
        codes = list(RESOLUTION_CODES)
        code = self.rng.choices(codes, list(RESOLUTION_CODES.values()))[0]
        data = ActionIn(resolution_code=code, resolution_notes=self._say(o, fixes))
        story.act(self._owner(story), Action.RESOLVE, data, state=State.RESOLVED)

    def _after(self, story: Story, o: Opening) -> None:
        """Reopened now and then; then closed by hand or by the engine a week later."""
        rng = self.rng
        if rng.random() < 0.07:
            story.wait(timedelta(hours=_log_uniform(rng, 1, 96)))
            if o.requester is not None:
                actor, reason = o.requester.email, rng.choice(phrases.REOPEN_REASONS)
            elif o.source is Source.MONITORING:
                actor, reason = MONITORING, phrases.MONITORING_REOPEN
            else:
                actor, reason = self._owner(story), rng.choice(phrases.REOPEN_REASONS)
            story.act(actor, Action.REOPEN, ActionIn(reason=reason), state=State.IN_PROGRESS)
            self._later(story, o, timedelta(minutes=rng.uniform(15, 120)))
            story.note(self._owner(story), self._say(o, phrases.INVESTIGATION_NOTES), internal=True)
            self._later(story, o, timedelta(hours=_log_uniform(rng, 1, 24)))
            self._resolve(story, o, phrases.GENERIC_FIXES)
        if o.requester is not None and rng.random() < 0.45:
            story.wait(timedelta(hours=_log_uniform(rng, 1, 48)))
            story.note(o.requester.email, rng.choice(phrases.CONFIRMATIONS), internal=False)
            self._later(story, o, timedelta(minutes=_log_uniform(rng, 10, 240)))
            story.act(self._owner(story), Action.CLOSE, state=State.CLOSED)
        else:
            delay = AUTO_CLOSE_AFTER + timedelta(minutes=rng.uniform(1, 30))
            story.auto_close_at = story.at + delay

    def _story(
        self, index: int, o: Opening, earlier: dict[str, list[int]], *, fresh: bool
    ) -> Story:
        story = Story(index=index, at=o.at)
        self._open(story, o, fresh=fresh)
        if fresh:
            return story  # just arrived: waiting for the service desk
        if o.source is Source.PORTAL:
            self._triage(story, o)
        if self.rng.random() < (0.02 if o.source is Source.MONITORING else 0.06):
            self._cancel(story, o, earlier)
            return story
        self._work(story, o)
        self._after(story, o)
        return story

    # the whole history -----------------------------------------------------------------

    def plan(self, count: int) -> list[Story]:
        fresh = max(1, count // 100) if count >= 10 else 0
        openings = [self._opening(fresh=False) for _ in range(count - fresh)]
        openings += [self._opening(fresh=True) for _ in range(fresh)]
        order = sorted(range(count), key=lambda i: openings[i].at)
        stories: list[Story] = []
        earlier: dict[str, list[int]] = {}
        for index, position in enumerate(order):
            o = openings[position]
            stories.append(self._story(index, o, earlier, fresh=position >= count - fresh))
            earlier.setdefault(o.service or o.template.title, []).append(index)
        for story in stories:
            story.cut(self.now - timedelta(minutes=1))
        if count >= 10:
            self._stall(stories, target=max(3, round(count * self.open_share)))
        return stories

    def _stall(self, stories: list[Story], *, target: int) -> None:
        """Leave enough recent incidents unfinished for a believable open queue."""
        rng = self.rng
        needed = target - sum(1 for s in stories if s.final_state() in OPEN_STATES)
        if needed <= 0:
            return
        done = [s for s in stories if s.final_state() in (State.RESOLVED, State.CLOSED)]
        recent = sorted(done, key=lambda s: s.steps[0].at, reverse=True)[: needed * 2]
        for story in sorted(rng.sample(recent, min(needed, len(recent))), key=lambda s: s.index):
            resolve = story.first(Action.RESOLVE)
            ack = story.first(Action.ACKNOWLEDGE)
            hold = story.first(Action.HOLD)
            assert resolve is not None
            assert ack is not None
            style = rng.random()
            if hold is not None and hold < resolve and style < 0.5:
                story.truncate(hold + 1)  # still waiting on what it was put on hold for
            elif style < 0.2:
                story.truncate(ack)  # nobody picked it up yet
            else:
                story.truncate(resolve)
                story.wait(timedelta(minutes=rng.uniform(20, 240)))
                if style > 0.75 and story.at < self.now - timedelta(minutes=5):
                    owner = self._owner(story)
                    note = phrases.fill(rng.choice(phrases.VENDOR_NOTES), phrases.words(rng))
                    story.note(owner, note, internal=True)
                    reason = ActionIn(reason=HoldReason.AWAITING_VENDOR.value)
                    story.act(owner, Action.HOLD, reason, state=State.ON_HOLD)
