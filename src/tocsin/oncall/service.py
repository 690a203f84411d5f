"""Use cases for schedules and their overrides, who is on call, and the calendar feeds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.auth.models import User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id, owning_customer_id
from tocsin.auth.slugs import by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, NotFound, ValidationFailed
from tocsin.core.paging import Page
from tocsin.db.session import Database
from tocsin.oncall.feeds import FeedTokens, calendar, event_uid, feed_window
from tocsin.oncall.layers import layer_outs, stored_layers
from tocsin.oncall.models import EscalationPolicy, Schedule, ScheduleOverride
from tocsin.oncall.policies import PolicyUseCases
from tocsin.oncall.refs import customer_slug, on_call_user
from tocsin.oncall.rotation import Shift, gaps, shifts
from tocsin.oncall.schemas import (
    OnCallAnswer,
    OnCallOut,
    OnCallUser,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePatch,
    ShiftOut,
)
from tocsin.oncall.stored import gap_warnings, stored_schedule

WARN_DAYS = 14
MAX_RANGE = timedelta(days=366)
# how far ahead the end of a current shift is looked for
LOOKAHEAD = timedelta(days=90)


def _overrides(
    s: Session, schedule_id: int, start: datetime, end: datetime
) -> Sequence[ScheduleOverride]:
    return s.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id == schedule_id,
            ScheduleOverride.start_at < end,
            ScheduleOverride.end_at > start,
        )
        .order_by(ScheduleOverride.id)
    ).all()


def final_shifts(
    s: Session, schedule: Schedule, start: datetime, end: datetime
) -> list[Shift[int]]:
    return shifts(stored_schedule(schedule, _overrides(s, schedule.id, start, end)), start, end)


class OncallService(PolicyUseCases):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        secret_key: str = "",
        base_url: str = "http://127.0.0.1:8000",
    ) -> None:
        self.db = db
        self.clock = clock
        self.feeds = FeedTokens(secret_key or "unset", base_url)

    # schedules ---------------------------------------------------------------------------

    def _schedule_out(self, s: Session, schedule: Schedule) -> ScheduleOut:
        now = self.clock.now()
        plan = stored_schedule(
            schedule, _overrides(s, schedule.id, now, now + timedelta(WARN_DAYS))
        )
        return ScheduleOut(
            id=schedule.id,
            slug=schedule.slug,
            name=schedule.name,
            customer=customer_slug(s, schedule.customer_id),
            time_zone=schedule.time_zone,
            layers=layer_outs(s, schedule.layers, schedule.time_zone),
            warnings=gap_warnings(
                gaps(plan, now, now + timedelta(days=WARN_DAYS)), schedule.time_zone
            ),
            ical_url=self.feeds.schedule_url(schedule.id),
            created_at=schedule.created_at,
        )

    def _schedule(
        self, s: Session, principal: Principal, slug: str, customer: str | None
    ) -> Schedule:
        return by_slug(
            s, principal, Schedule, "schedule", slug,
            customer_id=named_customer_id(s, principal, customer),
        )  # fmt: skip

    def create_schedule(self, principal: Principal, data: ScheduleIn) -> ScheduleOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = owning_customer_id(
                s, principal, slug=data.customer, service_customer_id=None
            )
            if s.scalar(
                select(Schedule.id).where(
                    Schedule.customer_id == customer_id, Schedule.slug == data.slug
                )
            ):
                raise Conflict(
                    f"Customer {customer_slug(s, customer_id)} already has a schedule "
                    f"{data.slug!r}."
                )
            schedule = Schedule(
                customer_id=customer_id,
                slug=data.slug,
                name=data.name,
                time_zone=data.time_zone,
                layers=stored_layers(s, principal, data.layers, customer_id=customer_id),
                created_at=self.clock.now(),
            )
            s.add(schedule)
            s.flush()
            uow.record(
                "schedule.created",
                "schedule",
                schedule.id,
                actor=principal.actor,
                customer_id=customer_id,
                slug=schedule.slug,
                time_zone=schedule.time_zone,
                layers=schedule.layers,
            )
            return self._schedule_out(s, schedule)

    def list_schedules(self, principal: Principal) -> Page[ScheduleOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            items = [self._schedule_out(s, x) for x in self._visible(s, principal)]
            return Page(items=items, total=len(items), next=None)

    def _visible(self, s: Session, principal: Principal) -> Sequence[Schedule]:
        query = select(Schedule).order_by(Schedule.slug, Schedule.customer_id)
        if not principal.all_customers:
            query = query.where(Schedule.customer_id == principal.customer_id)
        return s.scalars(query).all()

    def get_schedule(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> ScheduleOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return self._schedule_out(s, self._schedule(s, principal, slug, customer))

    def patch_schedule(
        self, principal: Principal, slug: str, data: SchedulePatch, *, customer: str | None = None
    ) -> ScheduleOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            schedule = self._schedule(s, principal, slug, customer)
            changes: dict[str, object] = {}
            for name in ("name", "time_zone"):
                value = getattr(data, name)
                if value is not None and value != getattr(schedule, name):
                    changes[name] = [getattr(schedule, name), value]
                    setattr(schedule, name, value)
            if data.layers is not None:
                layers = stored_layers(s, principal, data.layers, customer_id=schedule.customer_id)
                if layers != schedule.layers:
                    changes["layers"] = [schedule.layers, layers]
                    schedule.layers = layers
            if changes:
                uow.record(
                    "schedule.updated",
                    "schedule",
                    schedule.id,
                    actor=principal.actor,
                    customer_id=schedule.customer_id,
                    changes=changes,
                )
            s.flush()
            return self._schedule_out(s, schedule)

    def delete_schedule(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            schedule = self._schedule(s, principal, slug, customer)
            used_by = sorted(
                p.slug
                for p in s.scalars(select(EscalationPolicy))
                if any(
                    t["type"] == "schedule" and t["id"] == schedule.id
                    for level in p.levels
                    for t in level["targets"]
                )
            )
            if used_by:
                raise Conflict(
                    f"The schedule {slug!r} is paged by escalation policies "
                    f"{', '.join(used_by)}; remove it from their levels first."
                )
            s.execute(delete(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule.id))
            uow.record(
                "schedule.deleted",
                "schedule",
                schedule.id,
                actor=principal.actor,
                customer_id=schedule.customer_id,
                slug=schedule.slug,
            )
            s.delete(schedule)

    # overrides ---------------------------------------------------------------------------

    def _override_out(self, s: Session, schedule: Schedule, o: ScheduleOverride) -> OverrideOut:
        emails = dict(
            s.execute(
                select(User.id, User.email).where(User.id.in_({o.user_id, o.created_by or 0}))
            ).all()
        )
        return OverrideOut(
            id=o.id,
            schedule=schedule.slug,
            user=emails[o.user_id],
            start=o.start_at,
            end=o.end_at,
            created_at=o.created_at,
            created_by=emails.get(o.created_by) if o.created_by else None,
        )

    def create_override(
        self, principal: Principal, slug: str, data: OverrideIn, *, customer: str | None = None
    ) -> OverrideOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            schedule = self._schedule(s, principal, slug, customer)
            user = on_call_user(
                s, principal, data.user, customer_id=schedule.customer_id, field="user"
            )
            override = ScheduleOverride(
                schedule_id=schedule.id,
                user_id=user.id,
                start_at=data.start,
                end_at=data.end,
                created_at=self.clock.now(),
                created_by=principal.user_id or None,
            )
            s.add(override)
            s.flush()
            uow.record(
                "schedule.override_created",
                "schedule",
                schedule.id,
                actor=principal.actor,
                customer_id=schedule.customer_id,
                override=override.id,
                user=user.email,
                start=data.start.isoformat(),
                end=data.end.isoformat(),
            )
            return self._override_out(s, schedule, override)

    def list_overrides(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> Page[OverrideOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            schedule = self._schedule(s, principal, slug, customer)
            rows = s.scalars(
                select(ScheduleOverride)
                .where(ScheduleOverride.schedule_id == schedule.id)
                .order_by(ScheduleOverride.start_at, ScheduleOverride.id)
            ).all()
            items = [self._override_out(s, schedule, o) for o in rows]
            return Page(items=items, total=len(items), next=None)

    def delete_override(
        self, principal: Principal, slug: str, override_id: int, *, customer: str | None = None
    ) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            schedule = self._schedule(s, principal, slug, customer)
            override = s.get(ScheduleOverride, override_id)
            if override is None or override.schedule_id != schedule.id:
                raise NotFound(f"The schedule {slug!r} has no override {override_id}.")
            uow.record(
                "schedule.override_deleted",
                "schedule",
                schedule.id,
                actor=principal.actor,
                customer_id=schedule.customer_id,
                override=override.id,
            )
            s.delete(override)

    # reads -------------------------------------------------------------------------------

    def shifts(
        self,
        principal: Principal,
        slug: str,
        start: datetime,
        end: datetime,
        *,
        customer: str | None = None,
    ) -> list[ShiftOut]:
        principal.require(Permission.TEAMS_READ)
        if end <= start:
            raise ValidationFailed("The range's end must be after its start.", field="end")
        if end - start > MAX_RANGE:
            raise ValidationFailed("Ask for at most 366 days of shifts at a time.", field="end")
        with self.db.read() as s:
            schedule = self._schedule(s, principal, slug, customer)
            found = final_shifts(s, schedule, start, end)
            emails = _emails(s, {x.user for x in found})
            return [
                ShiftOut(user=emails[x.user], start=x.start, end=x.end, source=x.source)
                for x in found
            ]

    def on_call(
        self,
        principal: Principal,
        *,
        schedule: str | None = None,
        at: datetime | None = None,
        customer: str | None = None,
    ) -> OnCallAnswer:
        """Who is on call at `at` (default now), on one schedule or on every one the
        caller may see, with the start and end of each one's shift."""
        principal.require(Permission.TEAMS_READ)
        moment = at or self.clock.now()
        with self.db.read() as s:
            chosen = (
                [self._schedule(s, principal, schedule, customer)]
                if schedule
                else self._visible(s, principal)
            )
            items = []
            for sched in chosen:
                found = [x for x in _around(s, sched, moment) if x.start <= moment < x.end]
                emails = _emails(s, {x.user for x in found}, names=True)
                items.append(
                    OnCallOut(
                        schedule=sched.slug,
                        name=sched.name,
                        customer=customer_slug(s, sched.customer_id),
                        time_zone=sched.time_zone,
                        on_call=[
                            OnCallUser(
                                user=emails[x.user][0],
                                name=emails[x.user][1],
                                start=x.start,
                                end=x.end,
                                ical_url=self.feeds.user_url(x.user),
                            )
                            for x in found
                        ],
                    )
                )
            return OnCallAnswer(at=moment, items=items)

    # calendar feeds ----------------------------------------------------------------------

    def schedule_feed(self, token: str) -> bytes:
        """The schedule's shifts as iCalendar; NotFound for a token that names none."""
        ident = self.feeds.read(token, "s")
        now = self.clock.now()
        start, end = feed_window(now)
        with self.db.read() as s:
            schedule = s.get(Schedule, ident) if ident is not None else None
            if schedule is None:
                raise NotFound("There is no such calendar.")
            found = final_shifts(s, schedule, start, end)
            emails = _emails(s, {x.user for x in found})
            events = [
                (
                    event_uid(schedule.id, x.user, x.start),
                    f"On call: {emails[x.user]}",
                    x.start,
                    x.end,
                )
                for x in found
            ]
            return calendar(f"On call: {schedule.name}", events, now=now)

    def user_feed(self, token: str) -> bytes:
        """One user's shifts on every schedule as iCalendar."""
        ident = self.feeds.read(token, "u")
        now = self.clock.now()
        start, end = feed_window(now)
        with self.db.read() as s:
            user = s.get(User, ident) if ident is not None else None
            if user is None:
                raise NotFound("There is no such calendar.")
            overridden = set(
                s.scalars(
                    select(ScheduleOverride.schedule_id).where(ScheduleOverride.user_id == user.id)
                )
            )
            events = []
            for schedule in s.scalars(select(Schedule).order_by(Schedule.id)):
                named = any(user.id in doc["users"] for doc in schedule.layers)
                if not named and schedule.id not in overridden:
                    continue
                for x in final_shifts(s, schedule, start, end):
                    if x.user == user.id:
                        events.append(
                            (
                                event_uid(schedule.id, x.user, x.start),
                                f"On call: {schedule.name}",
                                x.start,
                                x.end,
                            )
                        )
            return calendar(f"On call: {user.email}", events, now=now)

    def user_ical_url(self, user_id: int) -> str:
        return self.feeds.user_url(user_id)


def _around(s: Session, schedule: Schedule, moment: datetime) -> list[Shift[int]]:
    """The final shifts around `moment`, wide enough to show where the current one began
    and ends (as far as a week back and 90 days ahead tell)."""
    return final_shifts(s, schedule, moment - timedelta(days=7), moment + LOOKAHEAD)


def _emails(s: Session, ids: set[int], *, names: bool = False) -> dict[int, Any]:
    rows = s.execute(select(User.id, User.email, User.name).where(User.id.in_(ids))).all()
    return {r.id: (r.email, r.name) if names else r.email for r in rows}
