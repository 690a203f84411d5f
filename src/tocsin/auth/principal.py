"""Who is asking: the signed-in user with role and customer scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tocsin.auth.models import Customer, User
from tocsin.auth.roles import STAFF_ROLES, Permission, Role, can, refusal
from tocsin.core.errors import PermissionDenied
from tocsin.core.events import Actor


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    email: str
    name: str
    role: Role
    customer_id: int
    # Staff of the default (provider) customer work every customer's records.
    all_customers: bool
    time_zone: str = "UTC"

    @property
    def actor(self) -> Actor:
        if not self.user_id:
            return Actor.system(self.name)
        return Actor(kind="user", label=self.email, user_id=self.user_id)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_requester(self) -> bool:
        return self.role is Role.REQUESTER

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission, provider=self.all_customers)

    def refusal(self, permission: Permission) -> str:
        return refusal(self.role, permission, provider=self.all_customers)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(self.refusal(permission))

    def sees_customer(self, customer_id: int) -> bool:
        return self.all_customers or customer_id == self.customer_id


def system_principal(*, default_customer_id: int, name: str = "cli") -> Principal:
    """An administrator acting for a local command (the CLI, imports, the demo loader)."""
    return Principal(
        user_id=0,
        email=f"system:{name}",
        name=name,
        role=Role.ADMIN,
        customer_id=default_customer_id,
        all_customers=True,
    )


def principal_for(session: Session, user: User) -> Principal:
    """A stored user as a principal: its role, and the scope its customer gives it."""
    customer = session.get(Customer, user.customer_id)
    assert customer is not None
    role = Role(user.role)
    return Principal(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=role,
        customer_id=user.customer_id,
        all_customers=customer.is_default and role is not Role.REQUESTER,
        time_zone=user.time_zone,
    )
