"""Small validators shared by the schemas of every domain."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, StringConstraints

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# What an address may be (RFC 5321's path limit) and what users.email holds.
EMAIL_LIMIT = 254
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{1,63}$|^[^@\s]{1,64}@localhost$")


def check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            "a slug is 1-63 characters of lower-case letters, digits and '-', "
            f"starting with a letter or digit; {value!r} is not"
        )
    return value


def check_email(value: str) -> str:
    value = value.strip()
    if len(value) > EMAIL_LIMIT:
        raise ValueError(f"an e-mail address has at most {EMAIL_LIMIT} characters")
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known time zone (e.g. Europe/Berlin)") from None
    return value


Slug = Annotated[str, AfterValidator(check_slug)]
Email = Annotated[str, AfterValidator(check_email)]
TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
