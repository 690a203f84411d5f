"""Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver checks.

The signed content is `{webhook-id}.{webhook-timestamp}.{body}`, the key the bytes of the
base64 part of a `whsec_...` secret, the signature `v1,<base64 HMAC-SHA256>`. A
`webhook-signature` header may carry several signatures separated by spaces (while a
secret is being rotated); one matching is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
DEFAULT_TOLERANCE_SECONDS = 5 * 60


class SignatureInvalid(Exception):
    """A signature, timestamp or secret a receiver must not trust; says which."""


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_<base64>` secret; ValueError with a sentence otherwise."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with 'whsec_' followed by base64")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the part of a webhook secret after 'whsec_' is not base64") from error
    if len(key) < 16:
        raise ValueError("a webhook secret holds at least 16 bytes (24 base64 characters)")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(
    secret: str,
    msg_id: str,
    timestamp: str | int,
    body: bytes,
    signature_header: str,
    *,
    now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise SignatureInvalid unless one of the header's signatures matches and the
    timestamp lies within `tolerance_seconds` of `now` (seconds since the epoch)."""
    try:
        sent_at = int(timestamp)
    except ValueError as error:
        raise SignatureInvalid(f"the timestamp {timestamp!r} is not a number") from error
    if abs(now - sent_at) > tolerance_seconds:
        raise SignatureInvalid(
            f"the timestamp is {abs(now - sent_at):.0f} s away from now "
            f"(at most {tolerance_seconds:.0f} s are accepted)"
        )
    expected = sign(secret, msg_id, sent_at, body).encode("ascii")
    for candidate in signature_header.split():
        if hmac.compare_digest(candidate.encode("ascii", "replace"), expected):
            return
    raise SignatureInvalid("no v1 signature in the header matches the message")
