"""The escalation policy form: a few levels, each with people, schedules and teams to page
and the minutes to wait, as the API's PolicyIn / PolicyPatch fields, and back."""

from __future__ import annotations

import re
from typing import Any

from tocsin.oncall.schemas import PolicyOut

FORM_LEVELS = 4  # rows on the form; the API takes up to 20 (see /docs)
TARGET_TYPES = ("user", "schedule", "team")  # the order targets are read in, per level


def level_fields(i: int) -> tuple[str, ...]:
    return (*(f"level{i}_{t}" for t in TARGET_TYPES), f"level{i}_delay")


FIELDS = (
    "name",
    "slug",
    "repeat",
    "customer",
    *(name for i in range(FORM_LEVELS) for name in level_fields(i)),
)


def _refs(text: str) -> list[str]:
    return [ref for ref in re.split(r"[\s,;]+", text) if ref]


def policy_body(form: dict[str, str], *, with_slug: bool) -> dict[str, Any]:
    """PolicyIn's fields (PolicyPatch's without slug and customer); a level with no
    targets is left out, blank fields too, so a missing one is named by the model."""
    body: dict[str, Any] = {
        name: form[name].strip()
        for name in (("name", "slug", "repeat", "customer") if with_slug else ("name", "repeat"))
        if form.get(name, "").strip()
    }
    levels = []
    for i in range(FORM_LEVELS):
        targets = [
            {"type": kind, "ref": ref}
            for kind in TARGET_TYPES
            for ref in _refs(form.get(f"level{i}_{kind}", ""))
        ]
        if targets:
            delay = form.get(f"level{i}_delay", "").strip()
            levels.append({"delay_minutes": delay or "0", "targets": targets})
    body["levels"] = levels
    return body


def error_field(where: str, form: dict[str, str]) -> str:
    """The form field an error's location names: "levels.1.targets.0.ref" -> the field of
    the second filled level holding that target; "levels" -> the first level."""
    parts = where.split(".")
    if parts[0] != "levels":
        return parts[0]
    filled = [
        i
        for i in range(FORM_LEVELS)
        if any(_refs(form.get(f"level{i}_{kind}", "")) for kind in TARGET_TYPES)
    ]
    index = int(parts[1]) if len(parts) > 1 and parts[1].isdecimal() else 0
    row = filled[index] if index < len(filled) else 0
    if len(parts) > 2 and parts[2] == "delay_minutes":
        return f"level{row}_delay"
    if len(parts) > 4 and parts[3].isdecimal():
        kinds = [kind for kind in TARGET_TYPES for _ in _refs(form.get(f"level{row}_{kind}", ""))]
        j = int(parts[3])
        return f"level{row}_{kinds[j]}" if j < len(kinds) else f"level{row}_user"
    return f"level{row}_user"


def policy_values(policy: PolicyOut) -> dict[str, str]:
    """A stored policy as the form's fields, for editing."""
    values = {"name": policy.name, "slug": policy.slug, "repeat": str(policy.repeat)}
    for i, level in enumerate(policy.levels[:FORM_LEVELS]):
        for kind in TARGET_TYPES:
            values[f"level{i}_{kind}"] = ", ".join(t.ref for t in level.targets if t.type == kind)
        values[f"level{i}_delay"] = str(level.delay_minutes)
    return values
