"""`tocsin serve --workers 2`: several web processes share the port and the database, and
none of them outlives the main process."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.reliability.serving import start_serve, wait_ready
from tests.reliability.test_kill import _free_port, _routing_key, _server_env
from tocsin.alerts.models import Alert
from tocsin.bootstrap import build
from tocsin.settings import Settings


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdecimal():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_share_the_port_and_die_with_the_main_process(
    database_url: str, tmp_path: Path
) -> None:
    key = _routing_key(database_url)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    log = log_path.open("wb")
    main = start_serve(port, 2, _server_env(database_url), log)
    workers: list[int] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            wait_ready(main, client, log_path)
            for n in range(40):
                event = {
                    "routing_key": key,
                    "event_action": "trigger",
                    "dedup_key": f"workers-{n}",
                    "payload": {"summary": f"Disk full {n}", "source": "db-1", "severity": "error"},
                }
                answer = client.post("/v2/enqueue", json=event)
                assert answer.status_code == 202, answer.text
        workers = _children(main.pid)
        # uvicorn's supervisor runs the workers as children of the main process
        assert len([w for w in workers if _alive(w)]) >= 2
        app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
        try:
            with app.db.read() as session:
                assert session.scalar(select(func.count()).select_from(Alert)) == 40
        finally:
            app.dispose()

        os.kill(main.pid, signal.SIGKILL)  # no chance to stop its workers itself
        main.wait(timeout=10)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "a worker outlived the main process"
    finally:
        if main.poll() is None:
            main.kill()
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
        log.close()
