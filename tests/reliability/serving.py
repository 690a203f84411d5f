"""`tocsin serve` as a real process, for the tests that stop or kill it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

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
