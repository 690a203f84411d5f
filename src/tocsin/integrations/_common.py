"""Helpers shared by the built-in parsers (private to this package).

- `load_json`: size limit (413), strict UTF-8, strict JSON (no NaN / Infinity, no numbers
  too large to store), at most `MAX_DEPTH` levels of nesting, every string cleaned.
- `Errors` and the `opt_*` field readers: collect every problem of a payload at once, each
  as a `FieldError` naming the field by its path (``payload.summary``, ``alerts[2].labels``)
  with a sentence in PagerDuty's style (``'payload.summary' is missing or blank``).
- `parse_time`: ISO 8601 / RFC 3339 to an aware UTC datetime.
- `clean_text`: NUL characters and lone surrogates, which neither PostgreSQL nor UTF-8 can
  store, become U+FFFD. Every string a parser returns has been through it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tocsin.core.bounded import MAX_DEPTH, storable
from tocsin.integrations.base import FieldError, PayloadError, Severity


def clean_text(value: str) -> str:
    """Replace what cannot be stored (NUL, lone surrogates) with U+FFFD."""
    return storable(value)


def truncate(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters, the last one an ellipsis when cut."""
    return value if len(value) <= limit else value[: limit - 1] + "\u2026"


def kind(value: object) -> str:
    """A JSON value's type, as a person would say it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def decode_utf8(body: bytes, what: str = "The body", field: str = "body") -> str:
    """Strict UTF-8 (a leading byte-order mark is dropped), or a PayloadError saying where."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = (
            f"{what} is not valid UTF-8: the byte 0x{body[exc.start]:02x} at offset "
            f"{exc.start} cannot be decoded."
        )
        raise PayloadError(message, [FieldError(field, message)]) from None
    return text.removeprefix("\ufeff")


class _ConstantError(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _ConstantError(name)


class _InfiniteError(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999
        raise _InfiniteError(text)
    return value


# Made once: json.loads with any option builds a new decoder (and its scanner) per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite)


def _needs_cleaning(text: str) -> bool:
    """Whether the decoded document may hold what `clean_json` refuses or replaces.

    NUL and lone surrogates can only come from \\u escapes (strict JSON refuses raw control
    characters, strict UTF-8 refuses surrogates), and nesting deeper than `MAX_DEPTH` needs
    that many brackets: most payloads have neither, and skip the walk over every value."""
    return "\\u" in text or text.count("{") + text.count("[") >= MAX_DEPTH


def too_large(size: int, limit: int) -> PayloadError:
    message = f"The body is {size} bytes long; the limit is {limit // 1024} KB."
    return PayloadError(message, [FieldError("body", message)], status=413)


def load_json(body: bytes, *, max_bytes: int, what: str = "The body", field: str = "body") -> Any:
    """The JSON document in `body`, cleaned; PayloadError for anything else. `what` and
    `field` name the document in the error (e.g. "Line 3", "line 3")."""
    if len(body) > max_bytes:
        raise too_large(len(body), max_bytes)
    text = decode_utf8(body, what, field)
    if not text or text.isspace():
        raise _error(f"{what} is empty; a JSON document was expected.", field)
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        ended = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        cut = " (it ends too early: is it truncated?)" if ended else ""
        one_line = "\n" not in text.strip()
        where = f"column {exc.colno}" if one_line else f"line {exc.lineno}, column {exc.colno}"
        at = "" if exc.msg.endswith(" at") else " at"
        raise _error(f"{what} is not valid JSON{cut}: {exc.msg}{at} {where}.", field) from None
    except _ConstantError as exc:
        raise _error(f"{what} is not valid JSON: {exc} is not a JSON number.", field) from None
    except _InfiniteError:
        raise _error(f"{what} holds a number too large to store.", field) from None
    except RecursionError:
        raise _error(f"{what} is nested deeper than {MAX_DEPTH} levels.", field) from None
    except ValueError:  # an integer of thousands of digits
        raise _error(f"{what} holds a number with too many digits.", field) from None
    return clean_json(value, what=what, field=field) if _needs_cleaning(text) else value


def _error(message: str, field: str = "body") -> PayloadError:
    return PayloadError(message, [FieldError(field, message)])


def clean_json(value: Any, depth: int = 0, *, what: str = "The body", field: str = "body") -> Any:
    """`value` with every string (and key) cleaned; refuses infinite numbers, deep nesting."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _error(f"{what} holds a number too large to store.", field)
    if isinstance(value, list | dict) and depth >= MAX_DEPTH:
        raise _error(f"{what} is nested deeper than {MAX_DEPTH} levels.", field)
    if isinstance(value, list):
        return [clean_json(item, depth + 1, what=what, field=field) for item in value]
    if isinstance(value, dict):
        return {
            clean_text(str(k)): clean_json(v, depth + 1, what=what, field=field)
            for k, v in value.items()
        }
    return value


def parse_time(text: str) -> datetime:
    """An ISO 8601 date and time as an aware UTC datetime (naive means UTC).

    Raises ValueError when `text` is not one."""
    if len(text) > 64:
        raise ValueError(text)
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(text) from None


def path_of(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


class Errors:
    """The field errors of one payload, collected so that one answer lists them all (the
    first `MAX_ERRORS` of them; `count` says how many there were)."""

    MAX_ERRORS = 100

    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add(self, path: str, message: str) -> None:
        self.count += 1
        if len(self.items) < self.MAX_ERRORS:
            self.items.append(FieldError(path, message))

    def has(self, path: str) -> bool:
        return any(item.field == path for item in self.items)

    def extend(self, other: Errors) -> None:
        for item in other.items:
            self.add(item.field, item.message)
        self.count += other.count - len(other.items)

    def raise_if_any(self, message: str | None = None) -> None:
        """PayloadError with every error; its sentence is `message`, or else the first
        error's own sentence (plus how many more there are)."""
        if not self.count:
            return
        if message is None:
            message = self.items[0].message[:1].upper() + self.items[0].message[1:] + "."
            if self.count > 1:
                message += f" ({self.count - 1} more error(s) in 'errors'.)"
            if self.count > len(self.items):
                message += f" Only the first {len(self.items)} errors are listed."
        raise PayloadError(message, list(self.items))


def opt_str(
    errors: Errors,
    obj: Mapping[str, Any],
    key: str,
    prefix: str = "",
    *,
    required: bool = False,
    blank_ok: bool = True,
    max_len: int | None = None,
) -> str | None:
    """A string field. Missing, wrong type, blank (when not `blank_ok`) or longer than
    `max_len` characters: an error is recorded and None returned."""
    value = obj.get(key)
    if (
        type(value) is str
        and (blank_ok or value.strip())
        and (max_len is None or len(value) <= max_len)
    ):
        return value  # the common case: no path to spell
    path = path_of(prefix, key)
    if value is None:
        if required:
            errors.add(path, f"'{path}' is missing" + ("" if blank_ok else " or blank"))
        return None
    if not isinstance(value, str):
        errors.add(path, f"'{path}' must be a string, not {kind(value)}")
        return None
    if not blank_ok and not value.strip():
        errors.add(path, f"'{path}' is missing or blank")
        return None
    if max_len is not None and len(value) > max_len:
        errors.add(path, f"'{path}' is longer than {max_len} characters (it has {len(value)})")
        return None
    return value


def opt_obj(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str = "", *, required: bool = False
) -> dict[str, Any] | None:
    value: dict[str, Any] | None = _opt_of(errors, obj, key, prefix, required, dict, "an object")
    return value


def opt_list(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str = "", *, required: bool = False
) -> list[Any] | None:
    value: list[Any] | None = _opt_of(errors, obj, key, prefix, required, list, "a list")
    return value


def _opt_of(
    errors: Errors,
    obj: Mapping[str, Any],
    key: str,
    prefix: str,
    required: bool,
    expected: type,
    noun: str,
) -> Any:
    """The field when it is of the `expected` JSON type; else None, and an error when it is
    present (or required)."""
    value = obj.get(key)
    if isinstance(value, expected):
        return value  # the common case: no path to spell
    path = path_of(prefix, key)
    if value is None:
        if required:
            errors.add(path, f"'{path}' is missing")
        return None
    errors.add(path, f"'{path}' must be {noun}, not {kind(value)}")
    return None


def str_map(
    errors: Errors, obj: Mapping[str, Any], key: str, prefix: str = "", *, max_len: int = 4096
) -> dict[str, str]:
    """An object whose values are all strings (labels, annotations); {} when absent."""
    value = opt_obj(errors, obj, key, prefix)
    if value is None:
        return {}
    result: dict[str, str] = {}
    for name, item in value.items():
        if type(item) is str and len(item) <= max_len:
            result[name] = item  # the common case: no path to spell
            continue
        where = path_of(path_of(prefix, key), name)
        if not isinstance(item, str):
            errors.add(where, f"'{where}' must be a string, not {kind(item)}")
        elif len(item) > max_len:
            errors.add(where, f"'{where}' is longer than {max_len} characters")
        else:
            result[name] = item
    return result


_GO_ZERO = "0001-01-01T00:00:00Z"  # Go's zero time, as Alertmanager spells an unset endsAt


def opt_time(
    errors: Errors,
    obj: Mapping[str, Any],
    key: str,
    prefix: str = "",
    *,
    zero_is_none: bool = False,
) -> datetime | None:
    """An ISO 8601 field. With `zero_is_none`, Go's zero time (year 1) means "not set"."""
    text = opt_str(errors, obj, key, prefix)
    if text is None or (zero_is_none and (text == _GO_ZERO or not text.strip())):
        return None
    try:
        moment = parse_time(text)
    except ValueError:
        path = path_of(prefix, key)
        errors.add(path, f"'{path}' is not an ISO 8601 date and time: {truncate(text, 40)!r}")
        return None
    if zero_is_none and moment.year <= 1:
        return None
    return moment


SEVERITY_VALUES = frozenset(s.value for s in Severity)
SEVERITY_NAMES = ", ".join(f"'{s.value}'" for s in Severity)


def config_error(message: str) -> PayloadError:
    """The integration's own configuration is wrong: not the sender's fault, so a 5xx and the
    sender retries once an administrator fixed it."""
    text = f"The integration's configuration is invalid: {message}."
    return PayloadError(text, [FieldError("config", text)], status=500)


def config_severity(config: Mapping[str, Any], key: str, default: Severity) -> Severity:
    value = config.get(key)
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in SEVERITY_VALUES:
        return Severity(value.lower())
    raise config_error(f"'{key}' must be one of {SEVERITY_NAMES}")


def check_severity_config(config: Mapping[str, Any], *keys: str) -> list[FieldError]:
    """FieldErrors for each of `keys` that is set but is not a severity name."""
    problems: list[FieldError] = []
    for key in keys:
        try:
            config_severity(config, key, Severity.ERROR)
        except PayloadError as exc:
            problems.append(FieldError(key, exc.message))
    return problems
