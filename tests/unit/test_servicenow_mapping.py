"""The ServiceNow event log as incident records: states, times, priority, history (pure)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.servicenow_sample import HEADER, handcrafted, row, uci_slice, write_csv
from tocsin.imports.servicenow import BadFile, Times, email_for, open_rows, parse
from tocsin.incidents.lifecycle import HoldReason, State
from tocsin.settings import DEFAULT_PRIORITY_MATRIX

UTC_ZONE = ZoneInfo("UTC")


def _by_number(zone: ZoneInfo = UTC_ZONE):  # type: ignore[no-untyped-def]
    parsed = parse(handcrafted(), zone=zone, matrix=DEFAULT_PRIORITY_MATRIX)
    return parsed, {r.number: r for r in parsed.records}


def test_handcrafted_rows_become_incidents_with_their_history() -> None:
    parsed, records = _by_number()
    assert sorted(records) == ["INC0001101", "INC0001102", "INC0001103"]
    assert parsed.rows_read == 12
    assert parsed.skipped == {
        "number not like INC0000001": 1,
        "unreadable date": 1,
        "wrong number of columns": 1,
    }
    first = records["INC0001101"]
    assert first.state is State.CLOSED
    assert first.title == "Symptom 72 (Category 55 / Subcategory 170, WBS 000073)"
    assert (first.impact, first.urgency, first.priority) == (2, 2, 1)
    assert first.priority_overridden  # the matrix says 3
    assert first.opened_at == datetime(2016, 3, 1, 9, 0, tzinfo=UTC)
    assert first.acknowledged_at == datetime(2016, 3, 1, 9, 30, tzinfo=UTC)
    assert first.resolved_at == datetime(2016, 3, 2, 10, 0, tzinfo=UTC)
    assert first.closed_at == datetime(2016, 3, 7, 10, 0, tzinfo=UTC)
    assert first.made_sla is True
    assert first.problem == "Problem ID  9"
    assert first.assignee == "Resolver 5"
    assert first.requester == "Caller 7"
    assert "contact:phone" in first.tags
    assert "location:location-143" in first.tags
    assert "Caller: Caller 7" in first.description
    states = [e.changes.get("state") for e in first.events]
    assert states == [
        [None, "new"],
        ["new", "in_progress"],
        ["in_progress", "on_hold"],
        ["on_hold", "resolved"],
        ["resolved", "closed"],
    ]
    assert [e.kind for e in first.events] == ["created"] + ["updated"] * 4
    assert first.events[1].changes["assignee"] == [None, "resolver-5@import.invalid"]
    assert first.events[0].changes["team"] == [None, "group-56"]
    assert first.events[2].changes["hold_reason"] == [None, HoldReason.AWAITING_REQUESTER.value]
    assert first.events[3].actor_label == "Updated by 1"


def test_update_order_is_sys_mod_count_and_new_only_is_not_acknowledged() -> None:
    _, records = _by_number()
    second = records["INC0001102"]
    assert second.state is State.NEW
    assert second.acknowledged_at is None
    assert [e.at.minute for e in second.events] == [1, 5]
    assert not second.priority_overridden


def test_final_row_gives_counts_and_sla_outcome() -> None:
    _, records = _by_number()
    third = records["INC0001103"]
    assert (third.reopen_count, third.reassignment_count) == (1, 2)
    assert third.made_sla is False
    assert third.team == "Group 70"
    assert third.acknowledged_at == datetime(2016, 3, 4, 12, 0, tzinfo=UTC)


def test_times_are_read_in_the_given_zone() -> None:
    _, records = _by_number(ZoneInfo("Europe/Berlin"))
    assert records["INC0001101"].opened_at == datetime(2016, 3, 1, 8, 0, tzinfo=UTC)
    times = Times(UTC_ZONE)
    assert times.parse("?") is None
    with pytest.raises(ValueError):
        times.parse("yesterday")


def test_a_file_without_the_columns_is_refused() -> None:
    with pytest.raises(BadFile, match="sys_mod_count"):
        parse([["number", "state"], ["INC0000001", "New"]], zone=UTC_ZONE, matrix={})
    with pytest.raises(BadFile, match="empty"):
        parse([], zone=UTC_ZONE, matrix={})


def test_people_get_stable_addresses() -> None:
    assert email_for("Resolver 123") == "resolver-123@import.invalid"


def test_a_slice_of_the_real_log() -> None:
    rows = uci_slice(2000)
    parsed = parse(rows, zone=UTC_ZONE, matrix=DEFAULT_PRIORITY_MATRIX)
    assert parsed.rows_read == 2000
    assert not parsed.skipped
    numbers = {r[0] for r in rows[1:]}
    assert len(parsed.records) == len(numbers)
    assert sum(len(r.events) for r in parsed.records) == 2000
    first = parsed.records[0]
    assert first.number == "INC0000045"
    assert first.state is State.CLOSED
    assert first.acknowledged_at == datetime(2016, 2, 29, 8, 53, tzinfo=UTC)
    assert first.team == "Group 56"
    states = {r.state for r in parsed.records}
    assert State.CLOSED in states
    assert all(r.opened_at <= r.updated_at for r in parsed.records)


def test_an_unknown_state_keeps_the_last_known_one() -> None:
    rows = [
        HEADER,
        row("INC0000201", "Active", 0, "1/3/2016 09:10"),
        row("INC0000201", "-100", 1, "1/3/2016 09:20"),
        row("INC0000202", "-100", 0, "1/3/2016 09:20"),
    ]
    parsed = parse(rows, zone=UTC_ZONE, matrix=DEFAULT_PRIORITY_MATRIX)
    (record,) = parsed.records
    assert record.state is State.IN_PROGRESS
    assert "not a known state" in record.events[-1].message
    assert record.events[-1].changes == {}
    assert parsed.skipped == {"no row in a known state": 1}


def test_a_zip_is_read_like_the_csv_inside(tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path / "log.csv", handcrafted())
    with zipfile.ZipFile(tmp_path / "log.zip", "w") as archive:
        archive.write(csv_path, "export/log.csv")
    from_zip = parse(
        open_rows(tmp_path / "log.zip"), zone=UTC_ZONE, matrix={**DEFAULT_PRIORITY_MATRIX}
    )
    assert [r.number for r in from_zip.records] == ["INC0001101", "INC0001102", "INC0001103"]
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(BadFile):
        parse(open_rows(tmp_path / "not.zip"), zone=UTC_ZONE, matrix={})
