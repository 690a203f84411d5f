"""List pages: items, total, and an opaque cursor for the next page."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tocsin.core.errors import ValidationFailed

T = TypeVar("T")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    next: str | None


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The cursor is not one this server handed out; use the `next` value of the "
            "previous page as it was.",
            field="cursor",
        ) from None
    if not isinstance(values, list):
        raise ValidationFailed("The cursor is malformed.", field="cursor")
    return values


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def offset_from(cursor: str | None) -> int:
    if cursor is None:
        return 0
    values = decode_cursor(cursor)
    if len(values) != 1 or not isinstance(values[0], int) or values[0] < 0:
        raise ValidationFailed("The cursor is malformed.", field="cursor")
    return values[0]
