"""The console's main navigation: which sections a signed-in staff member sees."""

from __future__ import annotations

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission

# (path, label, permission needed or None); the order is the order on screen.
SECTIONS: tuple[tuple[str, str, Permission | None], ...] = (
    ("/dashboard", "Dashboard", None),
    ("/", "Incidents", None),
    ("/alerts", "Alerts", Permission.TEAMS_READ),
    ("/oncall", "On-call", Permission.TEAMS_READ),
    ("/services", "Services", Permission.TEAMS_READ),
    ("/integrations", "Integrations", Permission.TEAMS_READ),
    ("/sla", "SLA", Permission.TEAMS_READ),
    ("/reviews", "Reviews", Permission.REVIEW_READ),
    ("/admin/users", "Admin", Permission.USERS_MANAGE),
    ("/changes", "Changes", Permission.CHANGE_READ),
    ("/problems", "Problems", Permission.PROBLEM_READ),
    ("/known-errors", "Known errors", Permission.PROBLEM_READ),
    ("/reports", "Reports", Permission.REPORTS_READ),
)


def nav_items(principal: Principal) -> list[tuple[str, str]]:
    return [(path, text) for path, text, needs in SECTIONS if needs is None or principal.can(needs)]


def nav_active(path: str, href: str) -> bool:
    """The section a page belongs to: "/" only for the queue and incident pages."""
    if href == "/":
        return path == "/" or path.startswith("/incidents")
    if href == "/admin/users":
        return path.startswith("/admin")
    if href == "/oncall":
        return path.startswith(("/oncall", "/escalation-policies"))
    return path == href or path.startswith(href + "/")
