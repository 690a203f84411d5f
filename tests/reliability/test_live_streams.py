"""`tocsin serve` with 200 open live-update streams: the console and /healthz still answer
quickly, a change still reaches the streams, closing them all is harmless, and SIGTERM
with streams open stops the server at once (uvicorn waits for open responses otherwise)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from tests.conftest import run_on_own_loop
from tests.reliability.serving import start_serve, wait_ready
from tests.reliability.test_kill import _free_port, _routing_key, _server_env
from tocsin.auth.principal import system_principal
from tocsin.auth.roles import Role
from tocsin.auth.schemas import UserIn
from tocsin.auth.service import default_customer
from tocsin.bootstrap import build
from tocsin.settings import Settings

STREAMS = 200
SAMPLE = 20
EMAIL = "agent@example.com"
PASSWORD = "correct horse battery"


def _agent(database_url: str) -> None:
    app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
    try:
        with app.db.read() as session:
            admin = system_principal(default_customer_id=default_customer(session).id)
        app.auth.create_user(admin, UserIn(email=EMAIL, role=Role.AGENT, password=PASSWORD))
    finally:
        app.dispose()


class Stream:
    """One open /events response, read event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def event(self) -> list[str]:
        """The next event's lines (comments included)."""
        lines: list[str] = []
        async for line in self._lines:
            if not line and lines:
                return lines
            if line:
                lines.append(line)
        return lines

    async def change(self) -> str:
        """The data of the next `change` event."""
        while True:
            event = await self.event()
            if "event: change" in event:
                return next(line for line in event if line.startswith("data:"))


async def _timed_get(url: str, cookies: httpx.Cookies | None = None) -> tuple[int, float]:
    async with httpx.AsyncClient(cookies=cookies, timeout=5) as client:
        start = time.monotonic()
        answer = await client.get(url)
        return answer.status_code, time.monotonic() - start


async def _exercise(base: str, key: str, server: subprocess.Popen[bytes]) -> dict[str, object]:
    limits = httpx.Limits(max_connections=STREAMS + 10, max_keepalive_connections=STREAMS + 10)
    timeout = httpx.Timeout(10, read=None)
    results: dict[str, object] = {}
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        signed_in = await client.post("/login", data={"email": EMAIL, "password": PASSWORD})
        assert signed_in.status_code in (200, 303), signed_in.text

        async def open_stream(stack: AsyncExitStack) -> Stream:
            response = await client.send(client.build_request("GET", "/events"), stream=True)
            stack.push_async_callback(response.aclose)
            return Stream(response)

        async with AsyncExitStack() as stack:
            streams = await asyncio.gather(*(open_stream(stack) for _ in range(STREAMS)))
            results["status"] = {r.response.status_code for r in streams}
            headers = [r.response.headers for r in streams]
            results["type"] = {h["content-type"].split(";")[0] for h in headers}
            results["buffering"] = {h.get("x-accel-buffering") for h in headers}
            firsts = await asyncio.wait_for(asyncio.gather(*(r.event() for r in streams)), 10)
            results["retry"] = {next(x for x in f if x.startswith("retry:")) for f in firsts}
            results["healthz"] = await _timed_get(f"{base}/healthz")
            results["queue"] = await _timed_get(f"{base}/", client.cookies)
            event = {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": "live-load",
                "payload": {"summary": "Under load", "source": "db-1", "severity": "error"},
            }
            async with httpx.AsyncClient(timeout=5) as sender:
                sent = await sender.post(f"{base}/v2/enqueue", json=event)
            assert sent.status_code == 202, sent.text
            sample = streams[:: STREAMS // SAMPLE]
            results["changes"] = await asyncio.wait_for(
                asyncio.gather(*(r.change() for r in sample)), 2
            )
        # every stream closed by the client: the server carries on
        results["after"] = await _timed_get(f"{base}/healthz")
        async with AsyncExitStack() as stack:
            left_open = [await open_stream(stack) for _ in range(5)]
            await asyncio.gather(*(r.event() for r in left_open))
            start = time.monotonic()
            server.send_signal(signal.SIGTERM)
            while server.poll() is None and time.monotonic() - start < 15:
                await asyncio.sleep(0.05)
            results["stopped"] = time.monotonic() - start
    return results


def test_two_hundred_streams_keep_the_console_responsive(database_url: str, tmp_path: Path) -> None:
    key = _routing_key(database_url)
    _agent(database_url)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = start_serve(port, 1, _server_env(database_url), log)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=10) as client:
                wait_ready(server, client, log_path)
            results = run_on_own_loop(lambda: _exercise(base, key, server))
            code = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
    output = log_path.read_text()
    assert results["status"] == {200}
    assert results["type"] == {"text/event-stream"}
    assert results["buffering"] == {"no"}
    assert results["retry"] == {"retry: 3000"}
    for name in ("healthz", "queue", "after"):
        status, seconds = results[name]  # type: ignore[misc]
        assert status == 200, name
        assert seconds < 1.0, f"{name} took {seconds:.2f} s with {STREAMS} streams open"
    changes = results["changes"]
    assert isinstance(changes, list)
    assert len(changes) == SAMPLE
    assert all('"topic":"incident.created"' in c for c in changes)
    stopped = results["stopped"]
    assert isinstance(stopped, float)
    assert stopped < 5, f"SIGTERM took {stopped:.1f} s with streams open"
    assert code == 0, output
    assert "Traceback" not in output
