"""`tocsin serve` stopped with SIGTERM (systemd, docker stop, kill) shuts down in order:
the answers already given stay stored, the receivers, engine and database are closed,
and the process exits 0."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.reliability.serving import start_serve, wait_ready
from tests.reliability.test_kill import _free_port, _routing_key, _server_env
from tocsin.alerts.models import Alert
from tocsin.bootstrap import build
from tocsin.settings import Settings


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
                for n in range(5):
                    event = {
                        "routing_key": key,
                        "event_action": "trigger",
                        "dedup_key": f"shutdown-{n}",
                        "payload": {
                            "summary": f"Disk full {n}",
                            "source": "h",
                            "severity": "error",
                        },
                    }
                    assert client.post("/v2/enqueue", json=event).status_code == 202
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
    app = build(Settings(database_url=database_url, secret_key="x", engine_enabled=False))
    try:
        with app.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Alert)) == 5
    finally:
        app.dispose()
