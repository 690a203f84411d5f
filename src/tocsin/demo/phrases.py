"""Words that fill the demo's templates, notes, comments and reasons."""

from __future__ import annotations

import random

from tocsin.incidents.lifecycle import HoldReason

FILLERS: dict[str, tuple[str, ...]] = {
    "site": ("Frankfurt", "Amsterdam", "Lyon", "Manchester", "Warsaw", "Chicago", "Dublin"),
    "dept": ("finance", "HR", "sales", "legal", "marketing", "logistics", "procurement"),
    "app": ("Salesforce", "Workday", "Jira", "the intranet", "Confluence", "SAP Concur"),
    "host": ("fs-ams-01", "app-fra-03", "web-lyo-02", "k8s-node-07", "sql-man-01"),
    "dbhost": ("pg-wh-02", "pg-wh-03", "pg-bill-01", "pg-bill-02"),
    "domain": ("globex-partners.com", "contoso.example", "fabrikam.example", "tailspin.example"),
    "country": ("Brazil", "Vietnam", "Nigeria", "Romania", "Indonesia"),
    "ip": ("185.220.101.34", "45.155.205.99", "103.75.190.12", "91.240.118.7"),
    "asset": ("LT-0481", "LT-0733", "PR-2201", "WS-1109", "LT-0925"),
    "software": ("Adobe Acrobat Pro", "Visio", "Tableau", "JetBrains DataGrip"),
    "person": ("Hannah Schmidt", "Luis Romero", "Mei Chen", "Oliver Smith", "Fatima Zahra"),
    "vendor": ("Cisco TAC", "Fortinet support", "Microsoft support", "the carrier"),
}

INVESTIGATION_NOTES = (
    "Checked the logs for the last 24 h; first errors at {time} UTC.",
    "Reproduced the problem on a test account.",
    "No related changes in the change calendar for this week.",
    "Restarted the service on one node to see whether it recurs.",
    "Affects {n} users as far as we know.",
    "Correlated with the monitoring graphs: started right after the 02:00 maintenance job.",
    "Asked the vendor's status page: no known incident.",
    "Collected diagnostics and attached them to the case.",
)

FIRST_COMMENTS = (
    "Hi {first}, thanks for reporting this. I'm looking into it now and will update you "
    "within the hour.",
    "Hi {first}, we are on it. Could you keep the error message if it appears again?",
    "Hello {first}, I have picked this up. First findings in about 30 minutes.",
)

ASK_REQUESTER = (
    "Hi {first}, could you send a screenshot of the error and the time it happened?",
    "Hi {first}, does this happen on another device too? Please let us know.",
    "Hi {first}, could you try once more after a restart and tell us the result?",
)

REQUESTER_REPLIES = (
    "Screenshot attached; it happened at about 9:40 this morning.",
    "Yes, same on my colleague's laptop.",
    "Restarted, still the same error.",
    "Sorry for the delay, I was out. Details attached.",
)

CONFIRMATIONS = (
    "Confirmed, everything works again. Thank you!",
    "Works now, thanks a lot.",
    "All good on our side, you can close it.",
)

VENDOR_NOTES = (
    "Opened case {case} with {vendor}; waiting for their engineer.",
    "Escalated to {vendor} (case {case}); they need a maintenance window.",
)

CHANGE_NOTES = (
    "Fix needs change CHG{n}{pct} in Thursday's maintenance window.",
    "Change request raised; CAB approval pending.",
)

PROBLEM_NOTES = ("Linked to the recurring problem under investigation; waiting for the RCA.",)

HANDOVER_NOTES = (
    "Handing over to {team}: looks like it is on their side, evidence in the notes above.",
    "Not ours: {team} owns this component. Transferring with the diagnostics.",
    "Escalating to {team} as agreed in the daily stand-up.",
)

TAKE_NOTES = ("Taking this one.", "Picked up, looking at the handover notes.")

REOPEN_REASONS = (
    "It is happening again since this morning.",
    "The fix did not hold; same error after the restart.",
    "Only partly fixed: two colleagues still have the problem.",
)

MONITORING_REOPEN = "The alert fired again within the flap window."

CANCEL_REASONS = (
    "Duplicate of {dup}; following up there.",
    "Raised in error; the user found the answer in the knowledge base.",
    "Requester withdrew the request.",
    "Duplicate of {dup}.",
)

GENERIC_FIXES = (
    "Root cause identified and fixed; monitoring is back to normal.",
    "Configuration corrected; user confirmed it works.",
    "Applied the workaround from the knowledge base.",
)

OVERRIDE_REASONS = (
    "Board meeting tomorrow; the CFO depends on this.",
    "Customer-facing launch this week; agreed with the account manager.",
)

HOLD_NOTES: dict[HoldReason, tuple[str, ...]] = {
    HoldReason.AWAITING_VENDOR: VENDOR_NOTES,
    HoldReason.AWAITING_CHANGE: CHANGE_NOTES,
    HoldReason.AWAITING_PROBLEM: PROBLEM_NOTES,
}

HOLD_WEIGHTS: dict[HoldReason, float] = {
    HoldReason.AWAITING_REQUESTER: 5,
    HoldReason.AWAITING_VENDOR: 3,
    HoldReason.AWAITING_CHANGE: 2,
    HoldReason.AWAITING_PROBLEM: 1,
}


def words(rng: random.Random) -> dict[str, str]:
    """One value per placeholder, drawn once per incident so title, description and notes
    agree with each other."""
    values = {name: rng.choice(options) for name, options in FILLERS.items()}
    values |= {
        "n": str(rng.randint(2, 9)),
        "pct": str(rng.choice((85, 90, 92, 95, 97))),
        "q": str(rng.randint(1, 4)),
        "case": f"#{rng.randint(100000, 999999)}",
        "time": f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
    }
    return values


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: dict[str, str]) -> str:
    """Replace {placeholders} with the incident's words (unknown ones stay as they are)."""
    return text.format_map(_Keep(values))
