"""Microsoft Teams incoming webhooks (Workflows or the older connector): an Adaptive Card
1.4 with the facts and Action.OpenUrl buttons."""

from __future__ import annotations

import json
from typing import Any

from tocsin.notifications.channels.base import Message, Outcome, Target
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.channels.render import actions, facts, footer, headline, priority

CARD_TYPE = "application/vnd.microsoft.card.adaptive"


def adaptive_card(message: Message) -> dict[str, Any]:
    """The card itself (the `content` of the attachment)."""
    level = priority(message)
    title: dict[str, Any] = {
        "type": "TextBlock",
        "text": headline(message),
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
    }
    if level is not None and level <= 2:
        title["color"] = "Attention"
    body: list[dict[str, Any]] = [title]
    if message.body:
        body.append({"type": "TextBlock", "text": message.body, "wrap": True})
    pairs = facts(message)
    if pairs:
        body.append({"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in pairs]})
    body.append(
        {"type": "TextBlock", "text": footer(message), "isSubtle": True, "size": "Small",
         "wrap": True}
    )  # fmt: skip
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [
            {"type": "Action.OpenUrl", "title": label, "url": url}
            for label, url in actions(message)
        ],
    }


def teams_payload(message: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {"contentType": CARD_TYPE, "contentUrl": None, "content": adaptive_card(message)}
        ],
    }


class TeamsChannel:
    def __init__(self, http: GuardedHttp) -> None:
        self._http = http

    def send(self, target: Target, message: Message) -> Outcome:
        body = json.dumps(teams_payload(message), ensure_ascii=False).encode()
        headers = {"content-type": "application/json"}
        return self._http.post(target.address, body=body, headers=headers)
