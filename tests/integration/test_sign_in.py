"""Sign-in on both databases: one argon2 check whatever the account, throttling per
account and per source (429 with Retry-After, one audit entry per block), bounded audit
entries, and the engine forgetting idle keys."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from tests.conftest import make_user
from tocsin.audit.models import AuditEntry
from tocsin.audit.verify import verify
from tocsin.auth import secrets
from tocsin.auth.models import SignInThrottle
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserPatch
from tocsin.core.clock import FrozenClock
from tocsin.core.errors import NotAuthenticated, TooManyRequests

from .conftest import Org

PASSWORD = "a long password"
WRONG = "not the password"
HERE = "192.0.2.10"


class CountingHasher(PasswordHasher):
    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        type(self).verified += 1
        return super().verify(hash, password)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> type[CountingHasher]:
    secrets.dummy_hash()  # made once, before counting
    CountingHasher.verified = 0
    monkeypatch.setattr(secrets, "_hasher", CountingHasher())
    return CountingHasher


@pytest.fixture
def signin(org: Org) -> Org:
    org.app.auth.patch_user(org.admin, "agent@example.com", UserPatch(password=PASSWORD))
    return org


def login(org: Org, email: str, password: str, source: str = HERE) -> Any:
    return org.app.auth.login(email, password, source=source)


def refused(org: Org, email: str, password: str = WRONG, source: str = HERE) -> None:
    with pytest.raises(NotAuthenticated):
        login(org, email, password, source)


def throttled(org: Org, email: str, password: str = WRONG, source: str = HERE) -> int:
    with pytest.raises(TooManyRequests) as info:
        login(org, email, password, source)
    assert "Too many failed sign-ins" in info.value.detail
    return info.value.retry_after


def entries(org: Org, action: str) -> list[AuditEntry]:
    with org.app.db.read() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
            )
        )


# equal cost ---------------------------------------------------------------------------------


def test_every_kind_of_account_costs_one_argon2_verification(
    signin: Org, verifications: type[CountingHasher]
) -> None:
    org = signin
    make_user(org.app, org.admin, "tokens-only@example.com", Role.AGENT)  # no password
    make_user(org.app, org.admin, "gone@example.com", Role.AGENT, password=PASSWORD)
    org.app.auth.patch_user(org.admin, "gone@example.com", UserPatch(active=False))
    tries = [
        ("agent@example.com", PASSWORD, True),  # right
        ("agent@example.com", WRONG, False),  # wrong password
        ("tokens-only@example.com", WRONG, False),  # no password at all
        ("tokens-only@example.com", "tocsin-timing-equaliser", False),  # the dummy's own
        ("gone@example.com", PASSWORD, False),  # inactive
        ("nobody@example.com", WRONG, False),  # unknown
        ("x" * 300 + "@example.com", WRONG, False),  # longer than any address
    ]
    for i, (email, password, good) in enumerate(tries):
        verifications.verified = 0
        if good:
            login(org, email, password, source=f"198.51.100.{i}")
        else:
            refused(org, email, password, source=f"198.51.100.{i}")
        assert verifications.verified == 1, email


# throttling -----------------------------------------------------------------------------------


def test_an_account_is_blocked_after_five_failures_without_checking_the_password(
    signin: Org, clock: FrozenClock, verifications: type[CountingHasher]
) -> None:
    org = signin
    for i in range(5):
        refused(org, "agent@example.com", source=f"198.51.100.{i}")
    verifications.verified = 0
    # Even the right password, from another address, is refused unchecked.
    assert throttled(org, "agent@example.com", PASSWORD, source="203.0.113.99") == 60
    assert verifications.verified == 0
    clock.advance(seconds=30)
    assert throttled(org, "Agent@Example.com ", PASSWORD) == 30
    assert len(entries(org, "auth.login_failed")) == 5
    [block] = entries(org, "auth.login_throttled")
    assert block.data["key"] == "account"
    assert block.data["email"] == "agent@example.com"
    assert block.data["failures"] == 5
    assert block.data["until"] == (clock.now() + timedelta(seconds=30)).isoformat()
    clock.advance(seconds=30)
    assert login(org, "agent@example.com", PASSWORD).email == "agent@example.com"
    assert verify(org.app.db, key=org.app.audit_key).problem is None


def test_unknown_e_mails_are_blocked_exactly_like_known_ones(signin: Org) -> None:
    org = signin
    for email in ("agent@example.com", "nobody@example.com"):
        for i in range(5):
            refused(org, email, source=f"198.51.100.{i}")
        assert throttled(org, email, source="203.0.113.1") == 60
    blocks = entries(org, "auth.login_throttled")
    assert [b.data["email"] for b in blocks] == ["agent@example.com", "nobody@example.com"]
    assert {b.actor for b in blocks} == {
        "anonymous:agent@example.com",
        "anonymous:nobody@example.com",
    }


def test_a_repeated_burst_doubles_the_block_and_is_audited_once_per_block(
    signin: Org, clock: FrozenClock
) -> None:
    org = signin
    waits = []
    for _ in range(3):
        for _ in range(5):
            refused(org, "agent@example.com")
        waits.append(throttled(org, "agent@example.com"))
        for _ in range(10):  # a flood during the block leaves no trace
            throttled(org, "agent@example.com")
        clock.advance(seconds=waits[-1])
    assert waits == [60, 120, 240]
    assert len(entries(org, "auth.login_failed")) == 15
    assert [e.data["block"] for e in entries(org, "auth.login_throttled")] == [1, 2, 3]


def test_a_successful_sign_in_clears_the_account_counter(signin: Org) -> None:
    org = signin
    for _ in range(4):
        refused(org, "agent@example.com")
    login(org, "agent@example.com", PASSWORD)
    for _ in range(4):
        refused(org, "agent@example.com")
    login(org, "agent@example.com", PASSWORD)
    assert entries(org, "auth.login_throttled") == []


def test_a_source_is_blocked_after_twenty_failures_across_accounts(
    signin: Org, clock: FrozenClock
) -> None:
    org = signin
    for i in range(20):
        # a good sign-in between does not clear the source's count
        if i == 10:
            login(org, "agent@example.com", PASSWORD, source="2001:db8:7:7::1")
        refused(org, f"user{i}@example.com", source=f"2001:db8:7:7::{i + 1:x}")
    # The whole /64 is blocked, for every account, the right password included.
    assert throttled(org, "agent@example.com", PASSWORD, source="2001:db8:7:7:ffff::9") == 60
    # Another /64 is not.
    login(org, "agent@example.com", PASSWORD, source="2001:db8:7:8::1")
    [block] = entries(org, "auth.login_throttled")
    assert block.data["key"] == "source"
    assert block.data["source"] == "2001:db8:7:7::/64"
    assert "email" not in block.data
    clock.advance(seconds=60)
    login(org, "agent@example.com", PASSWORD, source="2001:db8:7:7::1")


def test_processes_failing_at_once_lose_no_count(signin: Org) -> None:
    org = signin

    def attempt(i: int) -> str:
        try:
            login(org, "target@example.com", WRONG, source=f"198.51.100.{i}")
        except NotAuthenticated:
            return "refused"
        except TooManyRequests:
            return "throttled"
        return "signed in"

    def stored() -> SignInThrottle:
        with org.app.db.read() as session:
            return session.scalars(
                select(SignInThrottle).where(SignInThrottle.key.like("account:%"))
            ).one()

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(attempt, range(4))) == ["refused"] * 4
    assert stored().failures == 4
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4, 12)))
    assert set(outcomes) <= {"refused", "throttled"}
    assert stored().blocks == 1
    assert len(entries(org, "auth.login_throttled")) == 1
    assert throttled(org, "target@example.com") == 60


# bounded audit entries ----------------------------------------------------------------------


def test_a_huge_e_mail_is_refused_and_audited_in_bounded_form(signin: Org) -> None:
    org = signin
    email = "m" * 1_000_000 + "@example.com"
    refused(org, email)
    [entry] = entries(org, "auth.login_failed")
    assert len(entry.actor) <= 254
    assert entry.actor.startswith("anonymous:mmm")
    assert len(entry.data["email"]) <= 200
    assert entry.data["email_cut"]["chars"] == len(email)
    assert entry.data["source"] == HERE
    assert verify(org.app.db, key=org.app.audit_key).problem is None


def test_an_e_mail_just_over_the_column_is_refused_not_an_error(signin: Org) -> None:
    org = signin
    refused(org, "a" * 250 + "@example.com")
    [entry] = entries(org, "auth.login_failed")
    assert entry.data["reason"] == "bad credentials"


# the engine forgets idle keys ----------------------------------------------------------------


def test_the_engine_deletes_keys_idle_for_a_day(signin: Org, clock: FrozenClock) -> None:
    from tocsin.workers.engine import Engine

    org = signin
    refused(org, "nobody@example.com")
    engine = Engine(org.app, holder="one")

    def rows() -> int:
        with org.app.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(SignInThrottle)) or 0)

    assert rows() == 2  # the account and the source
    clock.advance(hours=23)
    refused(org, "other@example.com", source="198.51.100.1")
    assert engine.tick()["sign_in_throttles"] == 0
    clock.advance(hours=1, seconds=1)
    assert engine.tick()["sign_in_throttles"] == 2
    assert rows() == 2
