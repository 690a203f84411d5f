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
    "override_added": "Override added: the calendar shows the change.",
    "override_deleted": "Override deleted.",
    "schedule_created": "Schedule created.",
    "escalation_policy_created": "Escalation policy created.",
    "escalation_policy_saved": "Escalation policy saved.",
    "sla_policy_created": "SLA policy created.",
    "calendar_created": "Business-hours calendar created.",
    "link": "Incident linked.",
    "unlink": "Link removed.",
    "test_alert": "Test alert sent through the alert pipeline, as a sender's alert would be; "
    "this is the incident it opened or joined.",
    "test_alert_suppressed": "Test alert sent: a maintenance window is on, so it was recorded "
    "without opening an incident.",
    "test_alert_created": "Test alert sent and recorded.",
    "service_created": "Service created.",
    "service_saved": "Service saved.",
    "view_saved": "View saved: it is listed above the queue.",
    "view_deleted": "View deleted.",
    "review_started": "Review started: the timeline and durations are generated from the "
    "incident; write the sections below.",
    "review_saved": "Review saved.",
    "review_published": "Review published.",
    "review_regenerated": "Timeline generated again from the incident.",
    "action_item_added": "Action item added.",
    "action_item_done": "Action item done.",
    "action_item_reopened": "Action item open again.",
}


def notice(code: str | None) -> str:
    return NOTICES.get(code or "", "")


# the administration pages (web/ui/admin)
NOTICES.update(
    {
        "user_created": "User created.",
        "user_saved": "Changes saved.",
        "team_created": "Team created.",
        "team_saved": "Changes saved.",
        "customer_created": "Customer created.",
        "customer_saved": "Customer renamed.",
    }
)
