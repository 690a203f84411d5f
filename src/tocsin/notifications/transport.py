"""The channels together: one object the delivery sender calls for any target.

`Channels.send` picks the channel for the target's kind; `Channels.check_target` is
what a contact method or channel is checked with when it is saved. One HTTP client
(one connection pool) serves every HTTP channel; both methods are safe to call from
a thread pool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tocsin.core.clock import Clock
from tocsin.core.errors import ValidationFailed
from tocsin.core.validation import check_email
from tocsin.notifications.channels.base import (
    Channel,
    ChannelKind,
    Failed,
    Message,
    Outcome,
    Target,
)
from tocsin.notifications.channels.email import EmailChannel
from tocsin.notifications.channels.http import GuardedHttp
from tocsin.notifications.channels.ntfy import NtfyChannel
from tocsin.notifications.channels.slack import SlackChannel
from tocsin.notifications.channels.sms import SmsChannel
from tocsin.notifications.channels.teams import TeamsChannel
from tocsin.notifications.channels.webhook import WebhookChannel
from tocsin.notifications.outbound import (
    HostUnresolved,
    OutboundPolicy,
    OutboundRefused,
    Resolver,
    system_resolver,
)
from tocsin.notifications.signing import secret_key

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_URL_KINDS = frozenset(
    {ChannelKind.WEBHOOK, ChannelKind.SLACK, ChannelKind.TEAMS, ChannelKind.NTFY}
)


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What the channels need from the settings; bootstrap fills it field by field."""

    mail_url: str = field(default="", repr=False)
    mail_from: str = "Tocsin <tocsin@localhost>"
    mail_reply_to: str = ""
    mail_ca_file: str = ""
    outbound_allow: str = ""
    timeout_seconds: float = 10.0
    sms_gateway_url: str = ""
    sms_account_sid: str = ""
    sms_auth_token: str = field(default="", repr=False)
    sms_from: str = ""


class Channels:
    """Every channel behind one `send`; implements the Channel protocol."""

    def __init__(
        self, config: ChannelConfig, *, clock: Clock, resolve: Resolver = system_resolver
    ) -> None:
        self.config = config
        self.policy = OutboundPolicy(config.outbound_allow, resolve=resolve)
        self._http = GuardedHttp(self.policy, clock=clock, timeout_seconds=config.timeout_seconds)
        self._email = EmailChannel(
            mail_url=config.mail_url,
            mail_from=config.mail_from,
            mail_reply_to=config.mail_reply_to,
            mail_ca_file=config.mail_ca_file,
            timeout_seconds=config.timeout_seconds,
            clock=clock,
        )
        self._channels: dict[ChannelKind, Channel] = {
            ChannelKind.EMAIL: self._email,
            ChannelKind.WEBHOOK: WebhookChannel(self._http, clock),
            ChannelKind.SLACK: SlackChannel(self._http),
            ChannelKind.TEAMS: TeamsChannel(self._http),
            ChannelKind.NTFY: NtfyChannel(self._http),
            ChannelKind.SMS: SmsChannel(
                self._http,
                gateway_url=config.sms_gateway_url,
                account_sid=config.sms_account_sid,
                auth_token=config.sms_auth_token,
                sender=config.sms_from,
            ),
        }

    def send(self, target: Target, message: Message) -> Outcome:
        """Deliver one message to one target; a receiver's failure is an Outcome."""
        channel = self._channels.get(target.kind)
        if channel is None:
            return Failed(f"no channel delivers to targets of type {target.kind!r}")
        return channel.send(target, message)

    def check_target(self, target: Target) -> None:
        """Raise ValidationFailed (field "address" or "secret") unless messages could be
        sent to `target`: a well-formed address the outbound guard lets through."""
        address = target.address.strip()
        if target.kind == ChannelKind.EMAIL:
            try:
                check_email(address)
            except ValueError as error:
                raise ValidationFailed(f"{error}.", field="address") from error
        elif target.kind == ChannelKind.SMS:
            if not E164.match(address):
                raise ValidationFailed(
                    f"{address!r} is not a phone number in international (E.164) form, "
                    "such as +4915112345678",
                    field="address",
                )
        elif target.kind in _URL_KINDS:
            self._check_url(address)
        else:
            raise ValidationFailed(f"{target.kind!r} is not a channel type", field="type")
        if target.kind == ChannelKind.WEBHOOK and target.secret:
            try:
                secret_key(target.secret)
            except ValueError as error:
                raise ValidationFailed(f"{error}.", field="secret") from error

    def close(self) -> None:
        self._http.close()
        self._email.close()

    def _check_url(self, url: str) -> None:
        try:
            self.policy.check_url(url)
        except (OutboundRefused, HostUnresolved) as error:
            raise ValidationFailed(error.sentence, field="address") from error
