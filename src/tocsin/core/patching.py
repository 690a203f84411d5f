"""Applying the fields a PATCH body sets to a row, recording before -> after."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def apply_fields(target: Any, data: Any, names: Iterable[str]) -> dict[str, list[Any]]:
    """Copy each named field that `data` sets (not None) and that differs onto `target`;
    answer {field: [before, after]} for what changed."""
    changes: dict[str, list[Any]] = {}
    for name in names:
        value = getattr(data, name)
        if value is not None and value != getattr(target, name):
            changes[name] = [getattr(target, name), value]
            setattr(target, name, value)
    return changes
