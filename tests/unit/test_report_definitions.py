"""Report statistics, windows and periods (pure; the frozen clock gives "now")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core.clock import FrozenClock
from tocsin.core.errors import NotFound, ValidationFailed
from tocsin.reports.definitions import REPORTS, definition, parse_filters, period_window
from tocsin.reports.output import duration_text, to_csv, to_text
from tocsin.reports.statistics import age_bucket, percentile_nearest_rank, share, summarise
from tocsin.reports.tables import backlog_table, duration_table, sla_table

NOW = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)).now()


def test_summary_mean_median_and_nearest_rank_p90() -> None:
    s = summarise([10.0, 20.0, 30.0, 40.0])
    assert (s.count, s.mean, s.median, s.p90) == (4, 25.0, 25.0, 40.0)  # ceil(3.6) = 4th
    ten = summarise([float(n) for n in range(1, 11)])
    assert (ten.median, ten.p90) == (5.5, 9.0)  # ceil(9.0) = 9th, not the 10th
    assert percentile_nearest_rank([1.0], 0.9) == 1.0
    with pytest.raises(ValueError, match="no values"):
        percentile_nearest_rank([], 0.9)


def test_negative_durations_are_skipped_not_clamped() -> None:
    s = summarise([-5.0, 100.0, 300.0])
    assert (s.count, s.skipped, s.mean, s.median) == (2, 1, 200.0, 200.0)
    empty = summarise([-1.0])
    assert (empty.count, empty.skipped, empty.mean, empty.p90) == (0, 1, None, None)
    # (count, skipped, mean, median, p90, key) per group, as the database answers them
    table = duration_table(
        [(1, 1, 60.0, 60.0, 60.0, "ops"), (1, 0, 120.0, 120.0, 120.0, None)],
        [(2, 1, 90.0, 90.0, 120.0, None)],
        "team",
    )
    assert [(r["group"], r["count"], r["skipped"]) for r in table.rows] == [
        ("(none)", 1, 0),
        ("ops", 1, 1),
    ]
    assert table.total["mean_seconds"] == 90.0
    assert duration_table([], [], None).rows == [
        {
            "group": "all",
            "count": 0,
            "skipped": 0,
            "mean_seconds": None,
            "median_seconds": None,
            "p90_seconds": None,
        }
    ]


def test_periods_from_the_frozen_clock() -> None:
    d = datetime
    assert period_window("last-quarter", NOW) == (
        d(2025, 10, 1, tzinfo=UTC),
        d(2026, 1, 1, tzinfo=UTC),
    )
    assert period_window("this-quarter", NOW) == (d(2026, 1, 1, tzinfo=UTC), NOW)
    assert period_window("last-month", NOW) == (
        d(2026, 2, 1, tzinfo=UTC),
        d(2026, 3, 1, tzinfo=UTC),
    )
    assert period_window("this-month", NOW) == (d(2026, 3, 1, tzinfo=UTC), NOW)
    assert period_window("last-7-days", NOW) == (NOW - timedelta(days=7), NOW)
    january = datetime(2026, 1, 15, tzinfo=UTC)
    assert period_window("last-month", january)[0] == d(2025, 12, 1, tzinfo=UTC)


def test_windows_and_their_refusals() -> None:
    mttr = definition("mttr")
    default = parse_filters(mttr, {}, NOW)
    assert (default.start, default.end) == (NOW - timedelta(days=30), NOW)
    dated = parse_filters(mttr, {"from": "2026-01-01", "to": "2026-02-01T00:00:00+01:00"}, NOW)
    assert dated.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert dated.end == datetime(2026, 1, 31, 23, tzinfo=UTC)
    assert parse_filters(mttr, {"priority": "P2", "by": "team"}, NOW).priority == 2
    for raw, words in (
        ({"period": "last-month", "from": "2026-01-01"}, "either a period or from/to"),
        ({"from": "2026-02-01", "to": "2026-02-01"}, "'from' must be before 'to'"),
        ({"by": "colour"}, "cannot be grouped by 'colour'"),
        ({"interval": "hour"}, "'interval' is one of day, week, month"),
        ({"colour": "red"}, "Unknown parameter 'colour'"),
    ):
        with pytest.raises(ValidationFailed, match=words):
            parse_filters(mttr, raw, NOW)
    with pytest.raises(ValidationFailed, match="no grouping"):
        parse_filters(REPORTS["backlog"], {"by": "team"}, NOW)
    with pytest.raises(NotFound, match="the reports are mtta, mttr"):
        definition("mtbf")


def test_backlog_buckets_and_sla_compliance() -> None:
    assert age_bucket(NOW - timedelta(hours=23), NOW) == "<1d"
    assert age_bucket(NOW - timedelta(days=1), NOW) == "1-3d"
    assert age_bucket(NOW - timedelta(days=29), NOW) == "7-30d"
    assert age_bucket(NOW - timedelta(days=31), NOW) == ">30d"
    backlog = backlog_table(
        [("<1d", 2, NOW - timedelta(hours=3)), (">30d", 1, NOW - timedelta(days=45))], NOW
    )
    assert backlog.total["count"] == 3
    assert backlog.total["oldest_age_days"] == 45.0
    # clocks, response met/breached, resolution met/breached
    sla = sla_table([(4, 3, 1, 0, 0, None)], None)
    assert sla.total["response_compliance"] == 75.0
    assert sla.total["resolution_compliance"] is None  # all pending: no figure, not 0 %
    assert sla.total["resolution_pending"] == 4
    assert share(1, 3) == 33.3


def test_text_and_csv_output() -> None:
    rows = [(2, 0, 3645.0, 3645.0, 7200.0, None)]
    table = duration_table(rows, rows, None)
    assert to_csv(table).splitlines()[-1] == "total,2,0,3645.0,3645.0,7200.0"
    text = to_text(table)
    assert "1h 00m" in text  # 3645 s
    assert text.splitlines()[-1].split()[:2] == ["total", "2"]
    assert duration_text(93784) == "1d 2h"
    assert duration_text(45) == "45s"
