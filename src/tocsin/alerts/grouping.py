"""Which value groups an alert with others (pure)."""

from __future__ import annotations

import hashlib

from tocsin.integrations.base import NormalizedAlert


def group_value(alert: NormalizedAlert, keys: list[str], *, service_slug: str | None) -> str | None:
    """A stable value built from the configured keys, or None when grouping is off or the
    alert lacks every key (such an alert opens its own incident)."""
    if not keys:
        return None
    parts: list[str] = []
    for key in keys:
        if key == "service":
            value = alert.service or service_slug
        elif key == "source":
            value = alert.source
        elif key == "group_key":
            value = alert.group_key
        elif key == "summary":
            value = alert.summary
        else:
            value = alert.labels.get(key.removeprefix("label:"))
        parts.append(f"{key}={value or ''}")
    if all(part.endswith("=") for part in parts):
        return None
    text = "\x1f".join(parts)
    # Stored in a 255-character column: long group keys are hashed, short ones stay readable.
    return text if len(text) <= 200 else "sha256:" + hashlib.sha256(text.encode()).hexdigest()
