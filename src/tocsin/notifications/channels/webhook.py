"""Outgoing webhooks: the event as JSON, signed per Standard Webhooks when a secret is set."""

from __future__ import annotations

import json
from typing import Any

from tocsin.core.clock import Clock
from tocsin.notifications.channels.base import Failed, Message, Outcome, Target
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.signing import secret_key, sign


def webhook_body(message: Message, timestamp: str) -> bytes:
    """`{"id", "type", "timestamp", "data": {...event, "incident", "links"}}` as UTF-8 JSON."""
    data: dict[str, Any] = {
        **message.data,
        "incident": message.incident,
        "links": dict(message.links),
    }
    document = {
        "id": message.delivery_id,
        "type": message.topic,
        "timestamp": timestamp,
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


class WebhookChannel:
    def __init__(self, http: GuardedHttp, clock: Clock) -> None:
        self._http = http
        self._clock = clock

    def send(self, target: Target, message: Message) -> Outcome:
        now = self._clock.now()
        body = webhook_body(message, now.isoformat().replace("+00:00", "Z"))
        stamp = int(now.timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": message.delivery_id,
            "webhook-timestamp": str(stamp),
        }
        if target.secret:
            try:
                secret_key(target.secret)
            except ValueError as error:
                return Failed(f"the webhook's signing secret is unusable: {error}")
            headers["webhook-signature"] = sign(target.secret, message.delivery_id, stamp, body)
        return self._http.post(target.address, body=body, headers=headers)
