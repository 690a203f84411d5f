"""`tocsin serve` stopped with SIGTERM (systemd, docker stop, kill) shuts down in order:
the answers already given stay stored, the receivers, engine and database are closed,
and the process exits 0."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from tests.reliability.serving import send_triggers, start_serve, stored_alerts, wait_ready
from tests.reliability.test_kill import _free_port, _routing_key, _server_env


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_stops_the_server_in_order(database_url: str, tmp_path: Path, workers: int) -> None:
    key = _routing_key(database_url)
    port = _free_port()
    log_path = tmp_path / "serve.log"
    env = {**_server_env(database_url), "TOCSIN_LOG_LEVEL": "INFO"}
    with log_path.open("wb") as log:
        server = start_serve(port, workers, env, log)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                wait_ready(server, client, log_path)
                send_triggers(client, key, "shutdown", 5)
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
    output = log_path.read_text()
    # Before the fix uvicorn re-raised SIGTERM after its own shutdown and the default
    # handler killed the process: exit status -15 and no "stopped" line.
    assert code == 0, output
    assert "Tocsin stopped" in output
    if database_url.startswith("sqlite"):
        # the last connection closed: the WAL was copied back and removed
        assert not Path(database_url.removeprefix("sqlite:///") + "-wal").exists()
    assert stored_alerts(database_url) == 5
