"""List pages: items, total, and an opaque cursor for the next page."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tocsin.core.errors import ValidationFailed
from tocsin.core.ids import MAX_BIGINT, MAX_ID
from tocsin.core.times import to_utc

T = TypeVar("T")

MAX_LIMIT = 200
_MAX_CURSOR = 1000  # characters: every cursor this server hands out is far shorter


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_ours() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this server handed out; use the `next` value of the "
        "previous page as it was.",
        field="cursor",
    )


def decode_cursor(cursor: str) -> list[Any]:
    """The values a cursor holds; each reader checks their number and types (`read_cursor`)."""
    if len(cursor) > _MAX_CURSOR:
        raise _not_ours()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _not_ours() from None
    if not isinstance(values, list):
        raise _not_ours()
    return values


def _int(value: Any, low: int, high: int) -> int:
    # `type() is`: JSON's true is a Python bool, and a bool is an int.
    if type(value) is not int or not low <= value <= high:
        raise _not_ours()
    return value


def _moment(value: Any) -> datetime:
    if type(value) is not str or len(value) > 64:
        raise _not_ours()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _not_ours() from None
    # The server writes every time with its offset, and only times it can compare.
    if moment.utcoffset() is None or to_utc(moment) is None:
        raise _not_ours()
    return moment


def _values(cursor: str, count: int) -> list[Any]:
    values = decode_cursor(cursor)
    if len(values) != count:
        raise _not_ours()
    return values


def id_from(cursor: str, *, limit: int = MAX_ID) -> int:
    """The row id (at most `limit`, see core.ids) a keyset cursor `[id]` continues after."""
    return _int(_values(cursor, 1)[0], 1, limit)


def moment_and_id_from(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a keyset cursor `[time, id]` continues after."""
    moment, ident = _values(cursor, 2)
    return _moment(moment), _int(ident, 1, MAX_ID)


def keyset_from(cursor: str, tag: str, kind: type) -> tuple[Any, int]:
    """The (value, id) a sorted keyset cursor `[tag, value, id]` continues after; `tag`
    names the sort it was made for (a cursor of another sort is refused), `kind` is the
    sorted column's type (int, str or datetime)."""
    tagged, value, ident = _values(cursor, 3)
    if tagged != tag:
        raise _not_ours()
    if kind is datetime:
        value = _moment(value)
    elif kind is int:
        value = _int(value, 0, MAX_BIGINT)
    elif type(value) is not str or len(value) > 64:
        raise _not_ours()
    return value, _int(ident, 1, MAX_ID)


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def offset_from(cursor: str | None) -> int:
    """The offset an offset cursor `[n]` continues at (0 without a cursor)."""
    if cursor is None:
        return 0
    return _int(_values(cursor, 1)[0], 0, MAX_BIGINT)
