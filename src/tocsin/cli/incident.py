"""`tocsin incident list | show | create | note | timeline` and one command per action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from tocsin.cli.context import acting_as, console, err_console, local_time, open_app
from tocsin.incidents.lifecycle import Action, ResolutionCode
from tocsin.incidents.queries import IncidentFilter
from tocsin.incidents.schemas import ActionIn, IncidentIn, IncidentOut, IncidentType, NoteIn

app = typer.Typer(help="Work incidents from a terminal.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (e-mail); default: the local administrator"),
]
TzOpt = Annotated[
    str | None, typer.Option("--tz", help="Show times in this zone (default: the acting user's)")
]


def _fail_validation(exc: ValidationError) -> None:
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "input"
        err_console.print(f"[red]Error:[/red] {field}: {error['msg']}")
    raise typer.Exit(2)


def _show(incident: IncidentOut, zone: str) -> None:
    rows = [
        ("Number", incident.number),
        ("Title", incident.title),
        ("State", incident.state.value),
        (
            "Priority",
            f"P{incident.priority} (impact {incident.impact}, "
            f"urgency {incident.urgency})"
            + (" overridden" if incident.priority_overridden else ""),
        ),
        ("Type", incident.type.value),
        ("Customer", incident.customer),
        ("Service", incident.service or "-"),
        ("Category", " / ".join(x for x in (incident.category, incident.subcategory) if x) or "-"),
        ("Requester", incident.requester or "-"),
        ("Team", incident.team or "-"),
        ("Assignee", incident.assignee or "-"),
        ("Opened", local_time(incident.opened_at, zone)),
        ("Acknowledged", local_time(incident.acknowledged_at, zone)),
        ("Resolved", local_time(incident.resolved_at, zone)),
        ("Closed", local_time(incident.closed_at, zone)),
        ("Reopened", str(incident.reopen_count)),
        ("Reassigned", str(incident.reassignment_count)),
        ("Version", str(incident.version)),
        ("Next actions", ", ".join(a.value for a in incident.allowed_actions) or "-"),
    ]
    table = Table(show_header=False, box=None)
    for key, value in rows:
        table.add_row(f"[bold]{key}[/bold]", value)
    console.print(table)
    if incident.description:
        console.print(incident.description)


@app.command("list")
def list_incidents(
    state: Annotated[str | None, typer.Option(help="open, done, or states")] = "open",
    priority: Annotated[str | None, typer.Option(help="e.g. 1,2")] = None,
    team: str | None = None,
    assignee: str | None = None,
    customer: str | None = None,
    service: str | None = None,
    q: Annotated[str | None, typer.Option(help="Text search")] = None,
    limit: int = 25,
    as_user: AsOpt = None,
    tz: TzOpt = None,
) -> None:
    """List incidents, newest first (open ones by default)."""
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        filters = IncidentFilter(
            state=state if state != "all" else None,
            priority=priority,
            team=team,
            assignee=assignee,
            customer=customer,
            service=service,
            q=q,
        )
        page = tocsin.incidents.list(principal, filters, limit=limit)
        zone = tz or principal.time_zone
        table = Table("number", "P", "state", "title", "team", "assignee", "opened")
        for i in page.items:
            table.add_row(
                i.number,
                f"P{i.priority}",
                i.state.value,
                i.title[:60],
                i.team or "-",
                i.assignee or "-",
                local_time(i.opened_at, zone),
            )
        console.print(table)
        console.print(f"{len(page.items)} of {page.total}")


@app.command()
def show(ref: str, as_user: AsOpt = None, tz: TzOpt = None) -> None:
    """Show one incident (by number or id)."""
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        _show(tocsin.incidents.get(principal, ref), tz or principal.time_zone)


@app.command()
def create(
    title: Annotated[str, typer.Option(help="Short summary")],
    description: str = "",
    impact: int = 3,
    urgency: int = 3,
    type_: Annotated[IncidentType, typer.Option("--type")] = IncidentType.INCIDENT,
    category: str | None = None,
    subcategory: str | None = None,
    service: str | None = None,
    customer: str | None = None,
    requester: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    tag: Annotated[list[str] | None, typer.Option()] = None,
    major: bool = False,
    as_user: AsOpt = None,
) -> None:
    """Open an incident; prints its number as the last line."""
    fields = {
        k: v
        for k, v in {
            "title": title,
            "description": description,
            "impact": impact,
            "urgency": urgency,
            "type": type_,
            "category": category,
            "subcategory": subcategory,
            "service": service,
            "customer": customer,
            "requester": requester,
            "team": team,
            "assignee": assignee,
            "tags": tag or [],
            "major": major,
        }.items()
        if v is not None
    }
    try:
        data = IncidentIn(**fields)
    except ValidationError as exc:
        _fail_validation(exc)
        return
    with open_app() as tocsin:
        incident = tocsin.incidents.create(acting_as(tocsin, as_user), data)
        err_console.print(
            f"Opened {incident.number} (P{incident.priority}, {incident.state.value})."
        )
        print(incident.number)


@app.command()
def note(
    ref: str,
    body: str,
    public: Annotated[bool, typer.Option(help="A comment the requester sees")] = False,
    as_user: AsOpt = None,
) -> None:
    """Add a work note (or, with --public, a comment visible to the requester)."""
    with open_app() as tocsin:
        tocsin.incidents.add_note(
            acting_as(tocsin, as_user), ref, NoteIn(body=body, internal=not public)
        )
        console.print("Comment added." if public else "Work note added.")


@app.command()
def timeline(ref: str, as_user: AsOpt = None, tz: TzOpt = None) -> None:
    """Every change of an incident, oldest first."""
    with open_app() as tocsin:
        principal = acting_as(tocsin, as_user)
        zone = tz or principal.time_zone
        table = Table("when", "who", "what", "changes")
        for e in tocsin.incidents.timeline(principal, ref).items:
            changes = "; ".join(f"{k}: {v[0]!s} -> {v[1]!s}" for k, v in e.changes.items())
            what = e.kind + (f": {e.message}" if e.message else "")
            table.add_row(local_time(e.at, zone), e.actor, what[:80], changes)
        console.print(table)


def _action_command(action: Action) -> Callable[..., None]:
    def run(
        ref: str,
        team: Annotated[str | None, typer.Option(help="assign: team slug")] = None,
        assignee: Annotated[str | None, typer.Option(help="assign: e-mail")] = None,
        reason: Annotated[str | None, typer.Option(help="hold / reopen / cancel")] = None,
        code: Annotated[
            ResolutionCode | None, typer.Option(help="resolve: resolution code")
        ] = None,
        notes: Annotated[str | None, typer.Option(help="resolve: resolution notes")] = None,
        as_user: AsOpt = None,
    ) -> None:
        fields = {
            k: v
            for k, v in {
                "team": team,
                "assignee": assignee,
                "reason": reason,
                "resolution_code": code,
                "resolution_notes": notes,
            }.items()
            if v is not None
        }
        try:
            data = ActionIn(**fields)
        except ValidationError as exc:
            _fail_validation(exc)
            return
        with open_app() as tocsin:
            incident = tocsin.actions.perform(acting_as(tocsin, as_user), ref, action, data)
            console.print(f"{incident.number} is now {incident.state.value}.")

    run.__doc__ = f"{action.value.capitalize()} an incident."
    return run


for _action in Action:
    app.command(_action.value)(_action_command(_action))
