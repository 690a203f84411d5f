"""A target that is gone: its administrators read about it in their mailbox (a real
aiosmtpd server), and a person without contact methods is paged at their account's
e-mail address."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import make_user
from tests.delivery_sink import Sink, running_sink
from tests.integration.conftest import Org
from tests.notifications.conftest import free_port
from tocsin.auth.roles import Role
from tocsin.core.clock import FrozenClock
from tocsin.notifications.schemas import ContactMethodIn, RuleIn
from tocsin.settings import Settings


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        mail = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 Message accepted"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, inbox: tuple[Inbox, int]) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key",
        engine_enabled=False,
        log_format="text",
        outbound_allow="127.0.0.1",
        mail_url=f"smtp://127.0.0.1:{inbox[1]}",
        mail_from="Tocsin <tocsin@example.com>",
    )


@pytest.fixture
def sink() -> Iterator[Sink]:
    with running_sink() as receiver:
        yield receiver


def test_the_administrators_read_which_target_was_disabled_and_why(
    org: Org, sink: Sink, clock: FrozenClock, inbox: tuple[Inbox, int]
) -> None:
    app, mailbox = org.app, inbox[0]
    make_user(app, org.admin, "boss@example.com", Role.ADMIN)
    make_user(app, org.admin, "admin@acme.test", Role.ADMIN, "acme")
    make_user(app, org.admin, "agent@acme.test", Role.AGENT, "acme")
    cm = app.contacts.create_method(
        org.admin,
        "agent@acme.test",
        ContactMethodIn(type="webhook", address=sink.url("/gone"), label="pager hook"),  # type: ignore[arg-type]
    )
    app.contacts.create_rule(
        org.admin, "agent@acme.test", RuleIn(contact_method=cm.id, delay_minutes=0)
    )
    sink.script("/gone", 410)
    with app.db.unit_of_work() as uow:
        app.deliveries.page_user(
            uow,
            user_id=app.auth.get_user(org.admin, "agent@acme.test").id,
            message={"topic": "incident.created", "subject": "Disk full"},
            incident_id=None,
            priority=1,
            dedupe_prefix="p",
            at=clock.now(),
        )
    app.deliveries.send_due()  # the page (410), then the administrators' notices
    by_recipient = {tuple(to): mail for to, mail in mailbox.mails}
    assert sorted(by_recipient) == [("admin@acme.test",), ("boss@example.com",)]
    for mail in by_recipient.values():
        assert "pager hook" in str(mail["Subject"])
        text = mail.get_body(("plain",))
        assert text is not None
        assert "410" in text.get_content()
        assert "agent@acme.test" in text.get_content()
    assert app.deliveries.list(org.admin, status="failed").total == 1
    assert app.deliveries.list(org.admin, status="delivered").total == 2


def test_a_person_without_contact_methods_is_paged_by_e_mail(
    org: Org, clock: FrozenClock, inbox: tuple[Inbox, int]
) -> None:
    app, mailbox = org.app, inbox[0]
    with app.db.unit_of_work() as uow:
        (delivery_id,) = app.deliveries.page_user(
            uow,
            user_id=org.agent.user_id,
            message={"topic": "incident.created", "subject": "Disk full on db-1"},
            incident_id=None,
            priority=1,
            dedupe_prefix="p",
            at=clock.now(),
        )
    assert app.deliveries.send_due() == 1
    ((to, mail),) = mailbox.mails
    assert to == ["agent@example.com"]
    assert mail["Message-ID"] == f"<{delivery_id}@tocsin>"
    assert "Disk full on db-1" in str(mail["Subject"])
