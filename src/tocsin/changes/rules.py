"""The rules of change records (pure): which links are kept, and which changes count as
recent for an incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

LINK_SCHEMES = ("http", "https")


def check_link(value: str) -> str:
    """A change's link is opened from the incident page: only a web address is kept, so a
    `javascript:` or `data:` link cannot run in a reader's browser."""
    text = value.strip()
    if urlsplit(text).scheme.lower() not in LINK_SCHEMES or "://" not in text:
        raise ValueError(f"a link must be an http:// or https:// address; {text[:80]!r} is not")
    return text


def recent_window(opened_at: datetime, now: datetime, hours: float) -> tuple[datetime, datetime]:
    """[start, end] of an incident's recent changes: from `hours` before it opened up to now
    (a change made while it is worked on may be the fix, or a new cause)."""
    return opened_at - timedelta(hours=hours), max(now, opened_at)
