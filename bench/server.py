"""The Tocsin web app under a real uvicorn, for the benchmark runner (its own process).

python bench/server.py --url sqlite:///bench/data/tocsin-bench.db --port 8765
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from tocsin.bootstrap import build
from tocsin.settings import Settings
from tocsin.web.app import create_app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve Tocsin for the benchmark")
    parser.add_argument("--url", required=True, help="database URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    settings = Settings(
        database_url=args.url,
        engine_enabled=False,
        secret_key="tocsin-bench-secret",
        log_level="WARNING",
    )
    tocsin = build(settings)
    try:
        uvicorn.run(
            create_app(tocsin),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
        )
    finally:
        tocsin.dispose()


if __name__ == "__main__":
    main()
