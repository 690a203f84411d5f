"""iCalendar feeds of on-call shifts, and the signed tokens that name them in their URLs
(calendar apps cannot send an Authorization header)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event
from itsdangerous import BadSignature, URLSafeSerializer

FEED_DAYS = 90
_SALT = "tocsin.oncall.ical"


class FeedTokens:
    """Tokens naming a schedule ("s") or a user ("u"), signed with the install's secret."""

    def __init__(self, secret_key: str, base_url: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)
        self._base = base_url.rstrip("/")

    def schedule_url(self, schedule_id: int) -> str:
        return f"{self._base}/ical/schedules/{self._serializer.dumps({'s': schedule_id})}.ics"

    def user_url(self, user_id: int) -> str:
        return f"{self._base}/ical/users/{self._serializer.dumps({'u': user_id})}.ics"

    def read(self, token: str, kind: str) -> int | None:
        """The id a token names for `kind` ("s" or "u"), or None for anything else."""
        try:
            value = self._serializer.loads(token)
        except BadSignature:
            return None
        ident = value.get(kind) if isinstance(value, dict) else None
        return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """From the first of last month, so that a shift cut by the window keeps the same
    start (and UID) on every fetch within a month, to 90 days ahead."""
    first = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (first - timedelta(days=1)).replace(day=1)
    return start, now + timedelta(days=FEED_DAYS)


def calendar(
    name: str,
    events: Sequence[tuple[str, str, datetime, datetime]],
    *,
    now: datetime,
) -> bytes:
    """A calendar of (uid, summary, start, end) events."""
    cal = Calendar()
    cal.add("prodid", "-//Tocsin//on-call//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for uid, summary, start, end in events:
        event = Event()
        event.add("uid", uid)
        event.add("summary", summary)
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        event.add("dtstamp", now.astimezone(UTC))
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data


def event_uid(schedule_id: int, user_id: int, start: datetime) -> str:
    return f"shift-{schedule_id}-{user_id}-{int(start.timestamp())}@tocsin"
