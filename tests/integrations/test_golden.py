"""Every sample through its parser, compared with its golden file (the expected alerts).

`TOCSIN_UPDATE_GOLDEN=1` rewrites the golden files instead: review the diff, they are the
specification of each mapping."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.integrations.helpers import (
    GOLDEN,
    SENDERS,
    assert_storable,
    config_for,
    parse_sample,
    parsed_json,
    sample_paths,
)

CASES = [(sender, path) for sender in SENDERS for path in sample_paths(sender)]


def test_every_sender_has_samples() -> None:
    assert {sender for sender, _ in CASES} == set(SENDERS)


@pytest.mark.parametrize(("sender", "path"), CASES, ids=[f"{s}/{p.name}" for s, p in CASES])
def test_sample_matches_golden(sender: str, path: Path) -> None:
    parsed, received_at = parse_sample(sender, path)
    assert_storable(parsed)
    actual = {
        "sample": f"{sender}/{path.name}",
        "received_at": received_at.isoformat(),
        "config": dict(config_for(sender)),
        **parsed_json(parsed),
    }
    golden = GOLDEN / sender / (path.name.removesuffix(path.suffix) + ".json")
    if os.environ.get("TOCSIN_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden file {golden}; run with TOCSIN_UPDATE_GOLDEN=1"
    assert actual == json.loads(golden.read_text())
