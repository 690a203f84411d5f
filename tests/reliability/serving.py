"""`tocsin serve` as a real process, for the tests that stop or kill it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
from sqlalchemy import func, select

from tocsin.alerts.models import Alert
from tocsin.bootstrap import build
from tocsin.settings import Settings

STARTUP_LIMIT = 60.0


def start_serve(
    port: int, workers: int, env: dict[str, str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from tocsin.cli.main import main; main()",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(server: subprocess.Popen[bytes], client: httpx.Client, log_path: Path) -> None:
    """Until /readyz answers 200; fails with the server's log if it exits or takes too long."""
    deadline = time.monotonic() + STARTUP_LIMIT
    while True:
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "the server did not come up"
        time.sleep(0.1)


def send_triggers(client: httpx.Client, key: str, prefix: str, count: int) -> None:
    """`count` PagerDuty triggers, each a new dedup key; every one must be answered 202."""
    for n in range(count):
        event = {
            "routing_key": key,
            "event_action": "trigger",
            "dedup_key": f"{prefix}-{n}",
            "payload": {"summary": f"Disk full {n}", "source": "db-1", "severity": "error"},
        }
        answer = client.post("/v2/enqueue", json=event)
        assert answer.status_code == 202, answer.text


def stored_alerts(database_url: str) -> int:
    app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
    try:
        with app.db.read() as session:
            return int(session.scalar(select(func.count()).select_from(Alert)) or 0)
    finally:
        app.dispose()
