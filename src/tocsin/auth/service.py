"""Use cases for customers, users, API tokens and sign-in."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tocsin.auth.models import ApiToken, Customer, User, WebSession
from tocsin.auth.principal import Principal
from tocsin.auth.principal import principal_for as principal_for  # its old home
from tocsin.auth.refusals import RefusalLimiter, Summary
from tocsin.auth.roles import Permission, Role
from tocsin.auth.schemas import (
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    MePatch,
    TokenCreated,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from tocsin.auth.secrets import hash_password, new_token, token_digest
from tocsin.auth.signin import SignIn
from tocsin.core.addresses import source_key
from tocsin.core.bounded import clip, clipped_fields
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, NotFound, ValidationFailed
from tocsin.core.events import Actor
from tocsin.core.ids import as_id
from tocsin.core.paging import Page, check_limit, encode_cursor, offset_from
from tocsin.core.patching import apply_fields
from tocsin.db.group_commit import LoopBatcher
from tocsin.db.session import Database, UnitOfWork

# last_used_at is a hint for humans; writing it on every request would turn reads into writes.
_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)


# The slugs of a user's teams, read in the caller's session.
TeamsOf = Callable[[Session, Sequence[int]], dict[int, list[str]]]


def default_customer(session: Session) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.is_default.is_(True)))
    if customer is None:
        raise LookupError("the default customer is missing; run `tocsin db upgrade`")
    return customer


def customer_by_slug(session: Session, principal: Principal, slug: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.slug == slug))
    if customer is None or not principal.sees_customer(customer.id):
        raise NotFound(f"There is no customer {slug!r}.")
    return customer


def named_customer_id(session: Session, principal: Principal, slug: str | None) -> int | None:
    """The customer a request names, if any: the context in which its other references
    (teams and services, whose slugs are unique per customer only) are resolved."""
    return customer_by_slug(session, principal, slug).id if slug else None


def owning_customer_id(
    session: Session, principal: Principal, *, slug: str | None, service_customer_id: int | None
) -> int:
    """The customer a new record belongs to: the one named, else its service's, else the
    principal's own (the provider's staff: the default customer)."""
    if slug:
        return customer_by_slug(session, principal, slug).id
    if service_customer_id is not None:
        return service_customer_id
    if not principal.all_customers:
        return principal.customer_id
    return default_customer(session).id


def user_by_ref(session: Session, principal: Principal, ref: str | int) -> User:
    """A user by id or e-mail, within what the principal may see."""
    text = str(ref).strip()
    ident = as_id(text)
    if ident is not None:
        user = session.get(User, ident)
    else:
        user = session.scalar(select(User).where(User.email == text.lower()))
    if user is None or not principal.sees_customer(user.customer_id):
        raise NotFound(f"There is no user {text!r}.")
    if principal.is_requester and user.id != principal.user_id:
        raise NotFound(f"There is no user {text!r}.")
    return user


def _keep_an_administrator(session: Session, user: User, data: UserPatch) -> None:
    """The service provider always keeps one active administrator: without one, nobody
    could manage users, teams or customers from the console or the API any more."""
    if user.role != Role.ADMIN.value or not user.active:
        return
    demoted = data.role is not None and data.role is not Role.ADMIN
    disabled = data.active is False
    if not (demoted or disabled):
        return
    customer = session.get(Customer, user.customer_id)
    if customer is None or not customer.is_default:
        return
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.customer_id == user.customer_id,
            User.role == Role.ADMIN.value,
            User.active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(
            f"{user.email} is the last active administrator; make another user an "
            "administrator first.",
            field="active" if disabled else "role",
        )


def _customer_out(customer: Customer) -> CustomerOut:
    return CustomerOut(
        id=customer.id,
        slug=customer.slug,
        name=customer.name,
        is_default=customer.is_default,
        created_at=customer.created_at,
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@dataclass(frozen=True, slots=True)
class Denial:
    """A refused request, as the audit records it."""

    principal: Principal | None
    what: str
    source: str
    reason: str


class AuthService:
    def __init__(
        self, db: Database, clock: Clock, *, teams_of: TeamsOf, max_batch: int = 500
    ) -> None:
        self.db = db
        self.clock = clock
        # Teams are the catalog's: it says which a user belongs to (auth never imports it).
        self.teams_of = teams_of
        self.refusals = RefusalLimiter()
        self.sign_in = SignIn(db, clock)
        # The ingest routes' refused keys, audited in group commit on the server's loop.
        self.denial_writer: LoopBatcher[Denial, None] = LoopBatcher(
            self.record_denials, max_batch=max_batch
        )

    def _event(
        self,
        uow: UnitOfWork,
        actor: Actor,
        action: str,
        object_type: str,
        object_id: object,
        customer_id: int | None,
        **data: Any,
    ) -> None:
        uow.record(action, object_type, object_id, actor=actor, customer_id=customer_id, **data)

    # customers -------------------------------------------------------------------------

    def create_customer(self, principal: Principal, data: CustomerIn) -> CustomerOut:
        principal.require(Permission.CUSTOMERS_CREATE)
        with self.db.unit_of_work() as uow:
            if uow.session.scalar(select(Customer.id).where(Customer.slug == data.slug)):
                raise Conflict(f"A customer with slug {data.slug!r} already exists.")
            customer = Customer(slug=data.slug, name=data.name, created_at=self.clock.now())
            uow.session.add(customer)
            uow.session.flush()
            self._event(
                uow,
                principal.actor,
                "customer.created",
                "customer",
                customer.id,
                customer.id,
                slug=data.slug,
                name=data.name,
            )
            return _customer_out(customer)

    def list_customers(self, principal: Principal) -> Page[CustomerOut]:
        principal.require(Permission.CUSTOMERS_READ)
        with self.db.read() as session:
            query = select(Customer).order_by(Customer.slug)
            if not principal.all_customers:
                query = query.where(Customer.id == principal.customer_id)
            items = [_customer_out(c) for c in session.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def own_customer(self, principal: Principal) -> CustomerOut:
        """The customer the principal belongs to: anyone signed in may know whose portal
        they are in (a requester reads no other customer)."""
        principal.require(Permission.SELF)
        with self.db.read() as session:
            customer = session.get(Customer, principal.customer_id)
            if customer is None:
                raise NotFound("Your customer no longer exists.")
            return _customer_out(customer)

    def get_customer(self, principal: Principal, slug: str) -> CustomerOut:
        principal.require(Permission.CUSTOMERS_READ)
        with self.db.read() as session:
            return _customer_out(customer_by_slug(session, principal, slug))

    def patch_customer(self, principal: Principal, slug: str, data: CustomerPatch) -> CustomerOut:
        principal.require(Permission.CUSTOMERS_MANAGE)
        with self.db.unit_of_work() as uow:
            customer = customer_by_slug(uow.session, principal, slug)
            if data.name is not None and data.name != customer.name:
                before = customer.name
                customer.name = data.name
                self._event(
                    uow,
                    principal.actor,
                    "customer.updated",
                    "customer",
                    customer.id,
                    customer.id,
                    name=[before, data.name],
                )
            return _customer_out(customer)

    # users -------------------------------------------------------------------------------

    def _user_out(self, session: Session, user: User) -> UserOut:
        return self._users_out(session, [user])[0]

    def _users_out(self, session: Session, users: Sequence[User]) -> list[UserOut]:
        """Answers for a page of users: their customers and teams in one statement each,
        not two per user (the console's assignee list has hundreds)."""
        customer_ids = {u.customer_id for u in users}
        query = select(Customer.id, Customer.slug).where(Customer.id.in_(customer_ids))
        slugs: dict[int, str] = dict(session.execute(query).all())
        teams = self.teams_of(session, [u.id for u in users])
        return [
            UserOut(
                id=user.id,
                email=user.email,
                name=user.name,
                role=Role(user.role),
                customer=slugs[user.customer_id],
                time_zone=user.time_zone,
                active=user.active,
                teams=teams[user.id],
                created_at=user.created_at,
            )
            for user in users
        ]

    def create_user(self, principal: Principal, data: UserIn) -> UserOut:
        principal.require(Permission.USERS_MANAGE)
        with self.db.unit_of_work() as uow:
            session = uow.session
            customer = session.get(
                Customer,
                owning_customer_id(
                    session, principal, slug=data.customer, service_customer_id=None
                ),
            )
            assert customer is not None
            # E-mail addresses are the sign-in name, unique across customers: the answer
            # must not tell a tenant which other customer (or who) has this one.
            if session.scalar(select(User.id).where(User.email == data.email)):
                raise Conflict("This e-mail address is already in use.", field="email")
            user = User(
                email=data.email,
                name=data.name or data.email.split("@")[0],
                role=data.role.value,
                customer_id=customer.id,
                password_hash=hash_password(data.password) if data.password else None,
                time_zone=data.time_zone,
                active=True,
                created_at=self.clock.now(),
            )
            session.add(user)
            session.flush()
            self._event(
                uow,
                principal.actor,
                "user.created",
                "user",
                user.id,
                customer.id,
                email=user.email,
                role=user.role,
                customer=customer.slug,
            )
            return self._user_out(session, user)

    def list_users(
        self,
        principal: Principal,
        *,
        role: Role | None = None,
        customer: str | None = None,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[UserOut]:
        principal.require(Permission.USERS_READ)
        check_limit(limit)
        offset = offset_from(cursor)
        with self.db.read() as session:
            query = select(User)
            if not principal.all_customers:
                query = query.where(User.customer_id == principal.customer_id)
            if role is not None:
                query = query.where(User.role == role.value)
            if customer is not None:
                query = query.where(
                    User.customer_id == customer_by_slug(session, principal, customer).id
                )
            if q:
                like = f"%{q.lower()}%"
                query = query.where(User.email.like(like) | func.lower(User.name).like(like))
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(query.order_by(User.email).offset(offset).limit(limit)).all()
            items = self._users_out(session, rows)
            more = offset + len(items) < total
            return Page(
                items=items, total=total, next=encode_cursor([offset + limit]) if more else None
            )

    def last_sign_ins(self, principal: Principal, user_ids: list[int]) -> dict[int, datetime]:
        """When each of these users last signed in to the console (their newest session),
        for those who ever did and whom the principal may see."""
        principal.require(Permission.USERS_READ)
        if not user_ids:
            return {}
        with self.db.read() as session:
            query = (
                select(WebSession.user_id, func.max(WebSession.created_at))
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.user_id.in_(user_ids))
                .group_by(WebSession.user_id)
            )
            if not principal.all_customers:
                query = query.where(User.customer_id == principal.customer_id)
            return {row[0]: row[1] for row in session.execute(query)}

    def users_per_customer(self, principal: Principal) -> dict[str, int]:
        """How many users each customer the principal sees has (by customer slug)."""
        principal.require(Permission.USERS_READ)
        with self.db.read() as session:
            query = (
                select(Customer.slug, func.count(User.id))
                .join(User, User.customer_id == Customer.id)
                .group_by(Customer.slug)
            )
            if not principal.all_customers:
                query = query.where(Customer.id == principal.customer_id)
            return {row[0]: row[1] for row in session.execute(query)}

    def get_user(self, principal: Principal, ref: str) -> UserOut:
        if not (
            principal.can(Permission.USERS_READ) or ref in (str(principal.user_id), principal.email)
        ):
            principal.require(Permission.USERS_READ)
        with self.db.read() as session:
            return self._user_out(session, user_by_ref(session, principal, ref))

    def patch_user(self, principal: Principal, ref: str, data: UserPatch) -> UserOut:
        principal.require(Permission.USERS_MANAGE)
        with self.db.unit_of_work() as uow:
            user = user_by_ref(uow.session, principal, ref)
            _keep_an_administrator(uow.session, user, data)
            changes = apply_fields(user, data, ("name", "time_zone", "active"))
            if data.role is not None and data.role.value != user.role:
                if user.id == principal.user_id:
                    raise Conflict(
                        "You cannot change your own role; ask another administrator.",
                        field="role",
                    )
                changes["role"] = [user.role, data.role.value]
                user.role = data.role.value
            revoked: dict[str, int] = {}
            if data.password is not None:
                user.password_hash = hash_password(data.password)
                changes["password"] = ["***", "***"]
                revoked = self._revoke_credentials(uow.session, user.id)
            if changes:
                self._event(
                    uow,
                    principal.actor,
                    "user.updated",
                    "user",
                    user.id,
                    user.customer_id,
                    changes=changes,
                    **revoked,
                )
            return self._user_out(uow.session, user)

    def _revoke_credentials(self, session: Session, user_id: int) -> dict[str, int]:
        """A new password ends every way in that the old one opened: open console sessions
        and API tokens (someone who learnt the password may have made either)."""
        now = self.clock.now()
        sessions = session.execute(
            update(WebSession)
            .where(
                WebSession.user_id == user_id,
                WebSession.revoked_at.is_(None),
                WebSession.expires_at > now,
            )
            .values(revoked_at=now)
        )
        tokens = session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return {
            "sessions_revoked": int(sessions.rowcount),  # type: ignore[attr-defined]
            "tokens_revoked": int(tokens.rowcount),  # type: ignore[attr-defined]
        }

    def patch_me(self, principal: Principal, data: MePatch) -> UserOut:
        """Anyone may change their own display name and time zone."""
        principal.require(Permission.SELF)
        with self.db.unit_of_work() as uow:
            user = uow.session.get(User, principal.user_id)
            if user is None:
                raise NotFound("Only a signed-in user has a profile.")
            changes = apply_fields(user, data, ("name", "time_zone"))
            if changes:
                self._event(
                    uow,
                    principal.actor,
                    "user.updated",
                    "user",
                    user.id,
                    user.customer_id,
                    changes=changes,
                )
            return self._user_out(uow.session, user)

    # tokens ------------------------------------------------------------------------------

    def create_token(self, principal: Principal, *, email: str | None, name: str) -> TokenCreated:
        """A new token for `email` (administrators) or for the principal itself."""
        with self.db.unit_of_work() as uow:
            if email is None or email.lower() == principal.email:
                principal.require(Permission.SELF)
                owner = uow.session.get(User, principal.user_id)
                if owner is None:
                    raise ValidationFailed("Name the user the token is for.", field="email")
            else:
                principal.require(Permission.USERS_MANAGE)
                owner = user_by_ref(uow.session, principal, email)
            if not owner.active:
                raise Conflict(f"{owner.email} is deactivated; activate the account first.")
            secret = new_token()
            token = ApiToken(
                user_id=owner.id,
                name=name,
                token_hash=token_digest(secret),
                prefix=secret[:10],
                created_at=self.clock.now(),
                last_used_at=None,
                revoked_at=None,
            )
            uow.session.add(token)
            uow.session.flush()
            self._event(
                uow,
                principal.actor,
                "token.created",
                "token",
                token.id,
                owner.customer_id,
                user=owner.email,
                name=name,
                prefix=token.prefix,
            )
            return TokenCreated(token=secret, **_token_out(token).model_dump())

    def list_tokens(self, principal: Principal) -> Page[TokenOut]:
        principal.require(Permission.SELF)
        with self.db.read() as session:
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id)
            ).all()
            return Page(items=[_token_out(t) for t in rows], total=len(rows), next=None)

    def revoke_token(self, principal: Principal, token_id: int) -> TokenOut:
        principal.require(Permission.SELF)
        with self.db.unit_of_work() as uow:
            ident = as_id(token_id)
            token = uow.session.get(ApiToken, ident) if ident is not None else None
            owner = uow.session.get(User, token.user_id) if token else None
            mine = token is not None and token.user_id == principal.user_id
            manageable = (
                owner is not None
                and principal.can(Permission.USERS_MANAGE)
                and principal.sees_customer(owner.customer_id)
            )
            if token is None or owner is None or not (mine or manageable):
                raise NotFound(f"There is no token {token_id}.")
            if token.revoked_at is None:
                token.revoked_at = self.clock.now()
                self._event(
                    uow,
                    principal.actor,
                    "token.revoked",
                    "token",
                    token.id,
                    owner.customer_id,
                    user=owner.email,
                    prefix=token.prefix,
                )
            return _token_out(token)

    def authenticate_token(self, secret: str) -> Principal | None:
        digest = token_digest(secret)
        now = self.clock.now()
        with self.db.read() as session:
            row = session.execute(
                select(ApiToken, User)
                .join(User, User.id == ApiToken.user_id)
                .where(ApiToken.token_hash == digest)
            ).first()
            if row is None:
                return None
            token, user = row
            if token.revoked_at is not None or not user.active:
                return None
            principal = principal_for(session, user)
            stale = token.last_used_at is None or now - token.last_used_at > _TOKEN_TOUCH_INTERVAL
        if stale:
            with self.db.unit_of_work() as uow:
                stored = uow.session.get(ApiToken, token.id)
                if stored is not None:
                    stored.last_used_at = now
        return principal

    # sign-in -----------------------------------------------------------------------------

    def login(self, email: str, password: str, *, source: str) -> Principal:
        """Check a password (throttled, audited): see `SignIn.login`."""
        return self.sign_in.login(email, password, source=source)

    def open_session(self, principal: Principal, *, max_age_seconds: int) -> str:
        """A new console session for a signed-in user; returns the nonce for its cookie."""
        nonce = secrets.token_urlsafe(24)
        now = self.clock.now()
        with self.db.unit_of_work() as uow:
            uow.session.add(
                WebSession(
                    id=token_digest(nonce),
                    user_id=principal.user_id,
                    created_at=now,
                    expires_at=now + timedelta(seconds=max_age_seconds),
                    revoked_at=None,
                )
            )
        return nonce

    def session_principal(self, user_id: int, nonce: str) -> Principal | None:
        """The user behind a console session, if it is still open and the user active."""
        now = self.clock.now()
        with self.db.read() as session:
            row = session.get(WebSession, token_digest(nonce))
            if (
                row is None
                or row.user_id != user_id
                or row.revoked_at is not None
                or row.expires_at <= now
            ):
                return None
            user = session.get(User, user_id)
            if user is None or not user.active:
                return None
            return principal_for(session, user)

    def close_session(self, principal: Principal, nonce: str, *, source: str) -> None:
        """Sign-out: the session is revoked server-side, so a copied cookie dies with it."""
        with self.db.unit_of_work() as uow:
            row = uow.session.get(WebSession, token_digest(nonce))
            if row is None or row.user_id != principal.user_id or row.revoked_at is not None:
                return
            row.revoked_at = self.clock.now()
            self._event(
                uow,
                principal.actor,
                "auth.logout",
                "user",
                principal.user_id,
                principal.customer_id,
                source=source,
            )

    def principal_by_id(self, user_id: int) -> Principal | None:
        with self.db.read() as session:
            user = session.get(User, user_id)
            if user is None or not user.active:
                return None
            return principal_for(session, user)

    def record_denied(
        self, principal: Principal | None, *, what: str, source: str, reason: str
    ) -> None:
        """Permission failures are audited in a transaction of their own."""
        self.record_denials([Denial(principal, what=what, source=source, reason=reason)])

    async def audit_refused(self, denial: Denial) -> None:
        """Audit a refused ingest key before it is answered, in group commit with the other
        refusals of the moment: a flood of bad keys must not cost a transaction each on the
        event loop that serves the good ones."""
        await self.denial_writer.store([denial])

    def record_denials(self, denials: list[Denial]) -> list[None]:
        """Several refusals audited in one transaction (the ingest endpoints' refused keys
        are group committed: a flood of bad keys costs a row each, not a transaction
        each); one answer per denial, for the group-commit writer. What a refused caller
        sent is stored clipped, and past a source's allowance in a minute a refusal is
        only counted, for that minute's summary entry (`auth/refusals.py`)."""
        now = self.clock.now()
        admitted: list[Denial] = []
        summaries: list[Summary] = []
        for denial in denials:
            recorded, ended = self.refusals.admit(source_key(denial.source), denial.reason, now)
            summaries += ended
            if recorded:
                admitted.append(denial)
        self._write_refusals(admitted, summaries)
        return [None] * len(denials)

    def flush_refusals(self, *, final: bool = False) -> int:
        """Write the summaries of refusals counted in a minute that has ended (every
        engine tick), or of every minute still open (`final`: at shutdown)."""
        now = self.clock.now()
        summaries = self.refusals.drain(now) if final else self.refusals.due(now)
        self._write_refusals([], summaries)
        return len(summaries)

    def _write_refusals(self, denials: list[Denial], summaries: list[Summary]) -> None:
        if not denials and not summaries:
            return
        with self.db.unit_of_work() as uow:
            for denial in denials:
                principal = denial.principal
                source = clip(denial.source, 100).text
                self._event(
                    uow,
                    principal.actor if principal else Actor(kind="anonymous", label=source),
                    "auth.denied",
                    "request",
                    None,
                    principal.customer_id if principal else None,
                    **clipped_fields(what=denial.what, source=denial.source, reason=denial.reason),
                )
            for summary in summaries:
                self._event(
                    uow,
                    Actor(kind="anonymous", label=summary.source),
                    "auth.denied_summary",
                    "request",
                    None,
                    None,
                    source=summary.source,
                    sources=summary.sources,
                    refusals=summary.refusals,
                    reasons=summary.reasons,
                    start=summary.start.isoformat(),
                    end=summary.end.isoformat(),
                )
