"""Who is at the browser: the signed session cookie, its CSRF token, and safe redirects."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Request

from tocsin.auth.principal import Principal
from tocsin.web.access import get_app
from tocsin.web.sessions import COOKIE, SessionCodec


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in user of the console and the CSRF token their forms must carry."""

    principal: Principal
    csrf: str

    @property
    def home(self) -> str:
        return home_for(self.principal)


def home_for(principal: Principal) -> str:
    return "/" if principal.is_staff else "/portal"


def codec_of(request: Request) -> SessionCodec:
    codec: SessionCodec = request.app.state.sessions
    return codec


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_visitor(request: Request) -> Visitor | None:
    """The signed-in user behind the session cookie, or None (no, bad, expired cookie)."""
    cookie = request.cookies.get(COOKIE)
    codec = codec_of(request)
    session = codec.read(cookie)
    if session is None or cookie is None:
        return None
    principal = get_app(request).auth.session_principal(*session)
    if principal is None:
        return None
    return Visitor(principal=principal, csrf=codec.csrf_token(cookie))


def safe_next(value: str | None) -> str | None:
    """A post-login destination only when it is a path on this site (no open redirect)."""
    if not value or len(value) > 2000:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    if parts.path in ("/login", "/logout"):
        return None
    return value


def login_url(next_path: str | None) -> str:
    target = safe_next(next_path)
    if target is None or target == "/":
        return "/login"
    return "/login?next=" + quote(target, safe="/")


def same_origin(request: Request, base_url: str) -> bool:
    """Sign-in forms must come from this site (defeats login CSRF). A browser sends Origin
    on every form POST; non-browser clients without it are let through."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc
    if not netloc:
        return False  # "null": sandboxed frames, file:// pages
    return netloc in {request.headers.get("host", ""), urlsplit(base_url).netloc}
