"""Slack incoming webhooks: a headline, the facts, and link buttons (Block Kit)."""

from __future__ import annotations

import json
from typing import Any

from tocsin.notifications.channels.base import Message, Outcome, Target
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.channels.render import actions, facts, footer, headline

# Slack refuses section texts over 3,000 characters and more than 10 fields.
_TEXT_LIMIT = 2900
_FIELDS_LIMIT = 10
_STYLES = {"Acknowledge": "primary", "Resolve": "primary"}


def mrkdwn(text: str) -> str:
    """Text as Slack shows it literally: its three control characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(message: Message) -> dict[str, Any]:
    """`{"text", "blocks"}`: `text` is what notifications and old clients show."""
    title = headline(message)
    view = message.links.get("view")
    shown = f"*<{view}|{mrkdwn(title)}>*" if view else f"*{mrkdwn(title)}*"
    if message.body:
        shown += "\n" + mrkdwn(message.body)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(shown, _TEXT_LIMIT)}}
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{label}*\n{mrkdwn(value)}"}
        for label, value in facts(message)[:_FIELDS_LIMIT]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    buttons = []
    for label, url in actions(message):
        button: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": label},
            "url": url,
            "action_id": label.lower().replace(" ", "_"),
        }
        if label in _STYLES:
            button["style"] = _STYLES[label]
        buttons.append(button)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn(footer(message))}]}
    )
    return {"text": f"{title} ({footer(message)})", "blocks": blocks}


class SlackChannel:
    def __init__(self, http: GuardedHttp) -> None:
        self._http = http

    def send(self, target: Target, message: Message) -> Outcome:
        body = json.dumps(slack_payload(message), ensure_ascii=False).encode()
        headers = {"content-type": "application/json"}
        return self._http.post(target.address, body=body, headers=headers)
