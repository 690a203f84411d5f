"""The console's on-call forms as the API's inputs: an override (times typed in the
viewer's zone) and a schedule of one layer (its start typed in the schedule's zone)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tocsin.core.errors import ValidationFailed
from tocsin.core.times import filter_time

OVERRIDE_FIELDS = ("user", "start", "end")
SCHEDULE_FIELDS = (
    "name",
    "slug",
    "time_zone",
    "customer",
    "layer_name",
    "layer_start",
    "rotation",
    "shift_hours",
    "handoff",
    "users",
)
# where an API error about the one layer goes on the form
_LAYER_FIELDS = {
    "name": "layer_name",
    "start": "layer_start",
    "rotation": "rotation",
    "handoff": "handoff",
    "users": "users",
    "restrictions": "users",
}


class FieldErrors(Exception):
    """Sentences for fields that could not even be read into the API's input."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("invalid form")
        self.fields = fields


def local_moment(text: str, time_zone: str, field: str) -> datetime:
    """A datetime-local field (no zone) read in `time_zone`."""
    value = text.strip()
    if not value:
        raise ValidationFailed("This field is required.", field=field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"“{value[:40]}” is not a date and time; write it as 2026-03-05 09:00.", field=field
        ) from None
    return filter_time(parsed, time_zone, field=field)


def override_body(form: dict[str, str], time_zone: str) -> dict[str, Any]:
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"user": form.get("user", "").strip()}
    for name in ("start", "end"):
        try:
            body[name] = local_moment(form.get(name, ""), time_zone, name)
        except ValidationFailed as exc:
            errors[name] = exc.detail
    if not body["user"]:
        errors["user"] = "This field is required."
    if errors:
        raise FieldErrors(errors)
    return body


def schedule_body(form: dict[str, str]) -> dict[str, Any]:
    """ScheduleIn's fields for a schedule of one layer."""
    time_zone = form.get("time_zone", "").strip()
    errors: dict[str, str] = {}
    rotation: Any = form.get("rotation", "daily")
    if rotation == "hours":
        hours = form.get("shift_hours", "").strip()
        if not hours.isdecimal():
            errors["shift_hours"] = "Write the shift length as a whole number of hours."
        rotation = {"hours": int(hours) if hours.isdecimal() else 0}
    try:
        start = local_moment(form.get("layer_start", ""), time_zone or "UTC", "layer_start")
    except ValidationFailed as exc:
        errors["layer_start"] = exc.detail
    if errors:
        raise FieldErrors(errors)
    layer: dict[str, Any] = {
        "name": form.get("layer_name", "").strip(),
        "start": start,
        "rotation": rotation,
        "users": [u for u in re.split(r"[\s,;]+", form.get("users", "")) if u],
    }
    if form.get("handoff", "").strip() and rotation in ("daily", "weekly"):
        layer["handoff"] = form["handoff"].strip()
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "slug": form.get("slug", "").strip(),
        "time_zone": time_zone,
        "layers": [layer],
    }
    if form.get("customer", "").strip():
        body["customer"] = form["customer"].strip()
    return body


def schedule_field(where: str) -> str:
    """The form field an error's location names: "layers.0.users.1" -> "users"."""
    parts = where.split(".")
    if parts[0] == "layers" and len(parts) > 2:
        return _LAYER_FIELDS.get(parts[2], "users")
    if parts[0] == "layers":
        return "users"
    return parts[0]
