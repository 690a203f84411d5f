"""Signed session cookies for the browser console (API clients use bearer tokens)."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

COOKIE = "tocsin_session"


class SessionCodec:
    def __init__(self, secret_key: str, *, max_age: int) -> None:
        self._signer = TimestampSigner(secret_key, salt="tocsin.session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret_key).encode()).digest()
        self.max_age = max_age

    def issue(self, user_id: int, nonce: str) -> str:
        """The cookie for a session opened by `AuthService.open_session` (a new nonce at every
        sign-in, so a planted cookie is useless)."""
        return self._signer.sign(f"{user_id}:{nonce}").decode()

    def read(self, cookie: str | None) -> tuple[int, str] | None:
        if not cookie:
            return None
        try:
            raw = self._signer.unsign(cookie, max_age=self.max_age).decode()
        except (BadSignature, SignatureExpired):
            return None
        user_part, _, nonce = raw.partition(":")
        if not user_part.isdecimal() or not nonce:
            return None
        return int(user_part), nonce

    def csrf_token(self, cookie: str) -> str:
        return hmac.new(self._csrf_key, cookie.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: str, token: str | None) -> bool:
        # As bytes: compare_digest refuses str holding anything but ASCII, and a forged
        # token may hold anything.
        given = (token or "").encode("utf-8", "surrogatepass")
        return bool(given) and hmac.compare_digest(self.csrf_token(cookie).encode(), given)
