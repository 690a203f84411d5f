"""Database ids from what callers send: only 1 to the column's largest value names a row."""

from __future__ import annotations

# Most tables' ids are PostgreSQL `integer` columns (SQLite's hold 64 bits): no row has a
# larger id, and a larger number compared with such a column on PostgreSQL is an error,
# not "no such row". SQLite is held to the same bound, so both answer alike.
MAX_ID = 2**31 - 1
# The audit log's sequence numbers (and the outbox's ids) are `bigint`; so are offsets.
MAX_BIGINT = 2**63 - 1


def as_id(ref: str | int, *, limit: int = MAX_ID) -> int | None:
    """The database id `ref` names (ASCII digits, or an int), or None when it cannot name
    one (not a number, zero, negative, or past `limit`): the caller answers "not found"
    for a reference and "invalid" for a filter or a cursor."""
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        value = ref
    else:
        text = ref.strip()
        if not is_number(text) or len(text.lstrip("0")) > len(str(limit)):
            return None
        value = int(text)
    return value if 1 <= value <= limit else None


def is_number(ref: str) -> bool:
    """Whether `ref` is written as a number (ASCII digits), in range or not."""
    text = ref.strip()
    return text.isascii() and text.isdecimal()
