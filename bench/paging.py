"""From an alert POST to the first e-mail a local SMTP server accepts.

Starts `tocsin serve` on a fresh SQLite (or PostgreSQL) database with a service whose
escalation policy pages one user by e-mail, and an aiosmtpd server on 127.0.0.1 that
records when each message was accepted. PagerDuty events are sent on a fixed schedule
(open loop, `--rate` per second for `--seconds`), each opening its own incident; the
latency of an alert is from its scheduled send time to the acceptance of the e-mail that
pages its incident's first level.

    .venv/bin/python bench/paging.py --rate 200 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).parent))
from ingest import RESULTS, free_port, fresh_database, start, stop
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.settings import Settings

SUBJECT = re.compile(rb"^Subject: .*?bench-(\w+)-(\d+)", re.MULTILINE)


class Inbox:
    """The SMTP server's handler: when each bench message was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[int, float] = {}
        self.others = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        now = time.perf_counter()
        match = SUBJECT.search(envelope.content)
        with self.lock:
            if match:
                self.accepted.setdefault(int(match.group(2)), now)
            else:
                self.others += 1
        return "250 OK"


def prepare(url: str) -> tuple[str, str]:
    """An administrator with an API token (whose e-mail is paged), then over the API: an
    escalation policy paging them, a service using it, a PagerDuty integration on it."""
    app = build(Settings(database_url=url, secret_key="bench", engine_enabled=False))
    try:
        app.migrate()
        with app.db.read() as session:
            root = system_principal(default_customer_id=default_customer(session).id)
        app.auth.create_user(
            root, UserIn(email="oncall@bench.test", name="On call", role=Role.ADMIN, password=None)
        )
        token = app.auth.create_token(root, email="oncall@bench.test", name="bench").token
    finally:
        app.dispose()
    return token, url


def api(port: int, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        result: dict[str, Any] = json.loads(answer.read())
        return result


async def send(port: int, key: str, run: str, rate: int, seconds: int) -> dict[int, float]:
    """PagerDuty triggers on a fixed schedule; answers each alert's scheduled time."""
    total = rate * seconds
    begin = time.perf_counter() + 0.2
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(total):
        queue.put_nowait(n)
    due_at: dict[int, float] = {}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not queue.empty():
            n = queue.get_nowait()
            due = begin + n / rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            body = json.dumps(
                {
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": f"{run}-{n}",
                    "payload": {
                        "summary": f"bench-{run}-{n} disk full",
                        "source": f"host-{n}",
                        "severity": "critical",
                    },
                }
            ).encode()
            writer.write(
                b"POST /v2/enqueue HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            due_at[n] = due
        writer.close()

    await asyncio.gather(*(worker() for _ in range(16)))
    return due_at


def bench(db: str, rate: int, seconds: int, wait: float, web_workers: int) -> dict[str, Any]:
    url = fresh_database(db)
    token, _ = prepare(url)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    server = start(
        "tocsin",
        url,
        port,
        workers=web_workers,
        env={
            "TOCSIN_ENGINE_ENABLED": "true",
            "TOCSIN_MAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "TOCSIN_BASE_URL": f"http://127.0.0.1:{port}",
        },
    )
    try:
        api(
            port,
            token,
            "/api/v1/escalation-policies",
            {
                "name": "Bench",
                "slug": "bench",
                "repeat": 0,
                "levels": [
                    {"delay_minutes": 30, "targets": [{"type": "user", "ref": "oncall@bench.test"}]}
                ],
            },
        )
        api(
            port,
            token,
            "/api/v1/services",
            {"name": "Bench", "slug": "bench", "escalation_policy": "bench"},
        )
        key = api(
            port,
            token,
            "/api/v1/integrations",
            {"type": "pagerduty", "name": "bench", "service": "bench"},
        )["key"]
        run = uuid.uuid4().hex[:8]
        due_at = asyncio.run(send(port, key, run, rate, seconds))
        deadline = time.perf_counter() + wait
        while len(inbox.accepted) < len(due_at) and time.perf_counter() < deadline:
            time.sleep(0.2)
    finally:
        stop(server)
        smtp.stop()
    latencies = sorted(inbox.accepted[n] - due for n, due in due_at.items() if n in inbox.accepted)
    if not latencies:
        raise RuntimeError("no e-mail arrived")
    return {
        "db": db,
        "web_workers": web_workers,
        "offered_per_s": rate,
        "seconds": seconds,
        "alerts": len(due_at),
        "emails": len(latencies),
        "missing": len(due_at) - len(latencies),
        "unexpected": inbox.others,
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rate", type=int, default=200, help="alerts per second")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for mail")
    parser.add_argument(
        "--web-workers", type=int, default=1, help="TOCSIN_WEB_WORKERS of the server"
    )
    args = parser.parse_args()
    result = bench(args.db, args.rate, args.seconds, args.wait, args.web_workers)
    result["at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"paging-{args.db}-{int(time.time())}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
