"""Make a benchmark database with N incidents (default 1,000,000), fast.

    python bench/generate.py --db sqlite            # bench/data/tocsin-bench.db
    python bench/generate.py --db postgres          # database tocsin_bench (dropped, recreated)
    python bench/generate.py --db both --incidents 100000

The database is created fresh and migrated with Alembic (the real schema), then filled
with bulk writes that bypass the domain services: executemany in big batches on SQLite,
COPY on PostgreSQL. Secondary indexes of `incidents` are dropped during the load and
recreated from their own DDL afterwards (read back from the catalog, so they stay exactly
what the migrations made); ANALYZE runs at the end.

The shape of the data (fixed seed): ~10 customers, ~20 teams, ~50 services, ~200 users;
opened_at spread over 3 years; ~5% of incidents open (most of them recent, a long tail of
old backlog); priorities P1 2%, P2 8%, P3 40%, P4 30%, P5 20%, each with an impact/urgency
pair that gives it through the default matrix; numbers INC0001001.. with the `incident`
counter set to the last number used. The audit log stays empty (bulk rows are history,
not events).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import make_url

from tocsin.db import migrate
from tocsin.db.engine import build_engine, normalise_url
from tocsin.migrations.models import metadata
from tocsin.settings import DEFAULT_PRIORITY_MATRIX

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SQLITE_URL = f"sqlite:///{DATA / 'tocsin-bench.db'}"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tocsin_bench"
FIRST_NUMBER = 1001
SPAN = timedelta(days=3 * 365)
BATCH = 50_000

OPEN_STATES = ("new", "assigned", "in_progress", "on_hold")
OPEN_WEIGHTS = (10, 30, 40, 20)
PRIORITY_WEIGHTS = {1: 2, 2: 8, 3: 40, 4: 30, 5: 20}
HOLD_REASONS = ("awaiting_requester", "awaiting_vendor", "awaiting_change", "awaiting_problem")
RESOLUTION_CODES = (
    ("solved_permanently", 60),
    ("solved_workaround", 20),
    ("not_reproducible", 8),
    ("resolved_by_requester", 7),
    ("duplicate", 4),
    ("too_costly", 1),
)
TYPES = (("incident", 85), ("service_request", 12), ("security_incident", 3))
# Minutes to first response and hours to resolution, by priority (lower, upper bounds).
ACK_MINUTES = {1: (1, 15), 2: (3, 45), 3: (10, 240), 4: (30, 900), 5: (60, 2880)}
RESOLVE_HOURS = {1: (0.5, 6), 2: (1, 24), 3: (2, 96), 4: (4, 240), 5: (8, 480)}

COLUMNS = (
    "id",
    "number",
    "customer_id",
    "type",
    "title",
    "description",
    "category_id",
    "subcategory_id",
    "service_id",
    "requester_id",
    "team_id",
    "assignee_id",
    "impact",
    "urgency",
    "priority",
    "priority_overridden",
    "priority_reason",
    "tags",
    "major",
    "state",
    "hold_reason",
    "resolution_code",
    "resolution_notes",
    "cancel_reason",
    "reopen_count",
    "reassignment_count",
    "version",
    "opened_at",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "created_by_id",
)
DATETIME_COLUMNS = tuple(
    COLUMNS.index(c)
    for c in ("opened_at", "acknowledged_at", "resolved_at", "closed_at", "updated_at")
)
BOOL_COLUMNS = tuple(COLUMNS.index(c) for c in ("priority_overridden", "major"))

SUBJECTS = (
    "Checkout API latency above {n}s",
    "VPN tunnel to {site} flapping",
    "Phishing e-mail reported by {dept}",
    "Disk usage above {pct}% on {host}",
    "Replication lag on {host}",
    "Users cannot sign in to {app}",
    "{app} returns HTTP 502 for some users",
    "Printer on floor {n} jams on every job",
    "Password reset for {dept} shared mailbox",
    "New starter laptop for {dept}",
    "Certificate for {app} expires in {n} days",
    "Packet loss on WAN link to {site}",
    "Backup job failed on {host}",
    "Slow queries on {app} database",
    "Wi-Fi drops in {site} office",
    "Access to {app} for a new team member",
    "Suspicious login to {app} from unknown country",
    "Malware detected on laptop in {dept}",
    "Nightly export from {app} missing rows",
    "DNS resolution failing for {app} in {site}",
)
SITES = ("Frankfurt", "Amsterdam", "Lyon", "Manchester", "Warsaw", "Chicago", "Singapore")
DEPTS = ("finance", "HR", "sales", "legal", "marketing", "logistics", "engineering")
APPS = ("CRM", "ERP", "payroll", "web shop", "intranet", "file server", "ticketing")
HOSTS = tuple(
    f"{k}-{n:02d}" for k in ("db-prod", "web", "app", "fs", "k8s-node") for n in (1, 3, 7)
)


@dataclass
class World:
    customers: list[int]
    default_customer: int
    teams: list[int]
    team_weights: list[float]  # cumulative
    members: dict[int, list[int]]
    services: list[tuple[int, int, int]]  # id, customer_id, team_id
    service_weights: list[float]  # cumulative
    requesters: dict[int, list[int]]  # customer_id -> user ids
    agents: list[int]
    categories: list[tuple[int, int]]  # (category_id, subcategory_id)
    pairs: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


def _log(message: str) -> None:
    print(message, flush=True)


def is_sqlite(url: str) -> bool:
    return normalise_url(url).startswith("sqlite")


def _pg_admin_conninfo(url: str) -> tuple[str, str]:
    parsed = make_url(normalise_url(url))
    conninfo = (
        f"host={parsed.host or '127.0.0.1'} port={parsed.port or 5432} "
        f"user={parsed.username or 'postgres'} dbname=postgres"
        + (f" password={parsed.password}" if parsed.password else "")
    )
    assert parsed.database, "the PostgreSQL URL needs a database name"
    return conninfo, parsed.database


def pg_conninfo(url: str) -> str:
    admin, name = _pg_admin_conninfo(url)
    return admin.replace("dbname=postgres", f"dbname={name}")


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise ValueError("the SQLite URL needs a file")
    return Path(database)


def fresh_database(url: str) -> None:
    """Drop and recreate the database (a file on SQLite, a database on PostgreSQL)."""
    if is_sqlite(url):
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    conninfo, name = _pg_admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(url: str) -> bool:
    if is_sqlite(url):
        return sqlite_path(url).exists()
    conninfo, name = _pg_admin_conninfo(url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        return row is not None


# reference data --------------------------------------------------------------------------


def _weights(count: int, skew: float) -> list[float]:
    """Cumulative Zipf-like weights: a few busy items, a long tail."""
    return list(itertools.accumulate(1.0 / (rank + 1) ** skew for rank in range(count)))


def _priority_pairs() -> dict[int, list[tuple[int, int]]]:
    pairs: dict[int, list[tuple[int, int]]] = {}
    for key, priority in DEFAULT_PRIORITY_MATRIX.items():
        impact, urgency = (int(x) for x in key.split("x"))
        pairs.setdefault(priority, []).append((impact, urgency))
    return pairs


def make_reference_data(engine: Engine, rng: random.Random, now: datetime) -> World:
    """Customers, users, teams, members and services, in one transaction."""
    t = metadata.tables
    created = now - SPAN - timedelta(days=30)
    with engine.begin() as conn:
        default_id = conn.execute(
            select(t["customers"].c.id).where(t["customers"].c.is_default.is_(True))
        ).scalar_one()
        names = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"]
        names.append("cyberdyne")
        customer_ids = [default_id]
        for slug in names:
            customer_ids.append(
                conn.execute(
                    insert(t["customers"])
                    .values(slug=slug, name=slug.title(), is_default=False, created_at=created)
                    .returning(t["customers"].c.id)
                ).scalar_one()
            )

        def add_user(email: str, role: str, customer_id: int) -> int:
            return int(
                conn.execute(
                    insert(t["users"])
                    .values(
                        email=email,
                        name=email.split("@")[0].replace(".", " ").title(),
                        role=role,
                        customer_id=customer_id,
                        password_hash=None,
                        time_zone="UTC",
                        active=True,
                        created_at=created,
                    )
                    .returning(t["users"].c.id)
                ).scalar_one()
            )

        add_user("admin@msp.example", "admin", default_id)
        managers = [add_user(f"manager{i}@msp.example", "manager", default_id) for i in range(9)]
        agents = [add_user(f"agent{i:02d}@msp.example", "agent", default_id) for i in range(50)]
        for i in range(5):
            add_user(f"viewer{i}@msp.example", "viewer", default_id)
        customer_agents: dict[int, list[int]] = {}
        for slug, cid in zip(names, customer_ids[1:], strict=True):
            customer_agents[cid] = [add_user(f"it{i}@{slug}.example", "agent", cid) for i in (1, 2)]
        requesters: dict[int, list[int]] = {cid: [] for cid in customer_ids}
        for i in range(117):
            cid = customer_ids[i % len(customer_ids)]
            slug = "msp" if cid == default_id else names[customer_ids.index(cid) - 1]
            requesters[cid].append(add_user(f"user{i:03d}@{slug}.example", "requester", cid))

        # 15 provider teams, 5 customer-side teams.
        provider_teams = [
            "service-desk",
            "network",
            "databases",
            "platform",
            "security",
            "storage",
            "identity",
            "messaging",
            "end-user",
            "cloud",
            "middleware",
            "observability",
            "erp-support",
            "web-ops",
            "field-services",
        ]
        teams: list[tuple[int, int]] = []  # (team id, customer id)
        members: dict[int, list[int]] = {}
        for i, slug in enumerate(provider_teams):
            team_id = conn.execute(
                insert(t["teams"])
                .values(
                    slug=slug,
                    name=slug.replace("-", " ").title(),
                    customer_id=default_id,
                    created_at=created,
                )
                .returning(t["teams"].c.id)
            ).scalar_one()
            staff = [agents[(i * 4 + k) % len(agents)] for k in range(5)]
            staff.append(managers[i % len(managers)])
            members[team_id] = sorted(set(staff))
            teams.append((team_id, default_id))
        for cid in customer_ids[1:6]:
            slug = names[customer_ids.index(cid) - 1]
            team_id = conn.execute(
                insert(t["teams"])
                .values(
                    slug=f"{slug}-it",
                    name=f"{slug.title()} IT",
                    customer_id=cid,
                    created_at=created,
                )
                .returning(t["teams"].c.id)
            ).scalar_one()
            members[team_id] = customer_agents[cid]
            teams.append((team_id, cid))
        conn.execute(
            insert(t["team_members"]),
            [
                {"team_id": team, "user_id": user}
                for team, users in members.items()
                for user in users
            ],
        )

        services: list[tuple[int, int, int]] = []
        for i in range(50):
            team_id, team_customer = teams[i % len(teams)]
            owner = team_customer if team_customer != default_id else customer_ids[i % 10]
            service_id = conn.execute(
                insert(t["services"])
                .values(
                    slug=f"service-{i:02d}",
                    name=f"Service {i:02d}",
                    description="",
                    customer_id=owner,
                    team_id=team_id,
                    created_at=created,
                )
                .returning(t["services"].c.id)
            ).scalar_one()
            services.append((service_id, owner, team_id))

        categories = [
            (int(parent), int(child))
            for child, parent in conn.execute(
                select(t["categories"].c.id, t["categories"].c.parent_id).where(
                    t["categories"].c.parent_id.is_not(None)
                )
            )
        ]
    team_ids = [team for team, _ in teams]
    return World(
        customers=customer_ids,
        default_customer=default_id,
        teams=team_ids,
        team_weights=_weights(len(team_ids), 1.0),
        members=members,
        services=services,
        service_weights=_weights(len(services), 0.8),
        requesters=requesters,
        agents=agents,
        categories=categories,
        pairs=_priority_pairs(),
    )


# incidents ---------------------------------------------------------------------------


def _title(rng: random.Random) -> str:
    return rng.choice(SUBJECTS).format(
        n=rng.randint(2, 9),
        site=rng.choice(SITES),
        dept=rng.choice(DEPTS),
        pct=rng.choice((85, 90, 95, 98)),
        host=rng.choice(HOSTS),
        app=rng.choice(APPS),
    )


def _open_probability(age: timedelta) -> float:
    """Recent incidents are mostly still open; older ones rarely (the forgotten backlog)."""
    if age < timedelta(days=3):
        return 0.8
    if age < timedelta(days=30):
        return 0.35
    return 0.038


def incident_rows(
    world: World, count: int, rng: random.Random, end: datetime
) -> Iterator[tuple[Any, ...]]:
    """Rows in COLUMNS order, oldest first, timestamps as aware UTC datetimes."""
    start = end - SPAN
    span_seconds = SPAN.total_seconds()
    offsets = sorted(rng.random() * span_seconds for _ in range(count))
    priorities = list(PRIORITY_WEIGHTS)
    priority_weights = list(PRIORITY_WEIGHTS.values())
    types = [t for t, _ in TYPES]
    type_weights = [w for _, w in TYPES]
    codes = [c for c, _ in RESOLUTION_CODES]
    code_weights = [w for _, w in RESOLUTION_CODES]
    auto_close = timedelta(days=7)
    for index, offset in enumerate(offsets):
        opened = start + timedelta(seconds=offset, microseconds=rng.randint(1, 999_999))
        age = end - opened
        service_id, service_customer, service_team = rng.choices(
            world.services, cum_weights=world.service_weights
        )[0]
        customer_id = (
            rng.choice(world.customers)
            if service_customer == world.default_customer
            else service_customer
        )
        team_id: int | None = (
            service_team
            if rng.random() < 0.85
            else rng.choices(world.teams, cum_weights=world.team_weights)[0]
        )
        priority = rng.choices(priorities, priority_weights)[0]
        impact, urgency = rng.choice(world.pairs[priority])
        kind = rng.choices(types, type_weights)[0]
        pool = world.requesters.get(customer_id) or []
        requester = rng.choice(pool) if pool and rng.random() < 0.7 else None
        category_id, subcategory_id = rng.choice(world.categories)
        ack_low, ack_high = ACK_MINUTES[priority]
        acknowledged: datetime | None = opened + timedelta(minutes=rng.uniform(ack_low, ack_high))
        res_low, res_high = RESOLVE_HOURS[priority]
        resolved: datetime | None = None
        closed: datetime | None = None
        hold_reason = resolution_code = resolution_notes = cancel_reason = None
        reassignments = rng.choices((0, 1, 2, 3), (80, 14, 5, 1))[0]
        reopens = 0
        version = 2 + reassignments
        if rng.random() < _open_probability(age):
            state = rng.choices(OPEN_STATES, OPEN_WEIGHTS)[0]
            if state == "new":
                team_id, acknowledged, reassignments, version = None, None, 0, 1
            elif state == "assigned":
                acknowledged = None
        elif rng.random() < 0.03:
            state, cancel_reason = "cancelled", "Raised in error; duplicate of another ticket."
            acknowledged = None if rng.random() < 0.5 else acknowledged
        else:
            state = "resolved"
            reopens = 1 if rng.random() < 0.03 else 0
            assert acknowledged is not None
            resolved = acknowledged + timedelta(hours=rng.uniform(res_low, res_high))
            if resolved >= end:  # would finish in the future: it is still being worked
                state, resolved = "in_progress", None
            else:
                resolution_code = rng.choices(codes, code_weights)[0]
                resolution_notes = "Fixed; see work notes for the steps taken."
                version += 1 + 2 * reopens
                if resolved + auto_close <= end:
                    state, closed = "closed", resolved + auto_close
                    version += 1
        if state == "on_hold":
            hold_reason = rng.choice(HOLD_REASONS)
        if acknowledged is not None and acknowledged >= end:
            acknowledged = None
            if state in ("in_progress", "on_hold"):
                state, hold_reason = "assigned", None
        members = world.members.get(team_id or 0) or world.agents
        assignee = None
        if team_id is not None and (state != "assigned" or rng.random() < 0.5):
            assignee = rng.choice(members)
        if state == "cancelled" and acknowledged is None:
            assignee = None
        updated = max(d for d in (opened, acknowledged, resolved, closed) if d is not None)
        number = FIRST_NUMBER + index
        yield (
            index + 1,
            f"INC{number:07d}",
            customer_id,
            kind,
            _title(rng),
            "Reported with details: what happened, since when, who is affected. "
            "Steps to reproduce and screenshots attached by the requester.",
            category_id,
            subcategory_id,
            service_id,
            requester,
            team_id,
            assignee,
            impact,
            urgency,
            priority,
            False,
            None,
            '["vip"]' if rng.random() < 0.02 else "[]",
            priority == 1 and rng.random() < 0.3,
            state,
            hold_reason,
            resolution_code,
            resolution_notes,
            cancel_reason,
            reopens,
            reassignments if team_id is not None else 0,
            version,
            opened,
            acknowledged,
            resolved,
            closed,
            updated,
            requester if requester is not None and rng.random() < 0.5 else None,
        )


def _batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What SQLAlchemy itself would store: naive UTC text with microseconds, 0/1 booleans."""
    values = list(row)
    for i in DATETIME_COLUMNS:
        value = values[i]
        if value is not None:
            values[i] = value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    for i in BOOL_COLUMNS:
        values[i] = int(values[i])
    return tuple(values)


def load_sqlite(url: str, rows: Iterator[tuple[Any, ...]], count: int) -> None:
    conn = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'incidents' AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN")
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        placeholders = ", ".join("?" for _ in COLUMNS)
        statement = f"INSERT INTO incidents ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        done = 0
        for batch in _batches(rows, BATCH):
            conn.executemany(statement, [_sqlite_row(r) for r in batch])
            done += len(batch)
            _progress(done, count)
        _log(f"  recreating {len(indexes)} indexes")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute(
            "UPDATE counters SET value = ? WHERE name = 'incident'", (FIRST_NUMBER - 1 + count,)
        )
        conn.execute("COMMIT")
        _log("  ANALYZE")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def load_postgres(url: str, rows: Iterator[tuple[Any, ...]], count: int) -> None:
    with psycopg.connect(pg_conninfo(url)) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        # The rows are consistent by construction; skip the per-row foreign key triggers.
        conn.execute("SET session_replication_role = replica")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'incidents' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = 'incidents'::regclass)"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        done = 0
        with conn.cursor() as cur:
            with cur.copy(f"COPY incidents ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
                    if done % BATCH == 0 or done == count:
                        _progress(done, count)
            _log(f"  recreating {len(indexes)} indexes")
            for _, sql in indexes:
                cur.execute(sql)
            cur.execute(
                "UPDATE counters SET value = %s WHERE name = 'incident'",
                (FIRST_NUMBER - 1 + count,),
            )
            # Keep the identity sequence ahead of the explicit ids.
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('incidents', 'id'), %s)", (max(count, 1),)
            )
        conn.execute("SET session_replication_role = origin")
        conn.commit()
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        _log("  VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")


def _progress(done: int, count: int) -> None:
    if done == count or done % (BATCH * 4) == 0:
        _log(f"  {done:>10,} / {count:,} incidents")


def generate(
    url: str, *, incidents: int = 1_000_000, seed: int = 7, end: datetime | None = None
) -> float:
    """Recreate the database at `url` with `incidents` incidents; returns seconds taken."""
    started = time.perf_counter()
    end = end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    _log(f"generating {incidents:,} incidents into {url}")
    fresh_database(url)
    engine = build_engine(url, pool_size=1)
    try:
        migrate.upgrade(engine)
        world = make_reference_data(engine, rng, end)
    finally:
        engine.dispose()
    rows = incident_rows(world, incidents, rng, end)
    if is_sqlite(url):
        load_sqlite(url, rows, incidents)
    else:
        load_postgres(url, rows, incidents)
    elapsed = time.perf_counter() - started
    _log(f"done in {elapsed:.1f} s")
    return elapsed


def urls_for(db: str) -> list[str]:
    return {"sqlite": [SQLITE_URL], "postgres": [POSTGRES_URL], "both": [SQLITE_URL, POSTGRES_URL]}[
        db
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--url", help="database URL (overrides --db)")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    summary = {}
    for url in [args.url] if args.url else urls_for(args.db):
        summary[url] = round(generate(url, incidents=args.incidents, seed=args.seed), 1)
    print(json.dumps({"seconds": summary}))


if __name__ == "__main__":
    main()
