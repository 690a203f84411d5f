"""A review as a Markdown document (pure): what is downloaded and pasted into wikis."""

from __future__ import annotations

from datetime import datetime

from tocsin.reviews.schemas import SECTIONS, ReviewOut
from tocsin.reviews.timeline import duration_text


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def to_markdown(review: ReviewOut) -> str:
    g = review.generated
    lines = [
        f"# Post-incident review: {review.incident} {review.incident_title}",
        "",
        f"- Priority: P{review.priority}{' (major incident)' if review.major else ''}",
        f"- Customer: {review.customer}",
        f"- State: {review.state.replace('_', ' ')}",
        f"- Author: {review.author or '-'}",
        f"- Detected: {_when(g.detected_at)}",
        f"- Acknowledged: {_when(g.acknowledged_at)}",
        f"- Resolved: {_when(g.resolved_at)}",
        f"- Time to acknowledge: {duration_text(g.time_to_acknowledge)}",
        f"- Time to resolve: {duration_text(g.time_to_resolve)}",
        f"- Time on hold: {duration_text(g.time_on_hold)}",
        f"- Escalations: {g.escalations}",
        "",
    ]
    for name, title in SECTIONS:
        text = getattr(review, name).strip()
        lines += [f"## {title}", "", text or "_Not written._", ""]
    lines += ["## Timeline", "", "| Time (UTC) | Event | By | Details |", "|---|---|---|---|"]
    for e in g.events:
        lines.append(
            f"| {_when(e.at)} | {e.label} | {_cell(e.actor) or '-'} | {_cell(e.message)} |"
        )
    lines += ["", "## Action items", ""]
    if not review.action_items:
        lines.append("_None._")
    for item in review.action_items:
        box = "x" if item.done else " "
        extra = [f"owner {item.owner}" if item.owner else "no owner"]
        if item.due:
            extra.append(f"due {item.due.isoformat()}")
        if item.link:
            extra.append(item.link)
        if item.overdue:
            extra.append("OVERDUE")
        lines.append(f"- [{box}] {item.title} ({', '.join(extra)})")
    return "\n".join(lines) + "\n"
