"""The only reader of the environment: one Settings object, built once and passed down."""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tocsin.reviews.rules import parse_priorities

DEFAULT_PRIORITY_MATRIX: dict[str, int] = {
    "1x1": 1,
    "1x2": 2,
    "1x3": 3,
    "2x1": 2,
    "2x2": 3,
    "2x3": 4,
    "3x1": 3,
    "3x2": 4,
    "3x3": 5,
}


class Settings(BaseSettings):
    """Every knob Tocsin has. Environment variables use the prefix TOCSIN_."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", extra="ignore")

    database_url: str = "sqlite:///./tocsin.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Web worker processes: more than one spreads HTTP and alert parsing over the cores
    # (the background engine and the syslog / SMTP receivers stay in the main process).
    web_workers: int = Field(default=1, ge=1, le=64)
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = Field(
        default="",
        description="Signs session cookies and keys the audit chain. With SQLite, when "
        "empty, each install makes its own and keeps it beside the database file; with "
        "PostgreSQL it must be set (every process sharing the database needs the same one).",
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed: comma-separated addresses or CIDR blocks, or * for any. Empty: none, the "
        "connecting address is the client's.",
    )
    audit_key: str = Field(
        default="",
        repr=False,
        description="Keys the audit chain (HMAC-SHA256): without it nobody can rewrite the "
        "chain undetected, even with write access to the database. Derived from the "
        "secret key when empty. Keep it out of the database and its backups; changing it "
        "makes `tocsin audit verify` fail for what was written before.",
    )
    audit_checkpoint_minutes: float = Field(
        default=10.0,
        gt=0,
        description="How often at most the engine signs a checkpoint of the audit chain "
        "(only when it moved), so that removing its newest entries is detected.",
    )
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"
    # "impact x urgency" -> priority, keys "IxU".
    priority_matrix: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PRIORITY_MATRIX))
    auto_close_days: float = 7.0
    engine_interval_seconds: float = 30.0
    engine_enabled: bool = True
    session_max_age_seconds: int = 8 * 3600
    db_pool_size: int = 10
    # Syslog receiver (UDP and TCP on the same port); off when no port is set.
    syslog_port: int | None = Field(default=None, ge=1, le=65535)
    syslog_host: str = "127.0.0.1"
    # Senders allowed to send syslog: comma-separated addresses or CIDR blocks.
    syslog_allow: str = "127.0.0.1/32,::1/128"
    # SMTP receiver for e-mail integrations (mail to <integration key>@<any domain>).
    inbound_smtp_port: int | None = Field(default=None, ge=1, le=65535)
    inbound_smtp_host: str = "127.0.0.1"
    # Alerts written per transaction at most (group commit).
    ingest_max_batch: int = Field(default=500, ge=1, le=10_000)
    # Outbound e-mail: smtp://user:pass@host:587?starttls=true, or smtps://host:465 for TLS
    # from the first byte. Empty: e-mail notifications wait (and are listed as failing).
    mail_url: str = Field(default="", repr=False)
    mail_from: str = "Tocsin <tocsin@localhost>"
    # Where replies to notification e-mails go ("ack" / "resolve" in a reply acts): the
    # address of an `email` integration, served by the inbound SMTP receiver.
    mail_reply_to: str = ""
    # A CA bundle to trust for the mail server's certificate (a private CA); empty: the
    # system's trust store.
    mail_ca_file: str = ""
    # Outbound HTTP (webhooks, Slack, Teams, SMS gateway, ntfy) refuses loopback,
    # link-local and private addresses unless listed: comma-separated hosts or CIDR blocks.
    outbound_allow: str = ""
    outbound_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # SMS through an HTTP gateway speaking Twilio's REST API (Twilio itself, or a
    # compatible one): https://api.twilio.com, the account SID, its token and the sender.
    sms_gateway_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = Field(default="", repr=False)
    sms_from: str = ""
    # How often the notification loop looks for new incident events and due deliveries
    # (a process also wakes it at once when it commits an event itself).
    paging_interval_seconds: float = Field(default=0.5, gt=0, le=60)
    # How often the console's live updates look for changes another process made (on
    # SQLite, and alert repeats); this process's own commits, and on PostgreSQL every
    # process's, are seen at once.
    live_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    # A lease not renewed for this long is taken over by another process (a crashed
    # holder's duties resume after at most this long).
    engine_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # Share of an SLA target at which the warning is sent.
    sla_warn_at: float = Field(default=0.75, gt=0, lt=1)
    # Acknowledge / resolve links in notifications stay valid this long.
    action_link_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    metrics_token: str = Field(
        default="",
        description="Bearer token /metrics requires; set, /metrics also publishes business "
        "figures (open incidents by priority). Empty: /metrics is public and publishes "
        "operational figures only.",
        repr=False,
    )
    # An incident lists its service's changes from this many hours before it opened.
    recent_changes_hours: float = Field(default=24.0, gt=0, le=24 * 90)
    # Problem candidates: incidents of the last this many days without a problem are
    # clustered; clusters of at least problem_candidate_min incidents are proposed.
    problem_candidate_days: int = Field(default=30, ge=1, le=365)
    problem_candidate_min: int = Field(default=3, ge=2, le=1000)
    # Post-incident reviews: resolved incidents of these priorities (comma-separated, e.g.
    # "1,2"; empty: none by priority), and major incidents when the flag is on, require one.
    review_required_priorities: str = "1,2"
    review_required_for_major: bool = True

    @field_validator("review_required_priorities")
    @classmethod
    def _review_priorities(cls, value: str) -> str:
        return ",".join(str(p) for p in sorted(parse_priorities(value)))

    @field_validator("priority_matrix")
    @classmethod
    def _matrix_complete(cls, value: dict[str, int]) -> dict[str, int]:
        missing = [f"{i}x{u}" for i in (1, 2, 3) for u in (1, 2, 3) if f"{i}x{u}" not in value]
        if missing:
            raise ValueError(f"priority_matrix lacks entries for {', '.join(missing)}")
        bad = {k: v for k, v in value.items() if not 1 <= v <= 5}
        if bad:
            raise ValueError(f"priority_matrix values must be 1-5, got {bad}")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or a CIDR block (e.g. 10.0.0.5 or 10.0.0.0/8)"
                ) from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _shared_secret_for_postgres(self) -> Settings:
        if not self.is_sqlite and not self.secret_key:
            raise ValueError(
                "TOCSIN_SECRET_KEY must be set when Tocsin uses PostgreSQL: every process "
                "sharing the database signs sessions and keys the audit chain with it. Make "
                "one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from TOCSIN_CONFIG (a TOML file), then the environment, then overrides."""
    file_values: dict[str, Any] = {}
    config_path = os.environ.get("TOCSIN_CONFIG")
    if config_path:
        path = Path(config_path)
        if not path.is_file():
            raise ValueError(f"TOCSIN_CONFIG points at {path}, which is not a file")
        with path.open("rb") as handle:
            file_values = tomllib.load(handle)
    try:
        env_values = _from_environment()
        merged = {**file_values, **env_values, **overrides}
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ValueError(_sentences(exc)) from None


class _EnvironmentOnly(Settings):
    """The TOCSIN_* variables alone: checked one by one, not yet as a whole (the
    configuration file's values may complete them)."""

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an address or a CIDR block (e.g. 10.0.0.5 or 10.0.0.0/8)"
                ) from None
        return ",".join(entries)

    @model_validator(mode="after")
    def _shared_secret_for_postgres(self) -> _EnvironmentOnly:
        return self


def _from_environment() -> dict[str, Any]:
    return _EnvironmentOnly().model_dump(exclude_unset=True)


def _sentences(exc: ValidationError) -> str:
    """A configuration error as sentences: which setting, what is wrong."""
    parts = []
    for error in exc.errors():
        message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
        where = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"TOCSIN_{where.upper()}: {message}" if where else message)
    return "; ".join(parts)
