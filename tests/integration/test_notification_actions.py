"""Acting from a notification, at the service level: a link used by many requests at once
acts once; "ack" / "resolve" replies act as a sender who may work the incident, and stay
comments otherwise."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tocsin.alerts.items import Item, Outcome
from tocsin.alerts.keys import IntegrationRef
from tocsin.alerts.schemas import IntegrationIn
from tocsin.auth.schemas import UserPatch
from tocsin.core.errors import TocsinError
from tocsin.incidents.schemas import IncidentOut
from tocsin.integrations.base import AlertAction, NormalizedAlert
from tocsin.paging.link_models import ActionLinkUse
from tocsin.paging.links import LinkGone

from .conftest import Org


def incident(org: Org) -> IncidentOut:
    return org.open(customer="acme", service="web")


def test_a_link_used_by_many_requests_at_once_acts_once(org: Org) -> None:
    opened = incident(org)
    url = org.app.action_links.links_for(
        incident_id=opened.id, number=opened.number, user_id=org.agent.user_id, delivery_id="d1"
    )["acknowledge"]
    token = url.rsplit("/", 1)[1]
    confirm = org.app.action_links.confirm_code(token)

    def use(_: int) -> str:
        try:
            org.app.link_actions.perform(token, confirm=confirm, signed_in=None)
        except LinkGone:
            return "gone"
        return "done"

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = sorted(pool.map(use, range(6)))
    assert answers == ["done"] + ["gone"] * 5
    timeline = org.app.incidents.timeline(org.admin, opened.number).items
    assert [e.kind for e in timeline].count("acknowledge") == 1
    with org.app.db.read() as s:
        assert s.scalar(select(func.count()).select_from(ActionLinkUse)) == 1


def mail_integration(org: Org) -> IntegrationRef:
    created = org.app.integrations.create(
        org.admin, IntegrationIn(type="email", name="helpdesk", customer="acme")
    )
    ref = org.app.integrations.by_key(created.key)
    assert ref is not None
    return ref


def reply(
    org: Org, ref: IntegrationRef, number: str, sender: str, command: str | None, body: str
) -> Outcome:
    alert = NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=f"email:<{sender}.{body}@mail>",
        summary=f"Re: [{number}] Something broke",
        description=body,
        details={"command": command} if command else {},
        reporter=sender,
        reply_to=number,
    )
    (outcome,) = org.app.alerts.ingest([Item(ref, alert)])
    return outcome


def test_ack_from_an_agent_acknowledges_as_them(org: Org) -> None:
    ref = mail_integration(org)
    opened = incident(org)
    outcome = reply(org, ref, opened.number, "agent@example.com", "acknowledge", "ack")
    assert (outcome.result, outcome.incident_number) == ("acknowledged", opened.number)
    after = org.app.incidents.get(org.admin, opened.number)
    assert after.state.value == "in_progress"
    assert after.assignee == "agent@example.com"
    last = org.app.incidents.timeline(org.admin, opened.number).items[-1]
    assert (last.kind, last.actor) == ("acknowledge", "agent@example.com")
    assert last.message == "Acknowledged by e-mail reply (to helpdesk)"
    assert org.app.incidents.notes(org.admin, opened.number).items == []


def test_resolve_from_an_agent_resolves(org: Org) -> None:
    ref = mail_integration(org)
    opened = incident(org)
    outcome = reply(org, ref, opened.number, "agent2@example.com", "resolve", "Resolved.")
    assert outcome.result == "resolved"
    after = org.app.incidents.get(org.admin, opened.number)
    assert after.state.value == "resolved"
    assert after.resolution_code is not None
    assert after.resolution_code.value == "solved_permanently"
    assert after.resolution_notes == "Resolved by e-mail reply"


@pytest.mark.parametrize(
    "sender",
    [
        "mallory@evil.test",  # nobody Tocsin knows
        "alice@acme.test",  # the requester: may comment, not work the incident
        "agent2@example.com",  # deactivated below
    ],
)
def test_ack_from_someone_who_may_not_work_it_stays_a_comment(org: Org, sender: str) -> None:
    org.app.auth.patch_user(org.admin, "agent2@example.com", UserPatch(active=False))
    ref = mail_integration(org)
    opened = incident(org)
    outcome = reply(org, ref, opened.number, sender, "acknowledge", "ack")
    assert outcome.result == "commented"
    after = org.app.incidents.get(org.admin, opened.number)
    assert after.state == opened.state
    assert [n.body for n in org.app.incidents.notes(org.admin, opened.number).items] == ["ack"]


def test_ack_on_an_incident_already_acknowledged_is_a_comment(org: Org) -> None:
    ref = mail_integration(org)
    opened = incident(org)
    assert reply(org, ref, opened.number, "agent@example.com", "acknowledge", "ack").result == (
        "acknowledged"
    )
    again = reply(org, ref, opened.number, "agent2@example.com", "acknowledge", "ack!")
    assert again.result == "commented"


def test_a_reply_without_a_command_is_a_comment(org: Org) -> None:
    ref = mail_integration(org)
    opened = incident(org)
    outcome = reply(org, ref, opened.number, "agent@example.com", None, "Looking into it")
    assert outcome.result == "commented"
    assert org.app.incidents.get(org.admin, opened.number).state == opened.state


def test_a_link_cannot_act_after_its_user_is_deactivated(org: Org) -> None:
    opened = incident(org)
    url = org.app.action_links.links_for(
        incident_id=opened.id, number=opened.number, user_id=org.agent.user_id, delivery_id="d1"
    )["resolve"]
    token = url.rsplit("/", 1)[1]
    org.app.auth.patch_user(org.admin, "agent@example.com", UserPatch(active=False))
    with pytest.raises(TocsinError) as refused:
        org.app.link_actions.perform(
            token, confirm=org.app.action_links.confirm_code(token), signed_in=None
        )
    assert refused.value.status == 403
