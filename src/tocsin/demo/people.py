"""Who and what the demo world contains: an MSP (the default customer), its customers,
teams, people and services."""

from __future__ import annotations

from dataclasses import dataclass

from tocsin.auth.roles import Role

DEMO_PASSWORD = "tocsin-demo"
PROVIDER_DOMAIN = "northwind.example"


@dataclass(frozen=True, slots=True)
class CustomerDef:
    slug: str
    name: str
    weight: float  # share of the incidents


@dataclass(frozen=True, slots=True)
class TeamDef:
    slug: str
    name: str
    customer: str | None = None  # None: the provider's own team


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: Role
    customer: str | None = None  # None: provider staff
    teams: tuple[str, ...] = ()
    time_zone: str = "UTC"

    @property
    def email(self) -> str:
        domain = f"{self.customer}.example" if self.customer else PROVIDER_DOMAIN
        return f"{self.name.lower().replace(' ', '.')}@{domain}"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]


@dataclass(frozen=True, slots=True)
class ServiceDef:
    slug: str
    name: str
    team: str
    description: str
    customer: str | None = None  # None: a service the provider runs for everyone


CUSTOMERS = (
    CustomerDef("acme", "Acme Corporation", 0.35),
    CustomerDef("globex", "Globex Industries", 0.25),
    CustomerDef("initech", "Initech", 0.22),
    CustomerDef("umbrella", "Umbrella Research", 0.18),
)

TEAMS = (
    TeamDef("service-desk", "Service Desk"),
    TeamDef("network", "Network Operations"),
    TeamDef("databases", "Database Administration"),
    TeamDef("platform", "Platform & SRE"),
    TeamDef("security", "Security Operations"),
    TeamDef("acme-it", "Acme IT (customer side)", customer="acme"),
)

PEOPLE = (
    Person("Morgan Reyes", Role.ADMIN, time_zone="Europe/London"),
    Person("Priya Natarajan", Role.MANAGER, teams=("service-desk",), time_zone="Europe/Berlin"),
    Person("Tom Becker", Role.MANAGER, teams=("network", "platform"), time_zone="Europe/Berlin"),
    Person("Lena Fischer", Role.AGENT, teams=("service-desk",), time_zone="Europe/Berlin"),
    Person("Marco Rossi", Role.AGENT, teams=("service-desk",), time_zone="Europe/Rome"),
    Person("Aisha Khan", Role.AGENT, teams=("service-desk",), time_zone="Europe/London"),
    Person("Jonas Weber", Role.AGENT, teams=("network",), time_zone="Europe/Berlin"),
    Person("Sofia Alvarez", Role.AGENT, teams=("network",), time_zone="Europe/Madrid"),
    Person("Hiro Tanaka", Role.AGENT, teams=("databases",), time_zone="Asia/Tokyo"),
    Person("Emma Laurent", Role.AGENT, teams=("databases",), time_zone="Europe/Paris"),
    Person("Noah Kim", Role.AGENT, teams=("platform",), time_zone="America/New_York"),
    Person("Ines Duarte", Role.AGENT, teams=("platform",), time_zone="Europe/Lisbon"),
    Person("Grace Okafor", Role.AGENT, teams=("security",), time_zone="Europe/London"),
    Person("Viktor Novak", Role.AGENT, teams=("security",), time_zone="Europe/Prague"),
    Person("Olivia Grant", Role.VIEWER, time_zone="America/Chicago"),
    Person(
        "Raj Patel", Role.AGENT, customer="acme", teams=("acme-it",), time_zone="America/New_York"
    ),
    Person("Alice Moreau", Role.REQUESTER, customer="acme", time_zone="America/New_York"),
    Person("Ben Carter", Role.REQUESTER, customer="acme", time_zone="America/New_York"),
    Person("Carol Jensen", Role.REQUESTER, customer="globex", time_zone="Europe/Copenhagen"),
    Person("Dmitri Volkov", Role.REQUESTER, customer="globex"),
    Person("Peter Gibbons", Role.REQUESTER, customer="initech", time_zone="America/Chicago"),
    Person("Joanna Mills", Role.REQUESTER, customer="initech", time_zone="America/Chicago"),
    Person("Claire Hughes", Role.REQUESTER, customer="umbrella", time_zone="Europe/London"),
    Person("Sam Whitaker", Role.REQUESTER, customer="umbrella"),
)

SERVICES = (
    ServiceDef(
        "mail",
        "Managed E-mail",
        "service-desk",
        "Hosted mailboxes, shared mailboxes and calendars for every customer.",
    ),
    ServiceDef("vpn", "Remote Access VPN", "network", "Client VPN and site-to-site tunnels."),
    ServiceDef("wan", "WAN & Site Links", "network", "MPLS and internet links between offices."),
    ServiceDef(
        "identity",
        "Identity & Single Sign-On",
        "service-desk",
        "Directory accounts, password resets, SSO to business applications.",
    ),
    ServiceDef("backup", "Backup & Restore", "platform", "Nightly backups with 30-day retention."),
    ServiceDef("siem", "Security Monitoring (SIEM)", "security", "24x7 detection and response."),
    ServiceDef(
        "workplace", "Workplace & Devices", "service-desk", "Laptops, printers, Wi-Fi, phones."
    ),
    ServiceDef(
        "acme-checkout",
        "Acme Checkout API",
        "platform",
        "Payment and order API behind shop.acme.example.",
        customer="acme",
    ),
    ServiceDef(
        "acme-webshop",
        "Acme Web Shop",
        "acme-it",
        "Storefront content and search, run by Acme's own IT.",
        customer="acme",
    ),
    ServiceDef(
        "acme-warehouse-db",
        "Acme Warehouse Database",
        "databases",
        "PostgreSQL cluster behind picking and stock.",
        customer="acme",
    ),
    ServiceDef("globex-crm", "Globex CRM", "platform", "Sales CRM, 400 users.", customer="globex"),
    ServiceDef(
        "globex-payroll",
        "Globex Payroll",
        "service-desk",
        "Monthly payroll and bank exports.",
        customer="globex",
    ),
    ServiceDef(
        "initech-billing-db",
        "Initech Billing Database",
        "databases",
        "Invoicing database with a hot standby.",
        customer="initech",
    ),
    ServiceDef(
        "initech-tps",
        "Initech TPS Reporting",
        "service-desk",
        "Quarterly TPS report generation.",
        customer="initech",
    ),
    ServiceDef(
        "umbrella-lims",
        "Umbrella LIMS",
        "platform",
        "Laboratory information management system.",
        customer="umbrella",
    ),
)


def members_of(team: str) -> list[Person]:
    return [p for p in PEOPLE if team in p.teams]


def requesters_of(customer: str) -> list[Person]:
    return [p for p in PEOPLE if p.customer == customer and p.role is Role.REQUESTER]


def person(email: str) -> Person:
    for candidate in PEOPLE:
        if candidate.email == email:
            return candidate
    raise KeyError(email)


def service(slug: str) -> ServiceDef:
    for candidate in SERVICES:
        if candidate.slug == slug:
            return candidate
    raise KeyError(slug)
