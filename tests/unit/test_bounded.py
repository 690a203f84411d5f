"""Caller-chosen text is clipped to a storable, bounded form that still names the whole."""

from __future__ import annotations

import hashlib

import pytest

from tocsin.core.bounded import clip, clipped_fields, storable


def test_short_text_is_kept_as_is() -> None:
    clipped = clip("alice@example.com", 200)
    assert clipped.text == "alice@example.com"
    assert clipped.cut is None


def test_long_text_keeps_a_prefix_and_names_the_whole() -> None:
    value = "x" * 1_000_000
    clipped = clip(value, 200)
    assert len(clipped.text) == 200
    assert clipped.text.endswith("…")
    assert clipped.cut == {
        "chars": 1_000_000,
        "sha256": hashlib.sha256(value.encode()).hexdigest(),
    }


def test_unstorable_characters_are_replaced() -> None:
    assert storable("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    clipped = clip("\udfff" * 500, 10)
    assert clipped.text == "\ufffd" * 9 + "…"
    assert clipped.text.encode("utf-8")  # encodable
    assert clipped.cut is not None
    assert clipped.cut["chars"] == 500


def test_different_inputs_never_share_a_hash() -> None:
    a = clip("\ud800" + "y" * 300, 20).cut
    b = clip("\udbff" + "y" * 300, 20).cut
    assert a is not None
    assert b is not None
    assert a["sha256"] != b["sha256"]


def test_fields_that_were_cut_say_so() -> None:
    data = clipped_fields(limit=10, email="short", path="/" + "p" * 50)
    assert data["email"] == "short"
    assert "email_cut" not in data
    assert len(data["path"]) == 10
    assert data["path_cut"]["chars"] == 51


def test_a_limit_must_leave_room() -> None:
    with pytest.raises(ValueError, match="ellipsis"):
        clip("abc", 1)
