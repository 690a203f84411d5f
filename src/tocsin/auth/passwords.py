"""What a password must be: 8-256 characters exactly as typed, and not a common one."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

MIN_LENGTH = 8
MAX_LENGTH = 256
_COMMON = "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (lower case), read on first use: most processes never set one."""
    text = files("tocsin.auth").joinpath(_COMMON).read_text(encoding="utf-8")
    return frozenset(
        line.lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def is_common(password: str) -> bool:
    return password.lower() in common_passwords()


def check_not_common(password: str) -> str:
    if is_common(password):
        raise ValueError(
            "this password is one of the 10,000 most common ones, which attackers try "
            "first; choose another (a few unrelated words make a good one)"
        )
    return password


# Whitespace is part of a password: StrictModel strips strings, so this type says not to.
Password = Annotated[
    str,
    StringConstraints(strip_whitespace=False, min_length=MIN_LENGTH, max_length=MAX_LENGTH),
    AfterValidator(check_not_common),
]
