"""A night on call, fast-forwarded: the whole app on a frozen clock, driven by the engine's
ticks every five minutes from 22:00 to 10:00 Berlin time, paging through a real SMTP
server, a Slack channel and an SMS gateway on 127.0.0.1. Every message that arrives must
be one the test expects, when it expects it.

Set-up, as an administrator would make it over the API: a daily rotation (Alice on
Monday, Bob from Tuesday 09:00) with Carol covering 02:00-04:00, an escalation policy
(the schedule, then the team lead, ten minutes apart, twice round), a P1 SLA (respond in
30 minutes, resolve in 4 hours), a Slack channel for the team, and Alice's rules (e-mail
at once, SMS after five minutes unless acknowledged)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import make_user
from tests.smoke.conftest import SMS_SID
from tests.smoke.sinks import HttpSink, MailSink
from tocsin.auth.principal import Principal
from tocsin.auth.roles import Role
from tocsin.bootstrap import Tocsin
from tocsin.core.clock import FrozenClock
from tocsin.workers.engine import Engine

SMS_PATH = f"/sms/2010-04-01/Accounts/{SMS_SID}/Messages.json"


class Night:
    def __init__(
        self, app: Tocsin, client: TestClient, clock: FrozenClock, mail: MailSink, http: HttpSink
    ) -> None:
        self.app, self.client, self.clock, self.mail, self.http = app, client, clock, mail, http
        self.engine = Engine(app, holder="smoke")
        self.tokens: dict[str, str] = {}

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def post(self, who: str, path: str, body: dict[str, Any]) -> Any:
        answer = self.client.post(path, json=body, headers=self.h(who))
        assert answer.status_code in (200, 201, 202), (path, answer.status_code, answer.text)
        return answer.json()

    def at(self, when: datetime) -> None:
        """Move the clock to `when`, ticking the engine every five minutes on the way;
        nothing may arrive on the way."""
        while self.clock.now() + timedelta(minutes=5) < when:
            self.clock.advance(minutes=5)
            self.engine.tick()
            self.quiet()
        self.clock.set(when)
        self.engine.tick()

    def quiet(self) -> None:
        self.mail.assert_quiet()
        self.http.assert_quiet()

    def slack(self, text: str) -> None:
        self.http.take("/slack", text)

    def act(self, mail_text: str, label: str) -> None:
        """Follow the link labelled `label` in an e-mail: the page first (it changes
        nothing), then its confirm button."""
        url = re.search(rf"^{label}: (\S+)", mail_text, re.MULTILINE)
        assert url, mail_text
        path = url.group(1).removeprefix(self.app.settings.base_url)
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        confirm = re.search(r'name="confirm" value="([^"]+)"', page.text)
        assert confirm, page.text
        done = self.client.post(path, data={"confirm": confirm.group(1)}, follow_redirects=False)
        assert done.status_code in (200, 303), done.text


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026 is CET (UTC+1) in Berlin."""
    return datetime(2026, 3, day, hour - 1, minute, tzinfo=UTC)


def _set_up(night: Night, admin: Principal) -> None:
    app = night.app
    for name, role in (
        ("boss", Role.ADMIN),
        ("alice", Role.AGENT),
        ("bob", Role.AGENT),
        ("carol", Role.AGENT),
        ("lead", Role.MANAGER),
    ):
        night.tokens[name] = make_user(app, admin, f"{name}@example.com", role)[1]
    night.post(
        "boss",
        "/api/v1/teams",
        {
            "slug": "ops",
            "name": "Ops",
            "members": ["alice@example.com", "bob@example.com", "lead@example.com"],
        },
    )
    night.post(
        "boss",
        "/api/v1/schedules",
        {
            "name": "Primary",
            "slug": "primary",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "Days",
                    "start": "2026-03-02T09:00:00+01:00",
                    "rotation": "daily",
                    "handoff": "09:00",
                    "users": ["alice@example.com", "bob@example.com"],
                }
            ],
        },
    )
    night.post(
        "boss",
        "/api/v1/schedules/primary/overrides",
        {
            "user": "carol@example.com",
            "start": "2026-03-03T02:00:00+01:00",
            "end": "2026-03-03T04:00:00+01:00",
        },
    )
    night.post(
        "boss",
        "/api/v1/escalation-policies",
        {
            "name": "Ops night",
            "slug": "ops-night",
            "repeat": 1,
            "levels": [
                {"delay_minutes": 10, "targets": [{"type": "schedule", "ref": "primary"}]},
                {"delay_minutes": 10, "targets": [{"type": "user", "ref": "lead@example.com"}]},
            ],
        },
    )
    night.post(
        "boss",
        "/api/v1/services",
        {"name": "Web shop", "slug": "web", "team": "ops", "escalation_policy": "ops-night"},
    )
    night.post(
        "boss",
        "/api/v1/sla-policies",
        {
            "name": "P1",
            "slug": "p1",
            "priority": 1,
            "response_minutes": 30,
            "resolution_minutes": 240,
        },
    )
    night.post(
        "boss",
        "/api/v1/channels",
        {
            "name": "Ops chat",
            "slug": "ops-chat",
            "type": "slack",
            "address": night.http.url("/slack"),
            "team": "ops",
            "events": [
                "incident.created",
                "incident.escalated",
                "incident.acknowledged",
                "incident.resolved",
                "sla.warning",
                "sla.breached",
            ],
        },
    )
    email = night.post(
        "alice",
        "/api/v1/users/me/contact-methods",
        {"type": "email", "address": "alice@example.com"},
    )
    sms = night.post(
        "alice", "/api/v1/users/me/contact-methods", {"type": "sms", "address": "+4915100000001"}
    )
    night.post(
        "alice",
        "/api/v1/users/me/notification-rules",
        {"contact_method": email["id"], "delay_minutes": 0},
    )
    night.post(
        "alice",
        "/api/v1/users/me/notification-rules",
        {"contact_method": sms["id"], "delay_minutes": 5},
    )


def _open(night: Night, title: str) -> str:
    incident = night.post(
        "boss", "/api/v1/incidents", {"title": title, "service": "web", "impact": 1, "urgency": 1}
    )
    assert incident["priority"] == 1
    return str(incident["number"])


def _resolve(night: Night, number: str) -> None:
    night.post(
        "boss",
        f"/api/v1/incidents/{number}/actions/resolve",
        {"resolution_code": "solved_permanently", "resolution_notes": "Fixed."},
    )


def test_a_night_of_escalations_pages_exactly_who_it_should(
    app: Tocsin,
    admin: Principal,
    client: TestClient,
    clock: FrozenClock,
    mail: MailSink,
    http: HttpSink,
) -> None:
    night = Night(app, client, clock, mail, http)
    clock.set(berlin(2, 21))
    _set_up(night, admin)
    night.quiet()

    # 22:00 Monday: nobody answers; the policy runs its course, twice round.
    night.at(berlin(2, 22))
    a = _open(night, "Checkout is down")
    night.at(berlin(2, 22, 0))
    first = mail.take("alice@example.com", f"[{a}] P1 Checkout is down")
    assert re.search(r"^Acknowledge: http://tocsin.test/act/", first.text(), re.MULTILINE)
    night.slack(f"[{a}] P1 Checkout is down")
    night.quiet()
    night.at(berlin(2, 22, 5))
    http.take(SMS_PATH, a)  # Alice's second rule: SMS after five minutes, unacknowledged
    night.quiet()
    night.at(berlin(2, 22, 10))
    mail.take("lead@example.com", a)  # level 2
    night.slack(f"[{a}] P1 Escalated")
    night.at(berlin(2, 22, 20))
    mail.take("alice@example.com", a)  # round 2, level 1
    night.slack(f"[{a}] P1 Escalated")
    night.at(berlin(2, 22, 25))
    http.take(SMS_PATH, a)
    night.slack(f"[{a}] P1 SLA warning")  # 75% of the 30-minute response target
    night.quiet()
    clock.set(berlin(2, 22, 30))
    night.engine.tick()
    clock.set(berlin(2, 22, 35))
    night.engine.tick()
    last = mail.take("lead@example.com", a)  # round 2, level 2: the policy is exhausted
    night.slack(f"[{a}] P1 Escalated")
    night.slack(f"[{a}] P1 SLA breached")
    night.quiet()

    # 22:40: the lead acknowledges from the e-mail, then resolves over the API.
    clock.set(berlin(2, 22, 40))
    night.act(last.text(), "Acknowledge")
    night.engine.tick()
    night.slack(f"[{a}] P1 Acknowledged")
    _resolve(night, a)
    night.at(berlin(2, 22, 45))
    night.slack(f"[{a}] P1 Resolved")

    # 02:30 Tuesday: Carol's override; she acknowledges before her five minutes are up.
    night.at(berlin(3, 2, 30))
    b = _open(night, "Payments are slow")
    night.at(berlin(3, 2, 30))
    page = mail.take("carol@example.com", f"[{b}] P1 Payments are slow")
    night.slack(f"[{b}] P1 Payments are slow")
    clock.set(berlin(3, 2, 32))
    night.act(page.text(), "Acknowledge")
    night.at(berlin(3, 2, 35))
    night.slack(f"[{b}] P1 Acknowledged")
    _resolve(night, b)
    night.at(berlin(3, 2, 40))
    night.slack(f"[{b}] P1 Resolved")

    # 09:30 Tuesday: Bob took over at 09:00.
    night.at(berlin(3, 9, 30))
    c = _open(night, "Search returns nothing")
    night.at(berlin(3, 9, 30))
    mail.take("bob@example.com", f"[{c}] P1 Search returns nothing")
    night.slack(f"[{c}] P1 Search returns nothing")
    night.post("bob", f"/api/v1/incidents/{c}/actions/acknowledge", {})
    night.at(berlin(3, 9, 35))
    night.slack(f"[{c}] P1 Acknowledged")
    night.at(berlin(3, 10))

    # What the incidents say of it afterwards.
    timeline = night.client.get(f"/api/v1/incidents/{a}/timeline", headers=night.h("boss"))
    kinds = [entry["kind"] for entry in timeline.json()["items"]]
    assert kinds.count("paged") == 1
    assert kinds.count("escalated") == 3
    assert {"sla_warning", "sla_breached", "acknowledge", "resolve"} <= set(kinds)
    paged = [e["message"] for e in timeline.json()["items"] if e["kind"] == "paged"]
    assert "alice@example.com (email, sms after 5 min)" in paged[0]
    sla_a = night.client.get(f"/api/v1/incidents/{a}", headers=night.h("boss")).json()["sla"]
    assert sla_a["response"]["breached"] is True
    assert sla_a["made_sla"] is False
    sla_b = night.client.get(f"/api/v1/incidents/{b}", headers=night.h("boss")).json()["sla"]
    assert sla_b["made_sla"] is True
    night.quiet()
