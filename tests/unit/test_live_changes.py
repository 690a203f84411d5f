"""The live updates' pure rules: who sees a change, coalescing, the bounded mailbox, the
outbox gaps looked at again."""

from __future__ import annotations

import json
from dataclasses import dataclass

from tocsin.live.changes import Batch, Change, Mailbox, coalesce, gaps, visible_to


@dataclass(frozen=True)
class Someone:
    all_customers: bool
    customer_id: int


PROVIDER = Someone(all_customers=True, customer_id=1)
ACME = Someone(all_customers=False, customer_id=2)


def change(
    ref: str = "INC0001001", topic: str = "incident.created", customer: int | None = 2
) -> Change:
    return Change("incident", ref, topic, customer)


def test_the_provider_sees_every_tenant_and_a_tenant_only_itself() -> None:
    assert visible_to(change(customer=2), PROVIDER)
    assert visible_to(change(customer=3), PROVIDER)
    assert visible_to(change(customer=2), ACME)
    assert not visible_to(change(customer=3), ACME)
    assert not visible_to(change(customer=None), ACME)  # of no known customer: the provider's
    assert visible_to(change(customer=None), PROVIDER)


def test_a_change_is_sent_as_the_documented_json() -> None:
    assert json.loads(change(topic="incident.acknowledged").as_json()) == {
        "kind": "incident",
        "ref": "INC0001001",
        "topic": "incident.acknowledged",
        "customer_id": 2,
    }
    assert json.loads(Change("alerts", None, "alert.changed", 4).as_json())["ref"] is None


def test_a_burst_on_one_incident_is_one_change_with_the_latest_topic() -> None:
    burst = [
        change("INC1", "incident.created"),
        change("INC2", "incident.created"),
        change("INC1", "incident.acknowledged"),
        change("INC1", "incident.commented"),
    ]
    assert coalesce(burst) == [
        change("INC2", "incident.created"),
        change("INC1", "incident.commented"),
    ]


def test_a_mailbox_hands_over_what_it_holds_coalesced() -> None:
    box = Mailbox(limit=10)
    assert not box
    box.put([change("INC1"), change("INC1", "incident.resolved")])
    assert box
    assert box.take() == Batch(resync=False, changes=[change("INC1", "incident.resolved")])
    assert not box


def test_a_full_mailbox_drops_its_backlog_for_a_resync() -> None:
    box = Mailbox(limit=3)
    box.put([change(f"INC{n}") for n in range(3)])
    box.put([change("INC9")])
    assert box.take() == Batch(resync=True, changes=[])
    box.put([change("INC10")])
    assert box.take() == Batch(resync=False, changes=[change("INC10")])


def test_gaps_are_the_ids_skipped_below_the_newest_read() -> None:
    assert gaps(10, [11, 12, 13]) == []
    assert gaps(10, [12, 15]) == [11, 13, 14]
    assert gaps(10, []) == []
