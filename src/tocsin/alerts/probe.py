"""The alert "Send a test alert" sends: built as a sender's parser would build one, so the
pipeline treats it exactly as it would a real sender's, with the payload such a sender
would have posted (the generic JSON sender's format) kept beside it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tocsin.alerts.keys import IntegrationRef
from tocsin.integrations.base import AlertAction, NormalizedAlert, Severity

TEST_SUMMARY = "Test alert from Tocsin"
TEST_SOURCE = "tocsin-console"


def probe_alert(
    integration: IntegrationRef, sent_by: str, now: datetime, nonce: str, severity: Severity
) -> tuple[NormalizedAlert, str]:
    """A trigger with a key of its own (each test opens or joins an incident as a new alert
    would, never repeats an earlier test), and its payload as stored."""
    sample: dict[str, Any] = {
        "summary": f"{TEST_SUMMARY} ({integration.name})",
        "dedup_key": f"tocsin-test-{now:%Y%m%dT%H%M%S}-{nonce}",
        "severity": severity.value,
        "source": TEST_SOURCE,
        "service": integration.service_slug,
        "description": (
            f"{sent_by} sent this test alert from the console to check that alerts of the "
            f"integration {integration.name!r} reach the right people. Resolve it when done."
        ),
        "labels": {"test": "true"},
        "details": {"sent_by": sent_by, "integration": integration.name},
        "timestamp": now.isoformat(),
    }
    alert = NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=sample["dedup_key"],
        summary=sample["summary"],
        severity=severity,
        description=sample["description"],
        source=TEST_SOURCE,
        service=integration.service_slug,
        labels=dict(sample["labels"]),
        details=dict(sample["details"]),
        occurred_at=now,
    )
    return alert, json.dumps(sample, ensure_ascii=False)
