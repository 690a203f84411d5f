"""Reference figures of the UCI incident event log, computed from the file alone.

Standard library only, and nothing of Tocsin: it checks the import against an independent
reading of the shared definitions (docs/import.md). Prints JSON.

    python bench/uci_reference.py [FILE] [--time-zone TZ]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import statistics
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT = Path("/work/shared/data/uci-incident-event-log/incident_event_log.csv.zip")


def rows(path: Path) -> list[dict[str, str]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv") and "__MACOSX" not in n)
            with archive.open(name) as raw:
                return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))
    with path.open(encoding="utf-8", newline="") as text:
        return list(csv.DictReader(text))


def when(text: str, zone: ZoneInfo) -> datetime | None:
    if text in ("?", ""):
        return None
    local = datetime.strptime(text, "%d/%m/%Y %H:%M")
    return local.replace(tzinfo=zone).astimezone(UTC)


def stats(values: list[float]) -> dict[str, Any]:
    """Mean, median, nearest-rank p90 of the non-negative values; negatives skipped."""
    kept = sorted(v for v in values if v >= 0)
    out: dict[str, Any] = {"count": len(kept), "skipped_negative": len(values) - len(kept)}
    if kept:
        out["mean_seconds"] = round(statistics.fmean(kept), 3)
        out["median_seconds"] = statistics.median(kept)
        out["p90_seconds"] = kept[math.ceil(0.9 * len(kept)) - 1]
    return out


def reference(path: Path, zone: ZoneInfo) -> dict[str, Any]:
    by_number: dict[str, list[tuple[int, int, dict[str, str]]]] = {}
    for line, row in enumerate(rows(path)):
        by_number.setdefault(row["number"], []).append((int(row["sys_mod_count"]), line, row))
    mtta: list[float] = []
    mttr: list[float] = []
    met = breached = reopened = resolved = 0
    priorities: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for updates in by_number.values():
        updates.sort(key=lambda u: (u[0], u[1]))
        final = updates[-1][2]
        opened = when(final["opened_at"], zone)
        assert opened is not None
        acks = [
            when(r["sys_updated_at"], zone) for _, _, r in updates if r["incident_state"] != "New"
        ]
        acked = [a for a in acks if a is not None]
        if acked:
            mtta.append((min(acked) - opened).total_seconds())
        resolved_at = when(final["resolved_at"], zone)
        if resolved_at is not None:
            resolved += 1
            mttr.append((resolved_at - opened).total_seconds())
            if final["made_sla"] == "true":
                met += 1
            elif final["made_sla"] == "false":
                breached += 1
            if int(final["reopen_count"]) > 0:
                reopened += 1
        priorities[final["priority"][0]] += 1
        categories[final["category"]] += 1
    return {
        "incidents": len(by_number),
        "rows": sum(len(u) for u in by_number.values()),
        "mtta": stats(mtta),
        "mttr": stats(mttr),
        "resolution_sla": {
            "met": met,
            "breached": breached,
            "compliance": round(met / (met + breached), 6) if met + breached else None,
        },
        "resolved": resolved,
        "reopened": reopened,
        "reopen_rate": round(reopened / resolved, 6) if resolved else None,
        "by_priority": dict(sorted(priorities.items())),
        "top_categories": dict(categories.most_common(10)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--time-zone", default="UTC")
    args = parser.parse_args(argv)
    json.dump(reference(args.file, ZoneInfo(args.time_zone)), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
