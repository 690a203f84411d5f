"""What a repeat of a live alert changes (pure).

A sender repeats an alert while it is live, and may say something new: a disk at 91%
becomes a disk at 99%, a warning becomes critical. The alert keeps the latest word, and
its history (the audit log, and the timeline of its incident) keeps each change."""

from __future__ import annotations

from tocsin.integrations.base import NormalizedAlert

SUMMARY_LIMIT = 2000
CHANGE_KIND = "alert_updated"  # the incident timeline's entry for a change


def repeated_summary(current: str, alert: NormalizedAlert) -> str:
    """The summary after a repeat: the repeat's own, or the one the alert had when the
    repeat says none."""
    return alert.summary[:SUMMARY_LIMIT] or current


def repeat_changes(*, summary: str, severity: str, alert: NormalizedAlert) -> dict[str, list[str]]:
    """The fields a repeat changes, as [before, after] pairs (empty: a plain repeat)."""
    changes: dict[str, list[str]] = {}
    after = repeated_summary(summary, alert)
    if after != summary:
        changes["summary"] = [summary, after]
    if alert.severity.value != severity:
        changes["severity"] = [severity, alert.severity.value]
    return changes


def change_message(key: str, changes: dict[str, list[str]]) -> str:
    """The timeline's sentence for a repeat that changed its alert."""
    parts = []
    if "severity" in changes:
        before, after = changes["severity"]
        parts.append(f"severity {before} → {after}")
    if "summary" in changes:
        parts.append(f"summary now: {changes['summary'][1]}")
    return f"Alert {key} changed: " + "; ".join(parts)
