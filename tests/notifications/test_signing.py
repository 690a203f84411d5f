"""Standard Webhooks signatures: the published example, an independent HMAC, verification."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tocsin.notifications.signing import SignatureInvalid, new_secret, secret_key, sign, verify

# The example in the Standard Webhooks specification (and its reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TS = 1614265330
SPEC_BODY = b'{"test": 2432232314}'


def test_the_specifications_example_signature() -> None:
    assert sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_sign_matches_an_independent_hmac() -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = '{"id":"dlv_1","data":{"title":"Zähler"}}'.encode()
    mac = hmac.new(key, b"dlv_1.1767225600." + body, hashlib.sha256).digest()
    assert sign(secret, "dlv_1", 1767225600, body) == "v1," + base64.b64encode(mac).decode()


def test_verify_accepts_within_the_window_and_any_of_several_signatures() -> None:
    good = sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)
    verify(SPEC_SECRET, SPEC_ID, str(SPEC_TS), SPEC_BODY, good, now=SPEC_TS + 299)
    rotating = f"v1,{base64.b64encode(b'x' * 32).decode()} {good}"
    verify(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY, rotating, now=SPEC_TS - 10)


@pytest.mark.parametrize(
    ("msg_id", "body", "now", "reason"),
    [
        (SPEC_ID, SPEC_BODY + b" ", SPEC_TS, "no v1 signature"),
        ("msg_other", SPEC_BODY, SPEC_TS, "no v1 signature"),
        (SPEC_ID, SPEC_BODY, SPEC_TS + 301, "301 s away from now"),
        (SPEC_ID, SPEC_BODY, SPEC_TS - 3600, "3600 s away from now"),
    ],
)
def test_verify_refuses_changed_messages_and_old_or_future_timestamps(
    msg_id: str, body: bytes, now: int, reason: str
) -> None:
    good = sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)
    with pytest.raises(SignatureInvalid, match=reason):
        verify(SPEC_SECRET, msg_id, SPEC_TS, body, good, now=now)


def test_verify_refuses_a_non_numeric_timestamp() -> None:
    with pytest.raises(SignatureInvalid, match="not a number"):
        verify(SPEC_SECRET, SPEC_ID, "yesterday", SPEC_BODY, "v1,x", now=SPEC_TS)


def test_new_secrets_are_random_whsec_secrets_of_32_bytes() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert first.startswith("whsec_")
    assert len(secret_key(first)) == 32


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with 'whsec_'"),
        ("whsec_not base64!", "not base64"),
        ("whsec_c2hvcnQ=", "at least 16 bytes"),
    ],
)
def test_unusable_secrets_are_named(secret: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        secret_key(secret)
