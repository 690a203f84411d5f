"""The stored form of a sender's payload: decoded once, capped at 64 KiB."""

from __future__ import annotations

from tocsin.alerts.payloads import CUT_MARKER, PAYLOAD_CAP, payload_text, pretty_payload


def test_a_small_body_is_kept_whole_and_bad_bytes_replaced() -> None:
    assert payload_text(b'{"a": "\xc3\xa9"}') == '{"a": "é"}'
    assert payload_text(b"bad \xff byte") == "bad \ufffd byte"
    assert payload_text(b"nul \x00 byte") == "nul \ufffd byte"  # PostgreSQL cannot store NUL


def test_exactly_the_cap_is_not_cut() -> None:
    body = b"x" * PAYLOAD_CAP
    assert payload_text(body) == body.decode()


def test_a_cut_never_splits_a_character() -> None:
    body = b"x" * (PAYLOAD_CAP - 1) + "€".encode() + b"tail"  # € straddles the cap
    text = payload_text(body)
    assert text == "x" * (PAYLOAD_CAP - 1) + CUT_MARKER


def test_pretty_keeps_the_senders_key_order_and_leaves_text_alone() -> None:
    assert pretty_payload('{"b": 1, "a": [2]}') == '{\n  "b": 1,\n  "a": [\n    2\n  ]\n}'
    assert pretty_payload("<13>1 2026 host app - - hello") == "<13>1 2026 host app - - hello"
