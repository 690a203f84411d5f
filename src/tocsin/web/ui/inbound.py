"""Where a sender sends an integration's alerts, written exactly as the sender must use it.

Read from the integration type's registry entry (its routes and where its key goes), so a
new sender type shows its addresses without a change here; the two receivers that are not
HTTP routes (syslog, e-mail) and the heartbeat's ping URL are the exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tocsin.alerts.schemas import IntegrationOut
from tocsin.integrations import registry
from tocsin.integrations.base import IntegrationType, KeyFrom
from tocsin.settings import Settings

KEY_PLACEHOLDER = "<key>"


@dataclass(frozen=True)
class Inbound:
    """One value a sender needs: a URL, a header, an address; `note` says how to use it."""

    label: str
    value: str
    note: str = ""


def _scheme_word(source: KeyFrom) -> str:
    """`Authorization: <word> <key>`, spelled as the sender's own documentation spells it
    (the comparison ignores case, e.g. GenieKey)."""
    scheme = source.scheme or ""
    return source.name if source.name.lower() == scheme else scheme.capitalize()


def _http(kind: IntegrationType, base_url: str, key: str) -> list[Inbound]:
    out: list[Inbound] = []
    source = kind.key
    for route in kind.routes:
        url = base_url + route.path
        if source.in_body:
            out.append(Inbound("POST to", url, route.summary))
        elif source.query:
            out.append(
                Inbound(
                    "POST to",
                    f"{url}?{source.query}={key}",
                    f"{route.summary}. The key may go in the header below instead.",
                )
            )
        else:
            out.append(Inbound("POST to", url, route.summary))
    if kind.routes and source.in_body:
        out.append(Inbound("Routing key", key, "The sender puts it in the JSON body."))
    elif kind.routes and source.scheme:
        out.append(Inbound("Header", f"Authorization: {_scheme_word(source)} {key}"))
    return out


def inbound(settings: Settings, integration: IntegrationOut, key: str | None) -> list[Inbound]:
    """The addresses of `integration`; `key` is known only when it was just created (the
    key is shown once), otherwise KEY_PLACEHOLDER stands for it."""
    shown = key or KEY_PLACEHOLDER
    base_url = settings.base_url.rstrip("/")
    host = urlsplit(base_url).hostname or "localhost"
    try:
        kind = registry.get(integration.type)
    except KeyError:  # a third-party type no longer registered: nothing is served for it
        return []
    if kind.routes:
        return _http(kind, base_url, shown)
    if integration.ping_url:
        return [Inbound("Ping URL", integration.ping_url, "GET or POST it at each interval.")]
    if integration.type == "email":
        port = settings.inbound_smtp_port
        return [
            Inbound(
                "E-mail address",
                f"{shown}@{host}",
                f"Mail to the key at any domain routed to Tocsin's SMTP receiver (port {port})."
                if port
                else "The SMTP receiver is off: set TOCSIN_INBOUND_SMTP_PORT.",
            )
        ]
    if integration.type == "syslog":
        port = settings.syslog_port
        if not port:
            return [Inbound("Syslog", "off", "The syslog receiver is off: set TOCSIN_SYSLOG_PORT.")]
        return [
            Inbound(
                "Syslog (UDP and TCP)",
                f"{host}:{port}",
                f"Accepted from {settings.syslog_allow} (TOCSIN_SYSLOG_ALLOW); no key.",
            )
        ]
    return []
