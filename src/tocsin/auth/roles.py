"""Roles and what each may do. Every route names one permission; this table decides (with
the few permissions only the service provider's own staff hold)."""

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
    CATALOG_MANAGE = "catalog.manage"  # teams, services, integrations
    CATEGORIES_MANAGE = "categories.manage"  # the one taxonomy every customer shares
    USERS_READ = "users.read"
    USERS_MANAGE = "users.manage"
    CUSTOMERS_READ = "customers.read"
    CUSTOMERS_MANAGE = "customers.manage"  # rename one's customer
    CUSTOMERS_CREATE = "customers.create"
    AUDIT_READ = "audit.read"
    SELF = "self"  # one's own profile and API tokens
    VIEWS_SHARE = "views.share"  # share a saved queue view with all staff of one's customer
    PROBLEM_READ = "problem.read"  # problems, known errors, problem candidates
    PROBLEM_MANAGE = "problem.manage"  # create and work problems and known errors
    CHANGE_READ = "change.read"
    CHANGE_RECORD = "change.record"  # record a change (deploy, configuration, maintenance)
    REVIEW_WRITE = "review.write"  # write post-incident reviews and their action items
    REPORTS_READ = "reports.read"  # MTTA, MTTR, SLA compliance and the other reports
    IMPORT_RUN = "import.run"  # import another system's records with their history
    REVIEW_READ = "review.read"  # post-incident reviews and their action items


_STAFF_READ = {
    Permission.INCIDENT_READ,
    Permission.CATALOG_READ,
    Permission.TEAMS_READ,
    Permission.USERS_READ,
    Permission.CUSTOMERS_READ,
    Permission.SELF,
    Permission.PROBLEM_READ,
    Permission.CHANGE_READ,
    Permission.REPORTS_READ,
    Permission.REVIEW_READ,
}
_AGENT = _STAFF_READ | {
    Permission.INCIDENT_CREATE,
    Permission.INCIDENT_WORK,
    Permission.INCIDENT_COMMENT,
    Permission.INCIDENT_REOPEN,
    Permission.CHANGE_RECORD,
    Permission.REVIEW_WRITE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        _AGENT
        | {
            Permission.CATALOG_MANAGE,
            Permission.CATEGORIES_MANAGE,
            Permission.AUDIT_READ,
            Permission.VIEWS_SHARE,
            Permission.PROBLEM_MANAGE,
        }
    ),
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

# What only the service provider's own staff may do, whatever their role: these act on
# what every customer shares. The sentence tells a tenant's staff why they are refused.
PROVIDER_ONLY: dict[Permission, str] = {
    Permission.CATEGORIES_MANAGE: (
        "Categories are one taxonomy shared by every customer; they are managed by the "
        "service provider."
    ),
    Permission.CUSTOMERS_CREATE: "Only the service provider's administrators create customers.",
}

STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER})
ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})


def can(role: Role, permission: Permission, *, provider: bool) -> bool:
    """`provider`: the caller is one of the service provider's staff (not a tenant's)."""
    if not provider and permission in PROVIDER_ONLY:
        return False
    return permission in ROLE_PERMISSIONS[role]


def refusal(role: Role, permission: Permission, *, provider: bool) -> str:
    """Why `can` said no, in a sentence."""
    if not provider and permission in PROVIDER_ONLY and permission in ROLE_PERMISSIONS[role]:
        return PROVIDER_ONLY[permission]
    return f"Your role ({role.value}) does not allow this ({permission.value})."


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"role must be one of {names}, not {value!r}") from None
