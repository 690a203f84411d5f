"""Use cases for escalation policies: whom to page, level by level, until someone acts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.auth.service import named_customer_id, owning_customer_id
from tocsin.auth.slugs import by_slug
from tocsin.core.clock import Clock
from tocsin.core.errors import Conflict
from tocsin.core.paging import Page
from tocsin.db.session import Database
from tocsin.oncall.models import EscalationPolicy, Schedule
from tocsin.oncall.refs import (
    SERVICES,
    TEAMS,
    customer_slug,
    on_call_user,
    team_id_by_slug,
)
from tocsin.oncall.schemas import LevelIn, LevelOut, PolicyIn, PolicyOut, PolicyPatch, TargetOut
from tocsin.oncall.specs import target_labels


def policy_users(session: Session, policy_id: int) -> list[str]:
    """What pages through a policy: "service acme-web", "team ops", sorted."""
    services = session.scalars(
        select(SERVICES.c.slug).where(SERVICES.c.escalation_policy_id == policy_id)
    )
    teams = session.scalars(select(TEAMS.c.slug).where(TEAMS.c.escalation_policy_id == policy_id))
    return sorted([f"service {slug}" for slug in services] + [f"team {slug}" for slug in teams])


class PolicyUseCases:
    db: Database
    clock: Clock

    def _levels(
        self, s: Session, principal: Principal, levels: list[LevelIn], *, customer_id: int
    ) -> list[dict[str, Any]]:
        stored = []
        for i, level in enumerate(levels):
            targets = []
            for j, target in enumerate(level.targets):
                field = f"levels.{i}.targets.{j}.ref"
                if target.type == "user":
                    ident = on_call_user(
                        s, principal, target.ref, customer_id=customer_id, field=field
                    ).id
                elif target.type == "schedule":
                    ident = by_slug(
                        s,
                        principal,
                        Schedule,
                        "schedule",
                        target.ref,
                        customer_id=customer_id,
                        field=field,
                    ).id
                else:
                    ident = team_id_by_slug(s, target.ref, customer_id=customer_id, field=field)
                targets.append({"type": target.type, "id": ident})
            stored.append({"delay_minutes": level.delay_minutes, "targets": targets})
        return stored

    def _policy_out(self, s: Session, policy: EscalationPolicy) -> PolicyOut:
        labels = target_labels(s, [policy])
        return PolicyOut(
            id=policy.id,
            slug=policy.slug,
            name=policy.name,
            customer=customer_slug(s, policy.customer_id),
            repeat=policy.repeat,
            levels=[
                LevelOut(
                    delay_minutes=level["delay_minutes"],
                    targets=[
                        TargetOut(
                            type=t["type"], ref=labels.get((t["type"], t["id"]), f"#{t['id']}")
                        )
                        for t in level["targets"]
                    ],
                )
                for level in policy.levels
            ],
            created_at=policy.created_at,
        )

    def create_policy(self, principal: Principal, data: PolicyIn) -> PolicyOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            customer_id = owning_customer_id(
                s, principal, slug=data.customer, service_customer_id=None
            )
            if s.scalar(
                select(EscalationPolicy.id).where(
                    EscalationPolicy.customer_id == customer_id,
                    EscalationPolicy.slug == data.slug,
                )
            ):
                raise Conflict(
                    f"Customer {customer_slug(s, customer_id)} already has an escalation "
                    f"policy {data.slug!r}."
                )
            policy = EscalationPolicy(
                customer_id=customer_id,
                slug=data.slug,
                name=data.name,
                repeat=data.repeat,
                levels=self._levels(s, principal, data.levels, customer_id=customer_id),
                created_at=self.clock.now(),
            )
            s.add(policy)
            s.flush()
            uow.record(
                "escalation_policy.created",
                "escalation_policy",
                policy.id,
                actor=principal.actor,
                customer_id=customer_id,
                slug=policy.slug,
                levels=policy.levels,
                repeat=policy.repeat,
            )
            return self._policy_out(s, policy)

    def list_policies(self, principal: Principal) -> Page[PolicyOut]:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            query = select(EscalationPolicy).order_by(
                EscalationPolicy.slug, EscalationPolicy.customer_id
            )
            if not principal.all_customers:
                query = query.where(EscalationPolicy.customer_id == principal.customer_id)
            items = [self._policy_out(s, p) for p in s.scalars(query)]
            return Page(items=items, total=len(items), next=None)

    def _policy(
        self, s: Session, principal: Principal, slug: str, customer: str | None
    ) -> EscalationPolicy:
        return by_slug(
            s,
            principal,
            EscalationPolicy,
            "escalation policy",
            slug,
            customer_id=named_customer_id(s, principal, customer),
        )

    def get_policy(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> PolicyOut:
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return self._policy_out(s, self._policy(s, principal, slug, customer))

    def policy_used_by(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> list[str]:
        """The services and teams whose incidents page through the policy."""
        principal.require(Permission.TEAMS_READ)
        with self.db.read() as s:
            return policy_users(s, self._policy(s, principal, slug, customer).id)

    def patch_policy(
        self, principal: Principal, slug: str, data: PolicyPatch, *, customer: str | None = None
    ) -> PolicyOut:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            policy = self._policy(s, principal, slug, customer)
            changes: dict[str, object] = {}
            if data.name is not None and data.name != policy.name:
                changes["name"] = [policy.name, data.name]
                policy.name = data.name
            if data.repeat is not None and data.repeat != policy.repeat:
                changes["repeat"] = [policy.repeat, data.repeat]
                policy.repeat = data.repeat
            if data.levels is not None:
                levels = self._levels(s, principal, data.levels, customer_id=policy.customer_id)
                if levels != policy.levels:
                    changes["levels"] = [policy.levels, levels]
                    policy.levels = levels
            if changes:
                uow.record(
                    "escalation_policy.updated",
                    "escalation_policy",
                    policy.id,
                    actor=principal.actor,
                    customer_id=policy.customer_id,
                    changes=changes,
                )
            s.flush()
            return self._policy_out(s, policy)

    def delete_policy(
        self, principal: Principal, slug: str, *, customer: str | None = None
    ) -> None:
        principal.require(Permission.CATALOG_MANAGE)
        with self.db.unit_of_work() as uow:
            s = uow.session
            policy = self._policy(s, principal, slug, customer)
            users = policy_users(s, policy.id)
            if users:
                raise Conflict(
                    f"The escalation policy {slug!r} is used by {', '.join(users)}; "
                    "give them another policy (or none) first."
                )
            uow.record(
                "escalation_policy.deleted",
                "escalation_policy",
                policy.id,
                actor=principal.actor,
                customer_id=policy.customer_id,
                slug=policy.slug,
            )
            s.delete(policy)
