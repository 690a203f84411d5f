"""Customers (tenants), users and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from tocsin.db.base import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The provider's own customer: its staff work every customer's incidents.
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # sha256 of the token; tokens carry 256 bits of entropy, so a fast hash is enough and
    # keeps every API request from paying for argon2.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A console sign-in. The cookie carries a signed nonce; this row makes sign-out real."""

    __tablename__ = "web_sessions"

    # sha256 of the nonce: a database reader cannot forge a cookie from this table.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-ins counted per account and per source address (auth.throttle's state),
    in the database so that every process counts the same failures."""

    __tablename__ = "sign_in_throttles"

    # "account:<sha256 of the e-mail>" or "source:<address or IPv6 /64>"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int]
    window_start: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
    blocks: Mapped[int]
    # the engine deletes keys idle for a day by this
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
