"""The alert "Send a test alert" sends: built as a sender's parser would build one, so the
pipeline treats it exactly as it would a real sender's."""

from __future__ import annotations

from datetime import datetime

from tocsin.alerts.keys import IntegrationRef
from tocsin.integrations.base import AlertAction, NormalizedAlert, Severity

TEST_SUMMARY = "Test alert from Tocsin"
TEST_SOURCE = "tocsin-console"


def probe_alert(
    integration: IntegrationRef, sent_by: str, now: datetime, nonce: str, severity: Severity
) -> NormalizedAlert:
    """A trigger with a key of its own (each test opens or joins an incident as a new alert
    would, never repeats an earlier test)."""
    return NormalizedAlert(
        action=AlertAction.TRIGGER,
        dedup_key=f"tocsin-test-{now:%Y%m%dT%H%M%S}-{nonce}",
        summary=f"{TEST_SUMMARY} ({integration.name})",
        severity=severity,
        description=(
            f"{sent_by} sent this test alert from the console to check that alerts of the "
            f"integration {integration.name!r} reach the right people. Resolve it when done."
        ),
        source=TEST_SOURCE,
        service=integration.service_slug,
        labels={"test": "true"},
        details={"sent_by": sent_by, "integration": integration.name},
        occurred_at=now,
    )
