"""SMS through an HTTP gateway speaking Twilio's REST API (Twilio or a compatible one)."""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

from tocsin.notifications.channels.base import Failed, Message, Outcome, Target
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.channels.render import headline

NOT_CONFIGURED = (
    "SMS is not configured: set TOCSIN_SMS_GATEWAY_URL, TOCSIN_SMS_ACCOUNT_SID, "
    "TOCSIN_SMS_AUTH_TOKEN and TOCSIN_SMS_FROM"
)
# Two concatenated GSM segments hold 306 characters; past that, phones split or drop.
SMS_LIMIT = 300


def sms_text(message: Message) -> str:
    """The headline cut to fit, the acknowledge link (else the view link), the id."""
    link = message.links.get("acknowledge") or message.links.get("view") or ""
    tail = f" Ack: {link}" if message.links.get("acknowledge") else (f" {link}" if link else "")
    tail += f" ({message.delivery_id})"
    room = SMS_LIMIT - len(tail)
    title = headline(message)
    if len(title) > room:
        title = title[: max(room - 1, 0)] + "…"
    return (title + tail).strip()


class SmsChannel:
    def __init__(
        self, http: GuardedHttp, *, gateway_url: str, account_sid: str, auth_token: str,
        sender: str,
    ) -> None:  # fmt: skip
        self._http = http
        self._gateway = gateway_url.rstrip("/")
        self._sid = account_sid
        self._token = auth_token
        self._from = sender

    def send(self, target: Target, message: Message) -> Outcome:
        if not (self._gateway and self._sid and self._token and self._from):
            return Failed(NOT_CONFIGURED)
        url = f"{self._gateway}/2010-04-01/Accounts/{quote(self._sid, safe='')}/Messages.json"
        form = urlencode({"To": target.address, "From": self._from, "Body": sms_text(message)})
        credentials = base64.b64encode(f"{self._sid}:{self._token}".encode()).decode()
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "authorization": f"Basic {credentials}",
        }
        return self._http.post(url, body=form.encode(), headers=headers)
