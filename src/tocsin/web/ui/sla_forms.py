"""The SLA create forms as the API's inputs: what people type (hours as "09:00-17:00",
holidays as a country code or dates) into CalendarIn and SlaPolicyIn fields."""

from __future__ import annotations

import re
from typing import Any

from tocsin.sla.specs import DAYS

CALENDAR_FIELDS = (
    "slug",
    "name",
    "time_zone",
    "holidays_country",
    "holidays_dates",
    "customer",
    *(f"hours_{day}" for day in DAYS),
)
POLICY_FIELDS = (
    "name",
    "slug",
    "priority",
    "response_minutes",
    "resolution_minutes",
    "calendar",
    "customer",
    "service",
    "warn_at",
    "escalate_on_breach",
)
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")


class FieldErrors(Exception):
    """Sentences for fields that could not even be read into the API's input."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid form")
        self.fields = fields


def day_hours(text: str) -> list[str]:
    """ "08:00-12:00, 13:00-17:00" -> ["08:00", "12:00", "13:00", "17:00"]; "" -> []."""
    out: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = _INTERVAL.match(part)
        if found is None:
            raise ValueError(
                f"“{part[:30]}” is not a span of hours; write it as 09:00-17:00 "
                "(several separated by commas)."
            )
        out += [found.group(1).zfill(5), found.group(2).zfill(5)]
    return out


def hours_text(spans: list[str]) -> str:
    """The stored ["09:00", "17:00", ...] as the form shows it."""
    return ", ".join(f"{a}-{b}" for a, b in zip(spans[::2], spans[1::2], strict=False))


def calendar_body(form: dict[str, str]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    hours: dict[str, list[str]] = {}
    for day in DAYS:
        try:
            spans = day_hours(form.get(f"hours_{day}", ""))
        except ValueError as exc:
            errors[f"hours_{day}"] = str(exc)
            continue
        if spans:
            hours[day] = spans
    country = form.get("holidays_country", "").strip()
    dates = [d for d in re.split(r"[\s,]+", form.get("holidays_dates", "")) if d]
    if country and dates:
        errors["holidays_dates"] = (
            "Give either a holiday country or a list of dates, not both; the API takes one."
        )
    if errors:
        raise FieldErrors(errors)
    body: dict[str, Any] = {
        "slug": form.get("slug", "").strip(),
        "time_zone": form.get("time_zone", "").strip(),
        "hours": hours,
        "holidays": country or dates or None,
    }
    for name in ("name", "customer"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    return body


def policy_body(form: dict[str, str]) -> dict[str, Any]:
    """Blank fields are left out (a required one is then reported missing); numbers stay
    text for the model to judge."""
    body: dict[str, Any] = {
        name: form[name].strip()
        for name in POLICY_FIELDS
        if name != "escalate_on_breach" and form.get(name, "").strip()
    }
    if "warn_at" in body:
        body["warn_at"] = _share(body["warn_at"])
    body["escalate_on_breach"] = form.get("escalate_on_breach") == "on"
    return body


def _share(text: str) -> str | float:
    """ "80" or "80%" -> 0.8 (people write percentages); anything else as typed."""
    stripped = text.rstrip("%").strip()
    try:
        number = float(stripped)
    except ValueError:
        return text
    return number / 100 if number >= 1 else number


def error_field(name: str) -> str:
    """Where the API's field name goes on the form ("hours" errors under Monday's hours,
    the first of them; "holidays" under the country)."""
    return {"hours": "hours_mon", "holidays": "holidays_country"}.get(name, name)
