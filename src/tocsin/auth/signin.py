"""Sign-in: one password check at one cost, throttled per account and per source, audited."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tocsin.auth.models import SignInThrottle, User
from tocsin.auth.principal import Principal, principal_for
from tocsin.auth.secrets import verify_password
from tocsin.auth.throttle import (
    ACCOUNT,
    ACCOUNT_LIMIT,
    FORGET_AFTER,
    SOURCE_LIMIT,
    Failure,
    Limit,
    State,
    account_key,
    after_failure,
    retry_after,
    source_group,
    source_key,
)
from tocsin.core.bounded import clip, clipped_fields
from tocsin.core.clock import Clock
from tocsin.core.errors import NotAuthenticated, TooManyRequests
from tocsin.core.events import Actor
from tocsin.db.session import Database, UnitOfWork
from tocsin.db.upsert import insert_ignore

# No stored address is longer (users.email): a longer one cannot be an account.
_EMAIL_COLUMN = 254
_REFUSED = "The e-mail address or password is not right."


@dataclass(frozen=True, slots=True)
class _Account:
    """What the password check needs of a user, read before it (outside any transaction:
    argon2 takes a tenth of a second, too long to hold SQLite's write lock)."""

    user_id: int
    password_hash: str | None


def _state(row: SignInThrottle) -> State:
    return State(
        failures=row.failures,
        window_start=row.window_start,
        blocked_until=row.blocked_until,
        blocks=row.blocks,
        last_failure_at=row.last_failure_at,
    )


def _wait(session: Session, keys: Iterable[str], now: datetime) -> int:
    """Seconds until every key may try again (0: now)."""
    rows = session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(list(keys))))
    return max((retry_after(_state(row), now) or 0 for row in rows), default=0)


def _count_failure(session: Session, key: str, limit: Limit, now: datetime) -> Failure:
    """Count a failure against `key` under a row lock, so that processes counting the same
    key at once each add theirs."""

    def locked() -> SignInThrottle | None:
        return session.scalar(
            select(SignInThrottle)
            .where(SignInThrottle.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )

    row = locked()
    if row is None:
        fresh = State.fresh(now)
        insert_ignore(
            session,
            SignInThrottle.__table__,  # type: ignore[arg-type]
            {
                "key": key,
                "failures": fresh.failures,
                "window_start": fresh.window_start,
                "blocked_until": fresh.blocked_until,
                "blocks": fresh.blocks,
                "last_failure_at": fresh.last_failure_at,
            },
        )
        row = locked()
        assert row is not None
    failure = after_failure(_state(row), limit, now)
    row.failures = failure.state.failures
    row.window_start = failure.state.window_start
    row.blocked_until = failure.state.blocked_until
    row.blocks = failure.state.blocks
    row.last_failure_at = failure.state.last_failure_at
    return failure


def throttled_sentence(seconds: int) -> str:
    """What the login page says during a block (whole minutes, rounded up)."""
    minutes = max(1, -(-seconds // 60))
    return (
        "Too many failed sign-ins with this e-mail address or from your network; "
        f"try again in {minutes} minute{'' if minutes == 1 else 's'}."
    )


class SignIn:
    """Console sign-in (the /login form, staff and portal users alike)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def login(self, email: str, password: str, *, source: str) -> Principal:
        """Check a password. Checked attempts, good or bad, land in the audit log; while
        the account or the source is blocked, attempts are refused unchecked (429), and
        only the start of the block is audited."""
        email = email.strip().lower()
        keys = {ACCOUNT_LIMIT: account_key(email), SOURCE_LIMIT: source_key(source)}
        now = self.clock.now()
        with self.db.read() as session:
            wait = _wait(session, keys.values(), now)
            account = None
            if not wait and len(email) <= _EMAIL_COLUMN:
                row = session.execute(
                    select(User.id, User.password_hash).where(User.email == email)
                ).first()
                account = _Account(row.id, row.password_hash) if row else None
        if wait:
            raise TooManyRequests(throttled_sentence(wait), retry_after=wait)
        # One argon2 verification whatever the account (unknown, no password, inactive).
        ok = verify_password(account.password_hash if account else None, password)
        with self.db.unit_of_work() as uow:
            user = uow.session.get(User, account.user_id) if account else None
            # Only the password that was checked counts: it may have changed meanwhile.
            if ok and user is not None and account is not None:
                ok = user.password_hash == account.password_hash
            if ok and user is not None and user.active:
                uow.session.execute(
                    delete(SignInThrottle).where(SignInThrottle.key == keys[ACCOUNT_LIMIT])
                )
                principal = principal_for(uow.session, user)
                uow.record(
                    "auth.login",
                    "user",
                    user.id,
                    actor=principal.actor,
                    customer_id=user.customer_id,
                    source=source,
                )
                return principal
            self._failed(uow, email=email, source=source, user=user, ok=ok, keys=keys, now=now)
        raise NotAuthenticated(_REFUSED)

    def _failed(
        self,
        uow: UnitOfWork,
        *,
        email: str,
        source: str,
        user: User | None,
        ok: bool,
        keys: dict[Limit, str],
        now: datetime,
    ) -> None:
        """Audit a failed sign-in with what the caller sent, bounded, and count it against
        the account and the source (account first: one lock order for every process)."""
        actor = Actor(kind="anonymous", label=clip(email or "(empty)").text)
        customer_id = user.customer_id if user else None
        uow.record(
            "auth.login_failed",
            "user",
            user.id if user else None,
            actor=actor,
            customer_id=customer_id,
            reason="inactive" if ok and user is not None else "bad credentials",
            **clipped_fields(email=email, source=source),
        )
        for limit, key in keys.items():
            failure = _count_failure(uow.session, key, limit, now)
            if not failure.block_started:
                continue
            until = failure.state.blocked_until
            assert until is not None
            who = (
                clipped_fields(email=email)
                if limit.kind == ACCOUNT
                else {"source": source_group(source)}
            )
            uow.record(
                "auth.login_throttled",
                "user" if limit.kind == ACCOUNT else "source",
                user.id if user and limit.kind == ACCOUNT else None,
                actor=actor,
                customer_id=customer_id if limit.kind == ACCOUNT else None,
                key=limit.kind,
                failures=failure.failures,
                block=failure.state.blocks,
                until=until.isoformat(),
                seconds=int((until - now).total_seconds()),
                **who,
            )

    def prune(self) -> int:
        """Delete the keys idle for longer than they are remembered (an engine module)."""
        cutoff = self.clock.now() - FORGET_AFTER
        with self.db.unit_of_work() as uow:
            result = uow.session.execute(
                delete(SignInThrottle).where(SignInThrottle.last_failure_at < cutoff)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
