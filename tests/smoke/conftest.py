"""The whole app in process on a frozen clock, with a real SMTP server and a real HTTP
server on 127.0.0.1 as its only receivers; both fail the test on anything unexpected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.smoke.sinks import HttpSink, MailSink, running
from tocsin.settings import Settings

SMS_SID = "AC0123456789"


@pytest.fixture
def mail() -> Iterator[MailSink]:
    yield from running(MailSink())


@pytest.fixture
def http() -> Iterator[HttpSink]:
    yield from running(HttpSink())


@pytest.fixture
def settings(database_url: str, mail: MailSink, http: HttpSink) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        engine_enabled=False,
        log_format="text",
        base_url="http://tocsin.test",
        mail_url=mail.url,
        mail_from="Tocsin <tocsin@example.com>",
        outbound_allow="127.0.0.1",
        sms_gateway_url=http.url("/sms"),
        sms_account_sid=SMS_SID,
        sms_auth_token="sms-token",
        sms_from="+15550000000",
    )
