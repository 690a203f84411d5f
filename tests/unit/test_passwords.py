"""Password rules: kept exactly as typed, 8-256 characters, never one of the common ones."""

from __future__ import annotations

from importlib.resources import files

import pytest
from pydantic import ValidationError

from tocsin.auth.passwords import common_passwords, is_common
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn, UserPatch


def test_the_bundled_list_is_the_top_ten_thousand_with_its_credit() -> None:
    text = files("tocsin.auth").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    assert text.startswith("#")
    assert "zxcvbn (Dropbox), MIT" in text.splitlines()[0]
    assert len(common_passwords()) == 10_000
    assert {"123456", "password", "trustno1", "qqqqqq1"} <= common_passwords()


def test_common_is_case_insensitive() -> None:
    assert is_common("PassWord1")
    assert is_common("password1")
    assert not is_common("correct horse battery")


@pytest.mark.parametrize("model", [UserIn, UserPatch])
def test_a_password_keeps_its_spaces(model: type[UserIn] | type[UserPatch]) -> None:
    fields = {"email": "a@example.com", "role": Role.AGENT} if model is UserIn else {}
    data = model(password="  spaced out words  ", **fields)  # type: ignore[arg-type]
    assert data.password == "  spaced out words  "
    # Other text is still stripped.
    assert model(name="  Ann  ", **fields).name == "Ann"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("seven 7", "at least 8 characters"),
        ("x" * 257, "at most 256 characters"),
        ("Password1", "10,000 most common"),
        ("iloveyou1", "10,000 most common"),
        ("bad\x00nul pass", "NUL"),
    ],
)
def test_a_bad_password_is_refused_with_a_reason(password: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        UserPatch(password=password)
    assert message in str(info.value)
    with pytest.raises(ValidationError):
        UserIn(email="a@example.com", role=Role.AGENT, password=password)


def test_spaces_count_towards_the_length() -> None:
    assert UserPatch(password="   abc   ").password == "   abc   "
