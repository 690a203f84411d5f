"""Text that strangers choose, made safe and small enough to store (pure).

NUL (U+0000) cannot be stored in PostgreSQL's text and JSON, and no driver can encode a
lone surrogate (U+D800-U+DFFF) as UTF-8. Request bodies holding either are refused
(`unstorable_at` finds where); what senders and refused callers send is kept with U+FFFD
in their place (`storable`, `storable_data`).

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
PATH_LIMIT = 300


def storable(text: str) -> str:
    """`text` with every character no database can store replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_data(value: Any) -> Any:
    """A JSON-like value with `storable` applied to every string, dictionary keys too."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list | tuple):
        return [storable_data(item) for item in value]
    if isinstance(value, dict):
        return {storable_data(k): storable_data(v) for k, v in value.items()}
    return value


Path = tuple[str | int, ...]


def unstorable_at(value: Any, path: Path = ()) -> tuple[Path, str] | None:
    """Where the first character no database can store is in a JSON-like value (strings,
    lists, dictionaries and their keys, at any depth): its path (a key made `storable`, so
    the path itself can be shown) and the character; None when there is none."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return (path, found.group()) if found else None
    if isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            inner = unstorable_at(item, (*path, index))
            if inner is not None:
                return inner
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = unstorable_at(key, (*path, storable(key) if isinstance(key, str) else key))
            if inner is None:
                inner = unstorable_at(item, (*path, key))
            if inner is not None:
                return inner
    return None


def unstorable_reason(char: str | None = None) -> str:
    """Why `char` (found by `unstorable_at`; None: some lone surrogate) is refused, as the
    end of a sentence."""
    if char == "\x00":
        return "contains a NUL character (U+0000), which cannot be stored"
    code = f"U+{ord(char):04X}" if char else "U+D800-U+DFFF"
    return f"contains an unpaired surrogate ({code}), which is not a character and cannot be stored"


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
