"""Text that strangers choose, made safe and small enough to store (pure).

NUL (U+0000) cannot be stored in PostgreSQL's text and JSON, and no driver can encode a
lone surrogate (U+D800-U+DFFF) as UTF-8. Request bodies holding either (or a number
that is not finite, or nesting past `MAX_DEPTH`) are refused, `unstorable_at` finds
where; what senders and refused callers send is kept with U+FFFD in their place
(`storable`, `storable_data`).

Refused requests are audited, and what a refused caller sends (an e-mail address, a path,
a header) is whatever they like: a megabyte, a NUL, half a surrogate pair. Stored as is,
it would let anyone without an account grow the audit log at will, or break the insert.
`clip` keeps a bounded, storable prefix and, when it cut something, the length and a
hash of the whole, so the entry still says what was sent without holding it.
"""

from __future__ import annotations

import hashlib
import math
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
# Nesting a request body or a payload may have: deeper, it is refused (a walk over it, or
# the JSON encoder, would otherwise run out of stack).
MAX_DEPTH = 64
NOT_FINITE = "is not a finite number (NaN and Infinity are not JSON and cannot be stored)"
TOO_DEEP = f"is nested deeper than {MAX_DEPTH} levels"


def unstorable_at(value: Any) -> tuple[Path, str] | None:
    """Where a JSON-like value (strings, numbers, lists, dictionaries and their keys) holds
    something that cannot be stored, and why (the end of a sentence): NUL, a lone
    surrogate, a number that is not finite, or nesting deeper than `MAX_DEPTH`. A key in
    the path is made `storable`, so the path itself can be shown. None: all of it can."""
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            found = _UNSTORABLE.search(item)
            if found:
                return path, unstorable_reason(found.group())
        elif isinstance(item, float) and not math.isfinite(item):
            return path, NOT_FINITE
        elif isinstance(item, list | tuple | set | frozenset | dict):
            if len(path) >= MAX_DEPTH:
                return path, TOO_DEEP
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            children: list[tuple[Path, Any]] = []
            for key, child in pairs:
                if isinstance(key, str):
                    found = _UNSTORABLE.search(key)
                    if found:
                        return (*path, storable(key)), unstorable_reason(found.group())
                children.append(((*path, key), child))
            stack.extend(reversed(children))  # depth first, in order: the first one found
    return None


def unstorable_reason(char: str | None = None) -> str:
    """Why `char` (NUL; a lone surrogate; None: some lone surrogate) cannot be stored, as
    the end of a sentence."""
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
