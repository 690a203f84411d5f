"""Use cases for teams (assignment groups), services (configuration items) and categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.auth.principal import Principal
from tocsin.auth.roles import ASSIGNABLE_ROLES, Permission, Role
from tocsin.auth.service import named_customer_id, owning_customer_id, user_by_ref
from tocsin.catalog.models import Category, Service, Team, TeamMember
from tocsin.catalog.resolve import service_by_slug, team_by_slug
from tocsin.catalog.schemas import (
    CategoryIn,
    CategoryOut,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    TeamIn,
    TeamOut,
    TeamPatch,
)
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict, ValidationFailed
from tocsin.core.paging import Page
from tocsin.core.patching import apply_fields
from tocsin.db.session import Database, UnitOfWork
from tocsin.oncall.models import EscalationPolicy
from tocsin.oncall.specs import policy_id_by_slug


def team_slugs_of(session: Session, user_ids: Sequence[int]) -> dict[int, list[str]]:
    """The slugs of the teams each user is a member of (a user's answer lists them), in
    one statement for a whole page of users."""
    found: dict[int, list[str]] = {user_id: [] for user_id in user_ids}
    if not found:
        return found
    rows = session.execute(
        select(TeamMember.user_id, Team.slug)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(list(found)))
        .order_by(Team.slug)
    )
    for user_id, slug in rows:
        found[user_id].append(slug)
    return found


def category_by_name(session: Session, name: str, *, parent_id: int | None) -> Category | None:
    query = select(Category).where(func.lower(Category.name) == name.strip().lower())
    query = query.where(
        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id
    )
    return session.scalar(query)


def _policy_slug(session: Session, policy_id: int | None) -> str | None:
    policy = session.get(EscalationPolicy, policy_id) if policy_id else None
    return policy.slug if policy else None


def _policy_id(session: Session, slug: str | None, customer_id: int) -> int | None:
    return policy_id_by_slug(session, slug, customer_id=customer_id) if slug else None


def _owner(session: Session, principal: Principal, slug: str | None) -> Customer:
    """The customer a new team or service belongs to: the one named, else the caller's own."""
    customer = session.get(
        Customer, owning_customer_id(session, principal, slug=slug, service_customer_id=None)
    )
    assert customer is not None
    return customer


class CatalogService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _emit(
        self,
        uow: UnitOfWork,
        principal: Principal,
        action: str,
        kind: str,
        object_id: int,
        customer_id: int | None,
        **data: Any,
    ) -> None:
        uow.record(action, kind, object_id, actor=principal.actor, customer_id=customer_id, **data)

    # teams -------------------------------------------------------------------------------

    def _team_out(self, session: Session, team: Team) -> TeamOut:
        customer = session.get(Customer, team.customer_id)
        assert customer is not None
        members = session.scalars(
            select(User.email)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team.id)
            .order_by(User.email)
        ).all()
        return TeamOut(
            id=team.id,
            slug=team.slug,
            name=team.name,
            customer=customer.slug,
            members=list(members),
            escalation_policy=_policy_slug(session, team.escalation_policy_id),
            created_at=team.created_at,
        )

    def _set_members(
        self, session: Session, principal: Principal, team: Team, emails: list[str]
    ) -> list[str]:
        users = []
        for email in dict.fromkeys(emails):
            user = session.scalar(select(User).where(User.email == email))
            if user is None or not principal.sees_customer(user.customer_id):
                raise ValidationFailed(f"There is no user {email}.", field="members")
            if Role(user.role) not in ASSIGNABLE_ROLES:
                raise ValidationFailed(
                    f"{email} is a {user.role}; only admins, managers and agents can be "
                    "team members.",
                    field="members",
                )
            users.append(user)
        session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
        session.add_all(TeamMember(team_id=team.id, user_id=u.id) for u in users)
        return sorted(u.email for u in users)

    def create_team(self, principal: Principal, data: TeamIn) -> TeamOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer = _owner(s, principal, data.customer)
            if s.scalar(
                select(Team.id).where(Team.customer_id == customer.id, Team.slug == data.slug)
            ):
                raise Conflict(f"Customer {customer.slug} already has a team {data.slug!r}.")
            team = Team(
                slug=data.slug,
                name=data.name,
                customer_id=customer.id,
                created_at=self.clock.now(),
                escalation_policy_id=_policy_id(s, data.escalation_policy, customer.id),
            )
            s.add(team)
            s.flush()
            members = self._set_members(s, principal, team, data.members)
            self._emit(
                uow,
                principal,
                "team.created",
                "team",
                team.id,
                customer.id,
                slug=team.slug,
                members=members,
                escalation_policy=data.escalation_policy,
            )
            return self._team_out(s, team)

    def list_teams(self, principal: Principal) -> Page[TeamOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(Team).order_by(Team.slug, Team.customer_id)
            if not principal.all_customers:
                query = query.where(Team.customer_id == principal.customer_id)
            items = [self._team_out(s, t) for t in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get_team(self, principal: Principal, slug: str, *, customer: str | None = None) -> TeamOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return self._team_out(
                s,
                team_by_slug(
                    s, principal, slug, customer_id=named_customer_id(s, principal, customer)
                ),
            )

    def patch_team(
        self, principal: Principal, slug: str, data: TeamPatch, *, customer: str | None = None
    ) -> TeamOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            team = team_by_slug(
                s, principal, slug, customer_id=named_customer_id(s, principal, customer)
            )
            changes: dict[str, object] = {}
            if data.name is not None and data.name != team.name:
                changes["name"] = [team.name, data.name]
                team.name = data.name
            if data.members is not None:
                before = self._team_out(s, team).members
                after = self._set_members(s, principal, team, data.members)
                if before != after:
                    changes["members"] = [before, after]
            if "escalation_policy" in data.model_fields_set:
                new_policy = _policy_id(s, data.escalation_policy, team.customer_id)
                if new_policy != team.escalation_policy_id:
                    changes["escalation_policy"] = [
                        _policy_slug(s, team.escalation_policy_id),
                        data.escalation_policy,
                    ]
                    team.escalation_policy_id = new_policy
            if changes:
                self._emit(
                    uow,
                    principal,
                    "team.updated",
                    "team",
                    team.id,
                    team.customer_id,
                    changes=changes,
                )
            s.flush()
            return self._team_out(s, team)

    def set_user_teams(self, principal: Principal, ref: str, team_ids: list[int]) -> list[str]:
        """Make `ref` a member of exactly these teams (among those the principal sees); the
        slugs of its teams afterwards. Each team whose members change is recorded as
        patch_team records it, and membership follows the same rule (`_set_members`)."""
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            user = user_by_ref(s, principal, ref)
            wanted: list[Team] = []
            for team_id in dict.fromkeys(team_ids):
                team = s.get(Team, team_id)
                if team is None or not principal.sees_customer(team.customer_id):
                    raise ValidationFailed(f"There is no team with id {team_id}.", field="teams")
                wanted.append(team)
            query = select(Team).join(TeamMember, TeamMember.team_id == Team.id)
            current = s.scalars(query.where(TeamMember.user_id == user.id)).all()
            wanted_ids = {t.id for t in wanted}
            current_ids = {t.id for t in current}
            changed = [t for t in wanted if t.id not in current_ids] + [
                t
                for t in current
                if t.id not in wanted_ids and principal.sees_customer(t.customer_id)
            ]
            for team in changed:
                before = self._team_out(s, team).members
                emails = [e for e in before if e != user.email]
                if team.id in wanted_ids:
                    emails.append(user.email)
                after = self._set_members(s, principal, team, emails)
                s.flush()
                self._emit(
                    uow,
                    principal,
                    "team.updated",
                    "team",
                    team.id,
                    team.customer_id,
                    changes={"members": [before, after]},
                )
            return team_slugs_of(s, [user.id])[user.id]

    # services ----------------------------------------------------------------------------

    def _service_out(self, session: Session, service: Service) -> ServiceOut:
        customer = session.get(Customer, service.customer_id)
        team = session.get(Team, service.team_id) if service.team_id else None
        assert customer is not None
        return ServiceOut(
            id=service.id,
            slug=service.slug,
            name=service.name,
            description=service.description,
            customer=customer.slug,
            team=team.slug if team else None,
            escalation_policy=_policy_slug(session, service.escalation_policy_id),
            created_at=service.created_at,
        )

    def create_service(self, principal: Principal, data: ServiceIn) -> ServiceOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer = _owner(s, principal, data.customer)
            if s.scalar(
                select(Service.id).where(
                    Service.customer_id == customer.id, Service.slug == data.slug
                )
            ):
                raise Conflict(f"Customer {customer.slug} already has a service {data.slug!r}.")
            team = (
                team_by_slug(s, principal, data.team, customer_id=customer.id, field="team")
                if data.team
                else None
            )
            service = Service(
                slug=data.slug,
                name=data.name,
                description=data.description,
                customer_id=customer.id,
                team_id=team.id if team else None,
                created_at=self.clock.now(),
                escalation_policy_id=_policy_id(s, data.escalation_policy, customer.id),
            )
            s.add(service)
            s.flush()
            self._emit(
                uow,
                principal,
                "service.created",
                "service",
                service.id,
                customer.id,
                slug=service.slug,
                team=data.team,
                escalation_policy=data.escalation_policy,
            )
            return self._service_out(s, service)

    def list_services(self, principal: Principal) -> Page[ServiceOut]:
        principal.require(Permission.CATALOG_READ)
        with self.db.read() as s:
            query = select(Service).order_by(Service.slug, Service.customer_id)
            if not principal.all_customers:
                query = query.where(Service.customer_id == principal.customer_id)
            items = [self._service_out(s, x) for x in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def get_service(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> ServiceOut:
        principal.require(Permission.CATALOG_READ)
        with self.db.read() as s:
            return self._service_out(
                s,
                service_by_slug(
                    s, principal, slug, customer_id=named_customer_id(s, principal, customer)
                ),
            )

    def patch_service(
        self, principal: Principal, slug: str, data: ServicePatch, *, customer: str | None = None
    ) -> ServiceOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            service = service_by_slug(
                s, principal, slug, customer_id=named_customer_id(s, principal, customer)
            )
            changes: dict[str, object] = dict(apply_fields(service, data, ("name", "description")))
            if "team" in data.model_fields_set:
                team = (
                    team_by_slug(
                        s, principal, data.team, customer_id=service.customer_id, field="team"
                    )
                    if data.team
                    else None
                )
                new_id = team.id if team else None
                if new_id != service.team_id:
                    changes["team"] = [service.team_id, data.team]
                    service.team_id = new_id
            if "escalation_policy" in data.model_fields_set:
                new_policy = _policy_id(s, data.escalation_policy, service.customer_id)
                if new_policy != service.escalation_policy_id:
                    changes["escalation_policy"] = [
                        _policy_slug(s, service.escalation_policy_id),
                        data.escalation_policy,
                    ]
                    service.escalation_policy_id = new_policy
            if changes:
                self._emit(
                    uow,
                    principal,
                    "service.updated",
                    "service",
                    service.id,
                    service.customer_id,
                    changes=changes,
                )
            return self._service_out(s, service)

    # categories --------------------------------------------------------------------------

    def _category_out(self, session: Session, category: Category) -> CategoryOut:
        parent = session.get(Category, category.parent_id) if category.parent_id else None
        children = session.scalars(
            select(Category.name).where(Category.parent_id == category.id).order_by(Category.name)
        ).all()
        return CategoryOut(
            id=category.id,
            name=category.name,
            parent=parent.name if parent else None,
            subcategories=list(children),
        )

    def create_category(self, principal: Principal, data: CategoryIn) -> CategoryOut:
        principal.require(Permission.CATEGORIES_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            parent = None
            if data.parent:
                parent = category_by_name(s, data.parent, parent_id=None)
                if parent is None:
                    raise ValidationFailed(
                        f"There is no top-level category {data.parent!r} to nest under.",
                        field="parent",
                    )
            if category_by_name(s, data.name, parent_id=parent.id if parent else None):
                raise Conflict(f"The category {data.name!r} already exists there.")
            category = Category(name=data.name, parent_id=parent.id if parent else None)
            s.add(category)
            s.flush()
            self._emit(
                uow,
                principal,
                "category.created",
                "category",
                category.id,
                None,
                name=data.name,
                parent=data.parent,
            )
            return self._category_out(s, category)

    def list_categories(self, principal: Principal) -> Page[CategoryOut]:
        principal.require(Permission.CATALOG_READ)
        with self.db.read() as s:
            rows = s.scalars(
                select(Category).where(Category.parent_id.is_(None)).order_by(Category.name)
            ).all()
            items = [self._category_out(s, c) for c in rows]
            return Page(items=items, total=len(items), next=None)
