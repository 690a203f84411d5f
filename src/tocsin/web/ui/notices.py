"""Fixed confirmation sentences shown after a form succeeded (?ok=<code>).

Only codes from this table are shown, so a crafted link cannot put words on the page.
"""

from __future__ import annotations

NOTICES: dict[str, str] = {
    "created": "Incident opened.",
    "reported": "Thank you: your report is recorded and the service desk has been told.",
    "acknowledge": "Acknowledged: you own this incident now.",
    "assign": "Assignment saved.",
    "start": "Work started.",
    "hold": "Put on hold.",
    "resume": "Work resumed.",
    "resolve": "Resolved.",
    "close": "Closed.",
    "reopen": "Reopened.",
    "cancel": "Cancelled.",
    "work_note": "Work note added.",
    "comment": "Comment added.",
    "view_saved": "View saved: it is listed above the queue.",
    "view_deleted": "View deleted.",
}


def notice(code: str | None) -> str:
    return NOTICES.get(code or "", "")
