"""Small validators shared by the schemas of every domain."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, StringConstraints

from tocsin.core.times import check_aware

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{1,63}$|^[^@\s]{1,64}@localhost$")
EMAIL_MAX = 254  # RFC 5321's limit for a path, and the users table's column
# Controls, format characters (zero-width spaces and joiners, U+FEFF, bidi marks, tags),
# surrogates, separators, and marks that only combine with a character before them.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols drawn as nothing: Hangul fillers, the blank Braille pattern.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            "a slug is 1-63 characters of lower-case letters, digits and '-', "
            f"starting with a letter or digit; {value!r} is not"
        )
    return value


def check_email(value: str) -> str:
    value = value.strip()
    if len(value) > EMAIL_MAX:
        raise ValueError(f"an e-mail address has at most {EMAIL_MAX} characters")
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/Berlin)") from None
    return value


def _seen(char: str) -> bool:
    return char not in _BLANKS and unicodedata.category(char) not in _UNSEEN_CATEGORIES


def check_visible(value: str) -> str:
    """A title or a name must show something: one made only of spaces and invisible
    characters (U+200B, U+2060, U+FEFF, U+3164, U+2800, controls...) reads as blank in
    every list and cannot be told from another."""
    if not any(_seen(char) for char in value):
        raise ValueError(
            "must contain at least one visible character; this one has only spaces or "
            "invisible characters (such as U+200B or U+FEFF)"
        )
    return value


Slug = Annotated[str, AfterValidator(check_slug)]
Email = Annotated[str, AfterValidator(check_email)]
TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
# Names people give things (customers, users, teams, services, integrations...).
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_visible),
]
# The same, for the records whose column holds 100 characters (tokens, categories).
ShortName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(check_visible),
]
# A time in a request body: it must carry its zone (see core.times).
Moment = Annotated[datetime, AfterValidator(check_aware)]
