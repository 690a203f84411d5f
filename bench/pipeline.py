"""The ingest pipeline in process, without HTTP: where a batch's time goes.

    python bench/pipeline.py --db sqlite --batch 8 --alerts 4000 [--profile]

Parses PagerDuty Events v2 triggers (every one a new alert) and writes them through
`AlertService.ingest` in batches of `--batch` (what the group-commit writer does with that
many senders), on a fresh migrated database. Prints alerts/s for the parse and for the
write, and with `--profile` the top of a cProfile of the write.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from ingest import alertmanager_body, fresh_database, prepare
from tocsin.alerts.items import Item
from tocsin.alerts.payloads import payload_text
from tocsin.bootstrap import build
from tocsin.integrations import registry
from tocsin.settings import Settings


def payloads(key: str, n: int, run: str, kind: str = "pagerduty") -> list[bytes]:
    if kind == "alertmanager":
        return [alertmanager_body(run, i) for i in range(n)]
    return [
        json.dumps(
            {
                "routing_key": key,
                "event_action": "trigger",
                "dedup_key": f"{run}-{i}",
                "payload": {
                    "summary": f"CPU above 95% on host-{i % 50}",
                    "source": f"host-{i % 50}",
                    "severity": "error",
                    "component": "node",
                    "group": "prod",
                    "class": "cpu",
                    "custom_details": {"value": "97.3"},
                },
            }
        ).encode()
        for i in range(n)
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--payload", choices=("pagerduty", "alertmanager"), default="pagerduty")
    parser.add_argument("--alerts", type=int, default=4000)
    parser.add_argument("--history", type=int, default=20_000, help="alerts already stored")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    url = fresh_database(args.db)
    keys = prepare(url, history=args.history)
    app = build(Settings(database_url=url, secret_key="bench", engine_enabled=False))
    try:
        integration = app.integrations.by_key(keys[args.payload])
        assert integration is not None
        parser_ = registry.get(args.payload)
        config = integration.config.parser
        now = datetime.now(UTC)

        def read(bodies: list[bytes]) -> list[Item]:
            """As the ingest route does: parse, and each body decoded once as the payload
            its alerts keep."""
            items: list[Item] = []
            for body in bodies:
                parsed = parser_.parse(body, headers={}, received_at=now, config=config)
                if parsed.alerts:
                    payload = payload_text(body)
                    items += [Item(integration, a, payload) for a in parsed.alerts]
            return items

        # warm up: caches, prepared statements, the first incident number
        warm = payloads(keys["pagerduty"], args.batch, "warm", args.payload)
        app.alerts.ingest(read(warm))
        bodies = payloads(keys["pagerduty"], args.alerts, "run", args.payload)
        started = time.perf_counter()
        items = read(bodies)
        parse_s = time.perf_counter() - started
        batches = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for batch in batches:
            app.alerts.ingest(batch)
        if profiler:
            profiler.disable()
        write_s = time.perf_counter() - started
        cpu_s = time.process_time() - cpu
        print(
            f"{args.db}, {args.payload}, batch {args.batch}: "
            f"parse {len(items) / parse_s:,.0f} alerts/s "
            f"({parse_s / len(items) * 1e6:.1f} µs each); write {len(items) / write_s:,.0f} "
            f"alerts/s ({write_s / len(items) * 1e6:.1f} µs each, "
            f"{cpu_s / len(items) * 1e6:.1f} µs of it on this process's CPU)"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    finally:
        app.dispose()


if __name__ == "__main__":
    main()
