"""Password hashing (argon2) and API token generation (stored as sha256)."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "tcn_"
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; exactly one argon2 verification whatever the hash, so
    that an unknown e-mail, an account without a password and a wrong password all take
    as long as a right one (an answer that came sooner would tell which accounts exist
    and which sign in with tokens only)."""
    if not password_hash:
        _verify(dummy_hash(), password)
        return False
    return _verify(password_hash, password)


@cache
def dummy_hash() -> str:
    """What a password is verified against when there is no hash to check, for the time
    it takes. Made on first use: an argon2 hash is slow by design, and made at import it
    delayed every CLI command, even those that never check a password."""
    return _hasher.hash("tocsin-timing-equaliser")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
