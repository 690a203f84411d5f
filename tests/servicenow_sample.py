"""Handcrafted ServiceNow event-log rows and a slice of the UCI file, for the import tests."""

from __future__ import annotations

import csv
import io
import zipfile
from itertools import islice
from pathlib import Path

UCI = Path("/work/shared/data/uci-incident-event-log/incident_event_log.csv.zip")
HEADER = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]
BASE = {
    "active": "true",
    "reassignment_count": "0",
    "reopen_count": "0",
    "made_sla": "true",
    "caller_id": "Caller 7",
    "opened_by": "Opened by  3",
    "opened_at": "1/3/2016 09:00",
    "sys_created_by": "Created by 1",
    "sys_created_at": "1/3/2016 09:01",
    "sys_updated_by": "Updated by 1",
    "contact_type": "Phone",
    "location": "Location 143",
    "category": "Category 55",
    "subcategory": "Subcategory 170",
    "u_symptom": "Symptom 72",
    "cmdb_ci": "WBS 000073",
    "impact": "2 - Medium",
    "urgency": "2 - Medium",
    "priority": "3 - Moderate",
    "assignment_group": "Group 56",
    "assigned_to": "?",
    "knowledge": "false",
    "u_priority_confirmation": "false",
    "notify": "Do Not Notify",
    "problem_id": "?",
    "rfc": "?",
    "vendor": "?",
    "caused_by": "?",
    "closed_code": "?",
    "resolved_by": "?",
    "resolved_at": "?",
    "closed_at": "?",
}


def row(number: str, state: str, mod: int, updated: str, **fields: str) -> list[str]:
    values = {
        **BASE,
        "number": number,
        "incident_state": state,
        "sys_mod_count": str(mod),
        "sys_updated_at": updated,
        **fields,
    }
    return [values[name] for name in HEADER]


def handcrafted() -> list[list[str]]:
    """INC0001101: New -> Active (Resolver 5) -> Awaiting User Info -> Resolved -> Closed,
    problem "Problem ID  9", priority 1 where the matrix says 3; INC0001102: still New,
    rows out of order; INC0001103: resolved late (made_sla false), reopened once; then bad rows."""
    done = {"resolved_at": "2/3/2016 10:00", "closed_at": "7/3/2016 10:00"}
    inc1 = {"problem_id": "Problem ID  9", "priority": "1 - Critical", "assigned_to": "?"}
    return [
        HEADER,
        row("INC0001101", "New", 0, "1/3/2016 09:01", **inc1),
        row("INC0001101", "Active", 1, "1/3/2016 09:30", **{**inc1, "assigned_to": "Resolver 5"}),
        row(
            "INC0001101",
            "Awaiting User Info",
            2,
            "1/3/2016 11:00",
            **{**inc1, "assigned_to": "Resolver 5"},
        ),
        row(
            "INC0001101",
            "Resolved",
            3,
            "2/3/2016 10:00",
            **{**inc1, "assigned_to": "Resolver 5", "resolved_at": "2/3/2016 10:00"},
        ),
        row(
            "INC0001101",
            "Closed",
            4,
            "7/3/2016 10:00",
            **{**inc1, **done, "assigned_to": "Resolver 5", "active": "false"},
        ),
        row("INC0001102", "New", 1, "3/3/2016 08:05", opened_at="3/3/2016 08:00"),
        row("INC0001102", "New", 0, "3/3/2016 08:01", opened_at="3/3/2016 08:00"),
        row(
            "INC0001103",
            "Active",
            0,
            "4/3/2016 12:00",
            opened_at="4/3/2016 11:00",
            assignment_group="Group 70",
        ),
        row(
            "INC0001103",
            "Closed",
            5,
            "9/3/2016 12:00",
            opened_at="4/3/2016 11:00",
            assignment_group="Group 70",
            made_sla="false",
            reopen_count="1",
            reassignment_count="2",
            resolved_at="8/3/2016 11:00",
            closed_at="9/3/2016 12:00",
        ),
        row("bogus", "New", 0, "1/3/2016 09:01"),
        row("INC0001104", "New", 0, "31/2/2016 09:01"),
        HEADER[:5],
    ]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    return path


def uci_slice(count: int) -> list[list[str]]:
    """The header and the first `count` rows of the UCI log."""
    with zipfile.ZipFile(UCI) as archive, archive.open("incident_event_log.csv") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
        return list(islice(reader, count + 1))
