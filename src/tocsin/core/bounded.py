"""Text that strangers choose, made safe and small enough to store (pure).

Refused requests are audited, and what a refused caller sends (an e-mail address, a path,
a header) is whatever they like: a megabyte, a NUL, half a surrogate pair. Stored as is,
it would let anyone without an account grow the audit log at will, or break the insert.
`clip` keeps a bounded, storable prefix and, when it cut something, the length and a
hash of the whole, so the entry still says what was sent without holding it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

# NUL cannot be stored in PostgreSQL text; a lone surrogate cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
ELLIPSIS = "…"

# What a refused request may leave in the audit log, per field.
FIELD_LIMIT = 200


def storable(text: str) -> str:
    """`text` with every character no database can store replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


@dataclass(frozen=True, slots=True)
class Clipped:
    text: str
    # None when nothing was cut; else what the whole was: {"chars": n, "sha256": hex}
    cut: dict[str, Any] | None


def clip(value: str, limit: int = FIELD_LIMIT) -> Clipped:
    """At most `limit` characters of `value`, storable; over the limit, the kept part ends
    with an ellipsis and `cut` names the whole by length and SHA-256 (of its UTF-8 bytes,
    surrogates kept as they came, so two different inputs never share a hash)."""
    if limit < 2:
        raise ValueError("limit must leave room for the ellipsis")
    safe = storable(value)
    if len(safe) <= limit:
        return Clipped(safe, None)
    whole = value.encode("utf-8", "surrogatepass")
    return Clipped(
        safe[: limit - 1] + ELLIPSIS,
        {"chars": len(value), "sha256": hashlib.sha256(whole).hexdigest()},
    )


def clipped_fields(limit: int = FIELD_LIMIT, **fields: str) -> dict[str, Any]:
    """Audit data from caller-chosen text: each field clipped; a field that was cut gets
    a `<name>_cut` entry beside it."""
    data: dict[str, Any] = {}
    for name, value in fields.items():
        clipped = clip(value, limit)
        data[name] = clipped.text
        if clipped.cut is not None:
            data[f"{name}_cut"] = clipped.cut
    return data
