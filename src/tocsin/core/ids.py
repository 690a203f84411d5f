"""Database ids from what callers send: only 1 to 2^63-1 can name a row."""

from __future__ import annotations

# The largest value of a 64-bit signed integer: what SQLite's INTEGER and PostgreSQL's
# BIGINT hold. A bigger number cannot even be sent to SQLite (the driver raises).
MAX_ID = 2**63 - 1
_MAX_DIGITS = len(str(MAX_ID))


def as_id(ref: str | int) -> int | None:
    """The database id `ref` names (ASCII digits, or an int), or None when it cannot name
    one (not a number, zero, negative, or past `MAX_ID`): the caller answers "not found"
    for a reference and "invalid" for a filter."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        value = ref
    else:
        text = ref.strip()
        if not (text.isascii() and text.isdecimal()) or len(text.lstrip("0")) > _MAX_DIGITS:
            return None
        value = int(text)
    return value if 1 <= value <= MAX_ID else None


def is_number(ref: str) -> bool:
    """Whether `ref` is written as a number (ASCII digits), in range or not."""
    text = ref.strip()
    return text.isascii() and text.isdecimal()
