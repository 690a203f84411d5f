"""Signed, expiring links in notifications that acknowledge or resolve an incident.

A link is `{base_url}/act/{token}`; the token is signed with the install's secret (its own
salt) and carries a random link id, the incident, the action, the user it acts as (none
for a message to a shared channel: then it acts as whoever signs in), the delivery it was
sent in and when it expires. It holds no state of its own: whether it was used is a row
of `action_links_used`, written by the transaction that acted (`link_actions.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, URLSafeSerializer

from tocsin.core.clock import Clock
from tocsin.core.errors import NotFound, TocsinError
from tocsin.incidents.lifecycle import Action

SALT = "tocsin.action-link"
# What a link may do: the actions a person takes from a page without filling anything in.
LINK_ACTIONS = (Action.ACKNOWLEDGE, Action.RESOLVE)
DELIVERY_ID_MAX = 200


class LinkInvalid(NotFound):
    title = "Link not valid"

    def __init__(self) -> None:
        super().__init__(
            "This link is not valid: it was changed or cut short on its way. Open the "
            "incident in Tocsin instead, or copy the whole link from the message."
        )


class LinkGone(TocsinError):
    """An expired or already used link: it was genuine, and is no longer."""

    status = 410
    title = "Link no longer valid"


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True, slots=True)
class LinkClaim:
    """What a genuine token says."""

    link_id: str
    incident_id: int
    action: Action
    # None: a link sent to a shared channel, acting as the person signed in who opens it.
    user_id: int | None
    delivery_id: str
    expires_at: datetime


class ActionLinks:
    def __init__(self, secret_key: str, clock: Clock, base_url: str, ttl: timedelta) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=SALT)
        self._confirm_key = hashlib.sha256(f"{SALT}.confirm:{secret_key}".encode()).digest()
        self.clock = clock
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl

    def links_for(
        self, *, incident_id: int, number: str, user_id: int | None, delivery_id: str
    ) -> dict[str, str]:
        """The links a message about an incident carries: `view` (the console page) and one
        per action, each a new link usable once until it expires."""
        if len(delivery_id) > DELIVERY_ID_MAX:
            raise ValueError(f"a delivery id has at most {DELIVERY_ID_MAX} characters")
        expires = int((self.clock.now() + self.ttl).timestamp())
        links = {"view": f"{self.base_url}/incidents/{number}"}
        for action in LINK_ACTIONS:
            token = self._serializer.dumps(
                [
                    secrets.token_urlsafe(12),
                    incident_id,
                    action.value,
                    user_id,
                    delivery_id,
                    expires,
                ]
            )
            links[action.value] = f"{self.base_url}/act/{token}"
        return links

    def read(self, token: str) -> LinkClaim:
        """The claim of a genuine, unexpired token; LinkInvalid (404) or LinkGone (410)."""
        claim = self._decode(token)
        if self.clock.now() >= claim.expires_at:
            raise LinkGone(
                f"This link expired on {when(claim.expires_at)}. Open the incident in Tocsin "
                "to act on it, or use a link from a newer message."
            )
        return claim

    def _decode(self, token: str) -> LinkClaim:
        if len(token) > 1000:
            raise LinkInvalid()
        try:
            payload = self._serializer.loads(token)
        except BadData:
            raise LinkInvalid() from None
        # Signed by us, so well formed unless the format changed: still checked, not trusted.
        match payload:
            case [str(link_id), int(incident), str(action), user, str(delivery), int(expires)]:
                if action not in {a.value for a in LINK_ACTIONS}:
                    raise LinkInvalid()
                if user is not None and not isinstance(user, int):
                    raise LinkInvalid()
                return LinkClaim(
                    link_id=link_id,
                    incident_id=incident,
                    action=Action(action),
                    user_id=user,
                    delivery_id=delivery,
                    expires_at=datetime.fromtimestamp(expires, UTC),
                )
        raise LinkInvalid()

    def confirm_code(self, token: str) -> str:
        """What the confirm page's form carries besides the token: a form built elsewhere
        cannot hold it without the install's secret."""
        return hmac.new(self._confirm_key, token.encode(), hashlib.sha256).hexdigest()[:32]

    def confirm_ok(self, token: str, given: str | None) -> bool:
        given_bytes = (given or "").encode("utf-8", "surrogatepass")
        return bool(given_bytes) and hmac.compare_digest(
            self.confirm_code(token).encode(), given_bytes
        )
