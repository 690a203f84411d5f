"""Notifications are never lost: 1,000 webhook deliveries are queued in a SQLite file and a
`tocsin worker` sends them to a receiver on 127.0.0.1 while it is killed with SIGKILL at
random moments and restarted. Every queued delivery arrives; a delivery that arrives twice
(sent, then killed before its outcome was recorded) carries the same webhook-id and body;
nothing else arrives."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.delivery_sink import Sink, running_sink
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.notifications.models import Delivery
from tocsin.notifications.schemas import ContactMethodIn
from tocsin.settings import Settings

pytestmark = pytest.mark.kill  # slow: left out by ./dev test --quick

DELIVERIES = 1_000
SEED = 20261205
TIME_LIMIT = 40.0  # seconds: the test stops by itself
# A worker is killed this long (seconds) after the receiver saw its first request: while it
# sends, whatever the machine's speed (starting takes about a second, mostly imports).
SENDING = (0.05, 0.5)
RECEIVER_DELAY = 0.03  # seconds per answer: 1,000 deliveries take several seconds to send


def _enqueue(database_url: str, hook: str) -> set[str]:
    settings = Settings(
        database_url=database_url, secret_key="x", engine_enabled=False, outbound_allow="127.0.0.1"
    )
    app = build(settings)
    try:
        app.migrate()
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        user = app.auth.create_user(admin, UserIn(email="oncall@example.com", role=Role.AGENT))
        app.contacts.create_method(
            admin,
            user.email,
            ContactMethodIn(type="webhook", address=hook, secret="whsec_a2lsbC10ZXN0LXNlY3JldA=="),  # type: ignore[arg-type]
        )
        ids: set[str] = set()
        with app.db.unit_of_work() as uow:
            for n in range(DELIVERIES):
                ids.update(
                    app.deliveries.page_user(
                        uow,
                        user_id=user.id,
                        message={"topic": "incident.created", "subject": f"page {n}"},
                        incident_id=None,
                        priority=1,
                        dedupe_prefix=f"kill{n}",
                        at=app.clock.now(),
                    )
                )
        return ids
    finally:
        app.dispose()


def _pending(database_url: str) -> int:
    app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
    try:
        with app.db.read() as session:
            query = select(func.count()).where(Delivery.status != "delivered")
            return int(session.scalar(query) or 0)
    finally:
        app.dispose()


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from tocsin.cli.main import main; main()", "worker"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _content(body: bytes, delivery_id: str) -> str:
    """A webhook body without its `timestamp`, which the webhook channel sets to the time
    of each attempt (the signature's timestamp travels in `webhook-timestamp`)."""
    document = json.loads(body)
    assert document["id"] == delivery_id
    document.pop("timestamp")
    return json.dumps(document, sort_keys=True)


def _check(sink: Sink, expected: set[str]) -> None:
    bodies: dict[str, set[str]] = defaultdict(set)
    for request in sink.at("/hook"):
        delivery_id = request.headers["webhook-id"]
        bodies[delivery_id].add(_content(request.body, delivery_id))
    unexpected = set(bodies) - expected
    assert not unexpected, f"{len(unexpected)} deliveries nobody queued arrived"
    assert [r for r in sink.received if r.path != "/hook"] == []
    missing = expected - set(bodies)
    assert not missing, f"{len(missing)} of {len(expected)} deliveries never arrived"
    differing = [i for i, seen in bodies.items() if len(seen) != 1]
    assert not differing, f"duplicates of {differing[:3]} carried different bodies"


def test_killed_workers_lose_no_notification(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    database_url = f"sqlite:///{tmp_path / 'tocsin.db'}"
    log = tmp_path / "worker.log"
    with running_sink(delay=RECEIVER_DELAY) as sink:
        expected = _enqueue(database_url, sink.url("/hook"))
        assert len(expected) == DELIVERIES
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
        env.update(
            TOCSIN_DATABASE_URL=database_url,
            TOCSIN_OUTBOUND_ALLOW="127.0.0.1",
            TOCSIN_ENGINE_INTERVAL_SECONDS="0.1",
            TOCSIN_ENGINE_LEASE_SECONDS="1",
            TOCSIN_LOG_LEVEL="WARNING",
            TOCSIN_LOG_FORMAT="text",
        )
        deadline = time.monotonic() + TIME_LIMIT
        kills = rng.randint(3, 5)
        for _ in range(kills):
            seen = len(sink.received)
            proc = _worker(env, log)
            while len(sink.received) == seen and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.01)
            time.sleep(rng.uniform(*SENDING))
            _kill(proc)
        sent_before_last = len({r.headers["webhook-id"] for r in sink.received})
        proc = _worker(env, log)
        try:
            while _pending(database_url) and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            _kill(proc)
        assert _pending(database_url) == 0, f"not all delivered in {TIME_LIMIT} s"
        # the kills fell while sending, not all before it started or after it ended
        assert 0 < sent_before_last < DELIVERIES, sent_before_last
        _check(sink, expected)
