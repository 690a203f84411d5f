"""A 2xx is sent only after commit: senders that retry until 2xx lose nothing and create no
duplicate while the server is killed with SIGKILL at random moments.

`tocsin serve` runs as a real process. Sixteen PagerDuty senders push 10,000 trigger events
with distinct dedup keys, each retrying its current event until it is answered 2xx (like
PagerDuty's own client libraries and Alertmanager do). A killer thread SIGKILLs the server at
random moments (sometimes again while it is still starting) and restarts it on the same port.
Finally the server is killed once more and the database must hold exactly one alert and one
incident per key, and an intact audit chain.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tocsin.alerts.schemas import IntegrationIn
from tocsin.audit.chain import audit_key
from tocsin.audit.verify import verify
from tocsin.auth.principal import system_principal
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.core.clock import SystemClock
from tocsin.db.engine import build_engine
from tocsin.db.session import Database
from tocsin.settings import Settings

pytestmark = pytest.mark.kill  # slow: left out by ./dev test --quick

EVENTS = 10_000
SENDERS = 16
# The killer plans KILLS kills, one in each of KILLS equal slices of KILL_SPAN (the share of
# events acknowledged), each at least UPTIME seconds after the server became ready: their
# number does not depend on the machine's speed, and they are spread over the whole run.
# (Kills at random moments of uptime made the number of kills and the run's length depend on
# the machine's speed, most of the time going to restarts: `tocsin serve` takes seconds to
# answer /readyz, mostly imports.)
KILLS = 10
MIN_KILLS = 5
KILL_SPAN = (0.02, 0.85)
UPTIME = (0.1, 0.6)
EARLY_KILLS = 2  # restarts killed again while still starting (importing, migrating)
SEED = 20260302
TIME_LIMIT = 240.0  # seconds per database: the test stops by itself
READY_LIMIT = 60.0  # seconds for one restart to answer /readyz
REQUEST_TIMEOUT = 5.0


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _free_port() -> int:
    """A free port outside the ephemeral range. While the server is down, thousands of
    connection attempts take ephemeral source ports; one of them landing on the server's
    port would connect to itself and keep the restarted server from binding it."""
    low, high = _ephemeral_range()
    candidates = [p for p in range(10_000, 65_000) if not low <= p <= high]
    for port in random.sample(candidates, 200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port outside the ephemeral range")


def _server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env.update(
        TOCSIN_DATABASE_URL=database_url,
        TOCSIN_ENGINE_ENABLED="false",
        TOCSIN_SECRET_KEY="x",
        TOCSIN_LOG_LEVEL="WARNING",
        TOCSIN_LOG_FORMAT="text",
    )
    return env


def _routing_key(database_url: str) -> str:
    """A PagerDuty integration, created before the server starts."""
    app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
    try:
        app.migrate()
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        created = app.integrations.create(admin, IntegrationIn(type="pagerduty", name="kill-test"))
        assert created.config.group_by == [], "one incident per alert needs no grouping"
        return created.key
    finally:
        app.dispose()


class Server:
    """`tocsin serve` as a child process, appending its output to one log file."""

    def __init__(self, port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.env = env
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start {self.starts} at {time.monotonic():.3f} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from tocsin.cli.main import main; main()",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self, limit: float = READY_LIMIT, abort: threading.Event | None = None) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + limit
        with httpx.Client(timeout=1.0) as client:
            while abort is None or not abort.is_set():
                code = self.proc.poll()
                if code is not None:
                    raise RuntimeError(f"the server exited with {code} while starting")
                try:
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server was not ready within {limit:.0f} s")
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, and wait until the process is gone."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def log_tail(self, lines: int = 80) -> str:
        if not self.log_path.exists():
            return "(no server log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Run:
    """What the senders and the killer share."""

    url: str
    key: str
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    next_event: int = 0
    attempts: int = 0
    acknowledged: int = 0
    transport_errors: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    kills: int = 0
    early_kills: int = 0
    restart_seconds: list[float] = field(default_factory=list)

    def take(self) -> int | None:
        with self.lock:
            if self.next_event >= EVENTS:
                return None
            n = self.next_event
            self.next_event += 1
            return n

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)
        self.stop.set()


def _event(key: str, n: int) -> dict[str, object]:
    return {
        "routing_key": key,
        "event_action": "trigger",
        "dedup_key": f"evt-{n}",
        "payload": {
            "summary": f"Disk almost full on host-{n % 50} (event {n})",
            "source": f"host-{n % 50}",
            "severity": "error",
        },
    }


def _sender(run: Run, seed: int) -> None:
    """Send events one at a time; retry each until it is answered 2xx."""
    rng = random.Random(seed)
    with httpx.Client(base_url=run.url, timeout=REQUEST_TIMEOUT) as client:
        while not run.stop.is_set():
            n = run.take()
            if n is None:
                return
            body = _event(run.key, n)
            while True:
                if run.stop.is_set():
                    return
                if time.monotonic() > run.deadline:
                    run.fail(f"time limit reached; evt-{n} was never acknowledged")
                    return
                with run.lock:
                    run.attempts += 1
                try:
                    response = client.post("/v2/enqueue", json=body)
                except httpx.TransportError as exc:
                    with run.lock:
                        run.transport_errors[type(exc).__name__] += 1
                    time.sleep(rng.uniform(0.02, 0.1))
                    continue
                if response.is_success:
                    answered = response.json().get("dedup_key")
                    if answered != f"evt-{n}":
                        run.fail(f"evt-{n} answered for dedup_key {answered!r}")
                        return
                    with run.lock:
                        run.acknowledged += 1
                    break
                if response.status_code >= 500:
                    with run.lock:
                        run.server_errors[response.status_code] += 1
                    time.sleep(rng.uniform(0.02, 0.1))
                    continue
                run.fail(f"evt-{n} refused: {response.status_code} {response.text[:300]}")
                return


def _killer(run: Run, server: Server, done: threading.Event) -> None:
    """While events remain: wait for the next planned moment, SIGKILL, restart on the same
    port, wait until ready; now and then kill the new process again while it is starting."""
    rng = random.Random(SEED)
    low, high = KILL_SPAN
    width = (high - low) / KILLS
    thresholds = [int(EVENTS * (low + width * (i + rng.random()))) for i in range(KILLS)]
    early = set(rng.sample(range(KILLS), EARLY_KILLS))
    try:
        for index, threshold in enumerate(thresholds):
            ready_at = time.monotonic()
            uptime = rng.uniform(*UPTIME)
            while run.acknowledged < threshold or time.monotonic() - ready_at < uptime:
                if done.wait(0.005):
                    return
            server.kill()
            run.kills += 1
            started = time.monotonic()
            server.start()
            if index in early:
                time.sleep(rng.uniform(0.3, 2.5))  # imports, migration check, bind
                server.kill()
                run.early_kills += 1
                server.start()
            server.wait_ready(abort=run.stop)
            run.restart_seconds.append(time.monotonic() - started)
    except Exception as exc:
        run.fail(f"killer: {exc}")


def _tracebacks(log: str) -> list[str]:
    """The last line of each traceback in the server log."""
    found = []
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Traceback"):
            for follow in lines[index + 1 :]:
                if follow and not follow.startswith((" ", "Traceback")):
                    found.append(follow.strip())
                    break
    return found


def _check_database(database_url: str) -> dict[str, int]:
    engine = build_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT dedup_key, COUNT(*) FROM alerts GROUP BY dedup_key"))
            per_key: dict[str, int] = {str(row[0]): int(row[1]) for row in rows}
            expected = {f"evt-{n}" for n in range(EVENTS)}
            missing = sorted(expected - per_key.keys(), key=lambda k: int(k[4:]))
            unexpected = sorted(per_key.keys() - expected)
            duplicated = {k: c for k, c in per_key.items() if c != 1}
            assert not missing, f"{len(missing)} alerts lost, e.g. {missing[:10]}"
            assert not unexpected, f"unexpected alerts: {unexpected[:10]}"
            assert not duplicated, f"{len(duplicated)} keys duplicated: {list(duplicated)[:10]}"

            incidents = conn.execute(text("SELECT COUNT(*) FROM incidents")).scalar_one()
            assert incidents == EVENTS, f"{incidents} incidents for {EVENTS} distinct keys"
            linked, distinct = conn.execute(
                text("SELECT COUNT(incident_id), COUNT(DISTINCT incident_id) FROM alerts")
            ).one()
            assert linked == EVENTS, f"{EVENTS - linked} alerts have no incident"
            assert distinct == EVENTS, f"{EVENTS - distinct} alerts share an incident"
            orphans = conn.execute(
                text(
                    "SELECT COUNT(*) FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id "
                    "WHERE i.id IS NULL"
                )
            ).scalar_one()
            assert orphans == 0, f"{orphans} alerts point at no incident"
            # A key whose alert was committed but whose 2xx was lost to a kill came again.
            repeated = conn.execute(
                text("SELECT COUNT(*) FROM alerts WHERE count > 1")
            ).scalar_one()

        result = verify(Database(engine, SystemClock()), key=audit_key(configured="", secret="x"))
        assert result.problem is None, f"audit chain broken: {result.problem}"
        return {"repeated": int(repeated), "audit_entries": result.entries}
    finally:
        engine.dispose()


def test_sigkill_loses_nothing_and_duplicates_nothing(database_url: str, tmp_path: Path) -> None:
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    key = _routing_key(database_url)
    server = Server(_free_port(), _server_env(database_url), tmp_path / "server.log")
    run = Run(url=server.url, key=key, deadline=time.monotonic() + TIME_LIMIT)
    done = threading.Event()
    killer = threading.Thread(target=_killer, args=(run, server, done), name="killer")
    senders = [
        threading.Thread(target=_sender, args=(run, SEED + i), name=f"sender-{i}")
        for i in range(SENDERS)
    ]
    started = time.monotonic()
    try:
        server.start()
        server.wait_ready()
        killer.start()
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        elapsed = time.monotonic() - started
        done.set()
        killer.join(timeout=READY_LIMIT + 30)
        assert not killer.is_alive(), "the killer did not stop"
        server.kill()  # once more: whatever was acknowledged must survive this one too
        restarts = run.restart_seconds or [0.0]
        print(
            f"\n[{backend}] {run.acknowledged} of {EVENTS} events acknowledged in "
            f"{elapsed:.1f} s ({run.acknowledged / elapsed:.0f}/s) by {SENDERS} senders; "
            f"kills {run.kills} (+{run.early_kills} while starting), restart to ready "
            f"mean {sum(restarts) / len(restarts):.2f} s, max {max(restarts):.2f} s; "
            f"attempts {run.attempts}, retries {run.attempts - run.acknowledged} "
            f"(transport {dict(run.transport_errors)}, 5xx {dict(run.server_errors)})"
        )
        assert not run.failures, "\n".join(run.failures[:20])
        assert run.acknowledged == EVENTS
        assert run.kills >= MIN_KILLS, f"only {run.kills} of {KILLS} planned kills happened"

        checked = _check_database(database_url)
        tracebacks = Counter(_tracebacks(server.log_path.read_text(errors="replace")))
        print(
            f"[{backend}] database: {EVENTS} alerts, {EVENTS} incidents, audit chain intact "
            f"({checked['audit_entries']} entries); alerts repeated after a lost 2xx: "
            f"{checked['repeated']}; server log tracebacks: {dict(tracebacks) or 'none'}"
        )
        assert not run.server_errors, f"5xx answers: {dict(run.server_errors)}"
        assert not tracebacks, f"tracebacks in the server log: {dict(tracebacks)}"
    except BaseException:
        print(f"\n----- server log tail ({server.log_path}) -----\n{server.log_tail()}")
        raise
    finally:
        run.stop.set()
        done.set()
        for thread in [*senders, killer]:
            if thread.ident is not None:
                thread.join(timeout=REQUEST_TIMEOUT + READY_LIMIT)
        server.kill()  # no server outlives the test, whatever happened
