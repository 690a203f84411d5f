"""ntfy push notifications: POST the text to the topic URL, the rest in headers."""

from __future__ import annotations

from email.header import Header

from tocsin.notifications.channels.base import Message, Outcome, Target
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.channels.render import footer, headline, incident_number, priority

# Tocsin's P1..P5 on ntfy's 5 (urgent) .. 1 (min); P4 and P5 both "low", never silent.
NTFY_PRIORITY = {1: "5", 2: "4", 3: "3", 4: "2", 5: "2"}
_TAGS = {1: "rotating_light", 2: "rotating_light", 3: "warning"}


def header_text(text: str) -> str:
    """A header value ntfy reads: ASCII as is, anything else as RFC 2047 UTF-8."""
    flat = " ".join(text.split())
    if flat.isascii():
        return flat
    return Header(flat, "utf-8").encode(maxlinelen=10_000)


def _action_url(url: str) -> str:
    # ntfy's short action format separates with , and ; (a value holding them is quoted).
    return f'"{url}"' if ("," in url or ";" in url) else url


def ntfy_headers(message: Message) -> dict[str, str]:
    level = priority(message)
    tags = [_TAGS.get(level or 3, "information_source")]
    if number := incident_number(message):
        tags.append(number)
    headers = {
        "title": header_text(headline(message)),
        "priority": NTFY_PRIORITY.get(level or 3, "3"),
        "tags": ",".join(tags),
        "content-type": "text/plain; charset=utf-8",
    }
    if view := message.links.get("view"):
        headers["click"] = view
    buttons = [
        f"view, {label}, {_action_url(message.links[name])}"
        for name, label in (("acknowledge", "Acknowledge"), ("resolve", "Resolve"))
        if message.links.get(name)
    ]
    if buttons:
        headers["actions"] = "; ".join(buttons)
    return headers


def ntfy_body(message: Message) -> bytes:
    text = message.body or message.subject
    return f"{text}\n\n{footer(message)}".encode()


class NtfyChannel:
    def __init__(self, http: GuardedHttp) -> None:
        self._http = http

    def send(self, target: Target, message: Message) -> Outcome:
        headers = ntfy_headers(message)
        if target.secret:
            headers["authorization"] = f"Bearer {target.secret}"
        return self._http.post(target.address, body=ntfy_body(message), headers=headers)
