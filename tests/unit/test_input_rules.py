"""The rules every adapter shares for what callers send: ids, cursors, times, visible names,
storable text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tocsin.core.bounded import (
    MAX_DEPTH,
    NOT_FINITE,
    TOO_DEEP,
    storable_data,
    unstorable_at,
    unstorable_reason,
)
from tocsin.core.errors import ValidationFailed
from tocsin.core.ids import MAX_BIGINT, MAX_ID, as_id
from tocsin.core.paging import encode_cursor, id_from, moment_and_id_from, offset_from
from tocsin.core.times import check_aware, filter_time
from tocsin.core.validation import check_visible


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        ("0" * 40 + "5", 5),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("\u0661", None),  # ARABIC-INDIC DIGIT ONE: a digit, but not an id anyone types
        ("INC0001", None),
        ("", None),
        (5, 5),
        (0, None),
        (MAX_ID + 1, None),
        (True, None),
    ],
)
def test_as_id(ref: str | int, expected: int | None) -> None:
    assert as_id(ref) == expected


def test_as_id_of_a_bigint_column() -> None:
    assert as_id(str(MAX_ID + 1), limit=MAX_BIGINT) == MAX_ID + 1
    assert as_id(str(MAX_BIGINT), limit=MAX_BIGINT) == MAX_BIGINT
    assert as_id(str(MAX_BIGINT + 1), limit=MAX_BIGINT) is None


MOMENT = "2026-03-01T00:00:00+00:00"
NUL = "contains a NUL character (U+0000), which cannot be stored"


def test_cursors_hand_back_what_they_hold() -> None:
    assert id_from(encode_cursor([7])) == 7
    assert offset_from(encode_cursor([0])) == 0
    assert moment_and_id_from(encode_cursor([MOMENT, 3])) == (datetime(2026, 3, 1, tzinfo=UTC), 3)


@pytest.mark.parametrize(
    "values",
    [[True], [False], [0], [-1], [MAX_ID + 1], [1.0], ["1"], [None], [[1]], [1, 2], [], {"a": 1}],
)
def test_an_id_cursor_of_another_shape_is_refused(values: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        id_from(encode_cursor(values))
    assert caught.value.field == "cursor"


@pytest.mark.parametrize(
    "values",
    [
        ["2020-01-01", 1],
        ["2020-01-01T00:00:00", 1],
        [MOMENT, True],
        [MOMENT, 0],
        [MOMENT, MAX_ID + 1],
        [1, 1],
        ["0001-01-01T00:00:00+05:00", 1],
        ["x" * 100, 1],
        [MOMENT],
    ],
)
def test_a_keyset_cursor_of_another_shape_is_refused(values: Any) -> None:
    with pytest.raises(ValidationFailed):
        moment_and_id_from(encode_cursor(values))


def test_an_offset_cursor_of_another_shape_is_refused() -> None:
    for values in ([True], [-1], [MAX_BIGINT + 1], [0.5]):
        with pytest.raises(ValidationFailed):
            offset_from(encode_cursor(values))
    with pytest.raises(ValidationFailed):
        offset_from("A" * 5000)


def test_a_filter_time_without_a_zone_is_read_in_the_users_zone() -> None:
    midnight = datetime(2026, 3, 1)
    assert filter_time(midnight, "Europe/Berlin", field="f") == datetime(
        2026, 2, 28, 23, tzinfo=UTC
    )
    assert filter_time(midnight, "not a zone", field="f") == datetime(2026, 3, 1, tzinfo=UTC)
    aware = datetime(2026, 3, 1, tzinfo=UTC)
    assert filter_time(aware, "Europe/Berlin", field="f") == aware
    with pytest.raises(ValidationFailed) as caught:
        filter_time(datetime(1, 1, 1), "Asia/Tokyo", field="opened_after")
    assert caught.value.field == "opened_after"


def test_a_body_time_must_say_its_zone() -> None:
    with pytest.raises(ValueError, match=r"Z or 2026-01-05T10:00:00\+01:00"):
        check_aware(datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="year 1"):
        check_aware(datetime.fromisoformat("0001-01-01T00:00:00+05:00"))
    aware = datetime.fromisoformat("2026-03-01T10:00:00+01:00")
    assert check_aware(aware) is aware


@pytest.mark.parametrize(
    "text",
    ["\u200b", "\u2060\ufeff", "\u3164", "\u2800", "\x00\x1f", "\u0301\u20dd", "\U000e0020", " "],
)
def test_text_that_shows_nothing_is_not_a_name(text: str) -> None:
    with pytest.raises(ValueError, match="visible"):
        check_visible(text)


@pytest.mark.parametrize("text", ["a", "\u200ba", "\U0001f525", "\ue000", "\u0915\u094d", "."])
def test_text_that_shows_something_is_a_name(text: str) -> None:
    assert check_visible(text) == text


def test_what_cannot_be_stored_is_found_wherever_it_is() -> None:
    assert unstorable_at({"a": ["x", {"b": "y\x00"}]}) == (("a", 1, "b"), NUL)
    assert unstorable_at({"ok": 1, "k\ud800": 2}) == (("k\ufffd",), unstorable_reason("\ud800"))
    assert unstorable_at(["fine", 1, None, 2.5, {"x": True}, 10**400]) is None
    assert unstorable_at("\udfff") == ((), unstorable_reason("\udfff"))
    assert unstorable_at(["a\x00", "b\x00"]) == ((0,), NUL)  # the first, in order
    assert unstorable_at({"n": [1, float("nan")]}) == (("n", 1), NOT_FINITE)
    deep: Any = 1
    for _ in range(5000):
        deep = {"a": deep}
    found = unstorable_at(deep)
    assert found is not None
    assert len(found[0]) == MAX_DEPTH
    assert found[1] == TOO_DEEP
    assert storable_data({"k\x00": ["v\ud800", 1]}) == {"k\ufffd": ["v\ufffd", 1]}
