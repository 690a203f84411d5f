"""Three `tocsin worker` processes against one PostgreSQL page exactly as one would: every
step of every escalation is taken once (no page sent twice, none skipped).

The policy has three levels without delay and goes round twice, so each incident's six
steps follow each other as fast as the workers take them, and the workers compete for
every one of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_user
from tests.delivery_sink import running_sink
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.settings import Settings
from tocsin.web.app import create_app

pytestmark = pytest.mark.kill  # slow: left out by ./dev test --quick

INCIDENTS = 20
WORKERS = 3
STEPS = 6  # three levels, twice round
TIME_LIMIT = 60.0


def _set_up(database_url: str, hook: str) -> list[str]:
    """Three users paged by webhook, the policy, a service, and the incidents (opened
    before any worker runs, so the workers race for all of them)."""
    app = build(
        Settings(
            database_url=database_url,
            secret_key="workers",
            engine_enabled=False,
            outbound_allow="127.0.0.1",
        )
    )
    try:
        with app.db.read() as session:
            root = system_principal(default_customer_id=default_customer(session).id)
        _, boss = make_user(app, root, "boss@example.com", Role.ADMIN)
        client = TestClient(create_app(app))
        h = {"Authorization": f"Bearer {boss}"}
        levels = []
        for n in (1, 2, 3):
            email = f"u{n}@example.com"
            _, token = make_user(app, root, email, Role.AGENT)
            answer = client.post(
                "/api/v1/users/me/contact-methods",
                json={"type": "webhook", "address": f"{hook}/u{n}"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert answer.status_code == 201, answer.text
            levels.append({"delay_minutes": 0, "targets": [{"type": "user", "ref": email}]})
        policy = {"name": "Race", "slug": "race", "repeat": 1, "levels": levels}
        assert client.post("/api/v1/escalation-policies", json=policy, headers=h).is_success
        service = {"name": "Race", "slug": "race", "escalation_policy": "race"}
        assert client.post("/api/v1/services", json=service, headers=h).is_success
        numbers = []
        for n in range(INCIDENTS):
            answer = client.post(
                "/api/v1/incidents", json={"title": f"race {n}", "service": "race"}, headers=h
            )
            assert answer.status_code == 201, answer.text
            numbers.append(answer.json()["number"])
        return numbers
    finally:
        app.dispose()


def test_three_workers_take_every_escalation_step_once(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a PostgreSQL database")
    with running_sink() as sink:
        numbers = _set_up(database_url, sink.base)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
        env.update(
            TOCSIN_DATABASE_URL=database_url,
            TOCSIN_SECRET_KEY="workers",
            TOCSIN_OUTBOUND_ALLOW="127.0.0.1",
            TOCSIN_PAGING_INTERVAL_SECONDS="0.1",
            TOCSIN_ENGINE_LEASE_SECONDS="2",
            TOCSIN_LOG_LEVEL="WARNING",
        )
        logs = [tmp_path / f"worker{n}.log" for n in range(WORKERS)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", "from tocsin.cli.main import main; main()", "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log.open("wb"),
            )
            for log in logs
        ]
        try:
            expected = INCIDENTS * STEPS
            deadline = time.monotonic() + TIME_LIMIT
            while len(sink.received) < expected and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.0)  # room for a page sent twice to show up
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=20)
    received = list(sink.received)
    ids = Counter(r.headers.get("webhook-id") for r in received)
    assert all(count == 1 for count in ids.values()), [i for i, c in ids.items() if c > 1]
    steps = Counter()
    for r in received:
        data = json.loads(r.body)["data"]
        steps[(data["incident"]["number"], r.path, data["level"], data["round"])] += 1
    want = {
        (number, f"/u{level}", level, round_)
        for number in numbers
        for level in (1, 2, 3)
        for round_ in (1, 2)
    }
    missing = want - set(steps)
    assert not missing, f"steps skipped: {sorted(missing)[:5]}; logs: {logs[0].read_text()[-2000:]}"
    assert set(steps) == want
    assert all(count == 1 for count in steps.values())
