"""Roles and what each may do. Every route names one permission; this table decides."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    REQUESTER = "requester"
    VIEWER = "viewer"


class Permission(StrEnum):
    INCIDENT_READ = "incident.read"
    INCIDENT_CREATE = "incident.create"
    INCIDENT_WORK = "incident.work"  # edit fields, lifecycle actions, work notes
    INCIDENT_COMMENT = "incident.comment"  # comments visible to the requester
    INCIDENT_REOPEN = "incident.reopen"
    INCIDENT_BACKDATE = "incident.backdate"  # set opened_at on create (imports)
    CATALOG_READ = "catalog.read"  # services and categories
    TEAMS_READ = "teams.read"
    CATALOG_MANAGE = "catalog.manage"  # teams, services, categories
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_MANAGE = "customers.manage"
    AUDIT_READ = "audit.read"
    SELF = "self"  # one's own profile and API tokens


_STAFF_READ = {
    Permission.INCIDENT_READ,
    Permission.CATALOG_READ,
    Permission.TEAMS_READ,
    Permission.USERS_READ,
    Permission.CUSTOMERS_READ,
    Permission.SELF,
}
_AGENT = _STAFF_READ | {
    Permission.INCIDENT_CREATE,
    Permission.INCIDENT_WORK,
    Permission.INCIDENT_COMMENT,
    Permission.INCIDENT_REOPEN,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(_AGENT | {Permission.CATALOG_MANAGE, Permission.AUDIT_READ}),
    Role.AGENT: frozenset(_AGENT),
    Role.VIEWER: frozenset(_STAFF_READ),
    Role.REQUESTER: frozenset(
        {
            Permission.INCIDENT_READ,
            Permission.INCIDENT_CREATE,
            Permission.INCIDENT_COMMENT,
            Permission.INCIDENT_REOPEN,
            Permission.CATALOG_READ,
            Permission.SELF,
        }
    ),
}

STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER})
ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"role must be one of {names}, not {value!r}") from None
