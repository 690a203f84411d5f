"""Post-incident reviews' pure parts: the generated timeline and durations, the rule of
which incidents require a review, and the Markdown export."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from tocsin.reviews.markdown import to_markdown
from tocsin.reviews.rules import ReviewPolicy, parse_priorities
from tocsin.reviews.schemas import ActionItemOut, GeneratedOut, ReviewOut
from tocsin.reviews.timeline import (
    Entry,
    IncidentFacts,
    duration_text,
    on_hold_seconds,
    summarise,
)
from tocsin.settings import Settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _facts(**kw: object) -> IncidentFacts:
    base: dict[str, object] = {
        "number": "INC0000001",
        "title": "Checkout down",
        "priority": 1,
        "major": False,
        "state": "resolved",
        "opened_at": T0,
        "acknowledged_at": at(4),
        "resolved_at": at(90),
        "closed_at": None,
    }
    base.update(kw)
    return IncidentFacts(**base)  # type: ignore[arg-type]


def test_summary_durations_and_key_events_in_order() -> None:
    entries = [
        Entry(at(0), "created", "system:alerts", "Opened INC0000001"),
        Entry(at(0), "paged", "system:engine", "level 1 reached"),
        Entry(at(10), "escalated", "system:engine", "level 2 reached"),
        Entry(at(4), "acknowledge", "agent@example.com"),
        Entry(at(5), "updated", "agent@example.com", "priority changed"),
        Entry(at(20), "hold", "agent@example.com", "awaiting vendor"),
        Entry(at(50), "resume", "agent@example.com"),
        Entry(at(60), "work_note", "agent@example.com", "Rolled back release 42"),
        Entry(at(70), "hold", "agent@example.com"),
        Entry(at(80), "resume", "agent@example.com"),
        Entry(at(90), "resolve", "agent@example.com", "Fixed"),
        Entry(at(91), "alert_updated", "system:alerts"),
    ]
    alerts = [Entry(at(-3), "alert", "prometheus", "HTTP 5xx > 5%")]
    summary = summarise(_facts(), entries, alerts)

    assert summary.detected_at == at(-3)  # the first alert came before the incident
    assert summary.time_to_acknowledge == 240
    assert summary.time_to_resolve == 90 * 60
    assert summary.time_on_hold == 40 * 60
    assert summary.escalations == 1
    kinds = [e.kind for e in summary.events]
    assert kinds == [
        "alert",
        "created",
        "paged",
        "acknowledge",
        "escalated",
        "hold",
        "resume",
        "work_note",
        "hold",
        "resume",
        "resolve",
    ]
    assert summary.events[0].label == "Alert"
    assert summary.events[7].message == "Rolled back release 42"
    stored = summary.to_json()
    assert stored["time_on_hold"] == 2400
    assert GeneratedOut.model_validate(stored).events[0].at == at(-3)


def test_without_alerts_detection_is_opening_and_unknown_durations_stay_unknown() -> None:
    facts = _facts(acknowledged_at=None, resolved_at=None, state="cancelled")
    summary = summarise(facts, [Entry(at(0), "created")], [])
    assert summary.detected_at == T0
    assert summary.time_to_acknowledge is None
    assert summary.time_to_resolve is None
    assert summary.time_on_hold == 0


def test_a_hold_still_open_counts_up_to_the_end() -> None:
    entries = [Entry(at(10), "hold"), Entry(at(15), "hold"), Entry(at(30), "resolve")]
    assert on_hold_seconds(entries, at(40)) == 20 * 60
    assert on_hold_seconds([Entry(at(10), "hold")], at(25)) == 15 * 60
    assert on_hold_seconds([Entry(at(10), "hold")], None) == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "0 s"),
        (59, "59 s"),
        (245, "4 min 05 s"),
        (3900, "1 h 05 min"),
        (90061, "1 d 1 h 01 min"),
        (-60, "-1 min 00 s"),
    ],
)
def test_duration_text(seconds: int | None, text: str) -> None:
    assert duration_text(seconds) == text


def test_required_rule() -> None:
    policy = ReviewPolicy(priorities=frozenset({1, 2}), for_major=True)
    assert policy.required(priority=1, major=False)
    assert policy.required(priority=2, major=False)
    assert not policy.required(priority=3, major=False)
    assert policy.required(priority=4, major=True)
    no_major = ReviewPolicy(priorities=frozenset({1}), for_major=False)
    assert not no_major.required(priority=2, major=True)
    assert not ReviewPolicy(priorities=frozenset(), for_major=False).required(
        priority=1, major=True
    )


def test_parse_priorities() -> None:
    assert parse_priorities("1,2") == {1, 2}
    assert parse_priorities(" P1, p3 ,") == {1, 3}
    assert parse_priorities("") == frozenset()
    with pytest.raises(ValueError, match="'6' is not a priority"):
        parse_priorities("1,6")
    with pytest.raises(ValueError, match="'high'"):
        parse_priorities("high")
    assert Settings(review_required_priorities="P2, 1").review_required_priorities == "1,2"
    with pytest.raises(ValidationError, match="'0' is not a priority"):
        Settings(review_required_priorities="0")


def _review(**kw: object) -> ReviewOut:
    generated = summarise(
        _facts(),
        [Entry(at(4), "acknowledge", "agent@example.com"), Entry(at(90), "resolve", "a|b")],
        [],
    ).to_json()
    base: dict[str, object] = {
        "id": 1,
        "incident": "INC0000001",
        "incident_id": 1,
        "incident_title": "Checkout down",
        "priority": 1,
        "major": True,
        "customer": "acme",
        "state": "published",
        "required": True,
        "summary": "Checkout failed for 90 minutes.",
        "impact": "",
        "root_cause": "A bad release.",
        "went_well": "",
        "went_wrong": "",
        "lessons": "",
        "generated": generated,
        "generated_at": at(100),
        "author": "agent@example.com",
        "version": 3,
        "created_at": at(100),
        "updated_at": at(120),
        "published_at": at(120),
        "action_items": [
            ActionItemOut(
                id=1,
                review=1,
                incident="INC0000001",
                title="Add a canary",
                owner="a@x.test",
                due=date(2026, 3, 9),
                done=True,
                done_at=at(200),
                overdue=False,
                link="PRB0000001",
                version=2,
            ),
            ActionItemOut(
                id=2,
                review=1,
                incident="INC0000001",
                title="Alert on 5xx",
                owner=None,
                due=date(2026, 3, 1),
                done=False,
                done_at=None,
                overdue=True,
                link=None,
                version=1,
            ),
        ],
    }
    base.update(kw)
    return ReviewOut.model_validate(base)


def test_markdown_export() -> None:
    text = to_markdown(_review())
    assert text.startswith("# Post-incident review: INC0000001 Checkout down\n")
    assert "- Priority: P1 (major incident)" in text
    assert "- Time to acknowledge: 4 min 00 s" in text
    assert "- Time to resolve: 1 h 30 min" in text
    assert "## Root cause\n\nA bad release.\n" in text
    assert "## Impact\n\n_Not written._\n" in text
    assert "| 2026-03-02 09:04:00 UTC | Acknowledged | agent@example.com |  |" in text
    assert "| a\\|b |" in text  # a pipe in a cell does not break the table
    assert "- [x] Add a canary (owner a@x.test, due 2026-03-09, PRB0000001)" in text
    assert "- [ ] Alert on 5xx (no owner, due 2026-03-01, OVERDUE)" in text
    assert "_None._" in to_markdown(_review(action_items=[]))
