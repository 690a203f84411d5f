"""`tocsin serve --workers 2`: several web processes share the port and the database, and
none of them outlives the main process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.serving import send_triggers, start_serve, stored_alerts, wait_ready
from tests.reliability.test_kill import _free_port, _routing_key, _server_env

pytestmark = pytest.mark.kill  # slow: left out by ./dev test --quick


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
            send_triggers(client, key, "workers", 40)
        workers = _children(main.pid)
        # uvicorn's supervisor runs the workers as children of the main process
        assert len([w for w in workers if _alive(w)]) >= 2
        assert stored_alerts(database_url) == 40

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


def _late_worker(pid_file: str) -> None:
    """A worker that asks to die with its parent only after the parent is gone."""
    from tocsin.web.worker import _exit_with_parent

    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(1.0)  # the parent exits meanwhile
    _exit_with_parent()
    time.sleep(60)


def _short_lived_parent(pid_file: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    ctx.Process(target=_late_worker, args=(pid_file,)).start()
    os._exit(0)  # dies at once, as a SIGKILLed main process would


def test_a_worker_whose_parent_died_while_it_started_exits(tmp_path: Path) -> None:
    # uvicorn restarts a worker that misses a health check; if the main process dies while
    # that worker is starting, the worker must still notice (by then os.getppid() names the
    # reaper, not the main process)
    pid_file = tmp_path / "worker.pid"
    parent = multiprocessing.get_context("spawn").Process(
        target=_short_lived_parent, args=(str(pid_file),)
    )
    parent.start()
    parent.join(timeout=30)
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not _alive(worker), "the worker outlived the main process that started it"
    finally:
        if _alive(worker):
            os.kill(worker, signal.SIGKILL)
