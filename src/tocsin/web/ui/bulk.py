"""Bulk actions on the queue: acknowledge, assign or resolve the selected incidents.

Each incident goes through `app.actions.perform`, the path of the single action, in a
transaction of its own: one that cannot move (already resolved, changed meanwhile) is
skipped with its own sentence, and the others still happen.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tocsin.core.errors import PermissionDenied, TocsinError
from tocsin.incidents.actions import ACTION_FIELDS, check_body
from tocsin.incidents.lifecycle import Action
from tocsin.incidents.schemas import ActionIn
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.forms import FormErrors, errors_from, filled
from tocsin.web.ui.pages import FormData, PageRoute, PostedStaff
from tocsin.web.ui.queue import Extras, params_of, queue_page

router = APIRouter(include_in_schema=False, route_class=PageRoute)

BULK_ACTIONS = {
    Action.ACKNOWLEDGE.value: (Action.ACKNOWLEDGE, "acknowledged"),
    Action.ASSIGN.value: (Action.ASSIGN, "assigned"),
    Action.RESOLVE.value: (Action.RESOLVE, "resolved"),
}
MAX_SELECTED = 200


async def _selected(request: Request) -> list[str]:
    """The checked rows (`ids`, one field per row): the shared form reader keeps one value
    per name."""
    form = await request.form()
    numbers = (v.strip() for v in form.getlist("ids") if isinstance(v, str))
    return list(dict.fromkeys(n for n in numbers if n))


Selected = Annotated[list[str], Depends(_selected)]


def outcome(verb: str, done: list[str], skipped: list[tuple[str, str]]) -> str:
    """'3 acknowledged; 1 skipped: INC0001004: Cannot acknowledge ...'"""
    text = f"{len(done)} {verb}"
    if skipped:
        reasons = " ".join(f"{number}: {reason}" for number, reason in skipped)
        text += f"; {len(skipped)} skipped: {reasons}"
    return text


@router.post("/incidents/bulk", dependencies=[PUBLIC])
def bulk_action(
    request: Request, visitor: PostedStaff, form: FormData, selected: Selected
) -> Response:
    values = params_of(form.get("back", ""))
    chosen = form.get("action", "")
    fields = filled(form, ACTION_FIELDS[BULK_ACTIONS[chosen][0]]) if chosen in BULK_ACTIONS else {}

    def again(errors: FormErrors) -> Response:
        extras = Extras(
            bulk_errors=errors,
            bulk_values={"action": chosen, **fields},
            selected=selected,
            status=errors.status,
        )
        return queue_page(request, visitor, values, "", extras)

    if chosen not in BULK_ACTIONS:
        return again(FormErrors(summary="Choose what to do: acknowledge, assign or resolve."))
    if not selected:
        return again(
            FormErrors(summary="Select at least one incident (tick its box) and try again.")
        )
    if len(selected) > MAX_SELECTED:
        return again(FormErrors(summary=f"Select at most {MAX_SELECTED} incidents at a time."))
    action, verb = BULK_ACTIONS[chosen]
    try:
        data = ActionIn.model_validate(fields)
        check_body(action, data)
    except (ValidationError, TocsinError) as exc:
        return again(errors_from(exc))
    done: list[str] = []
    skipped: list[tuple[str, str]] = []
    actions = get_app(request).actions
    for number in selected:
        try:
            done.append(actions.perform(visitor.principal, number, action, data).number)
        except PermissionDenied:
            # The role may not act at all (the same for every row, so the first refusal
            # comes before any change): a 403 page rather than a list of refusals.
            raise
        except TocsinError as exc:
            skipped.append((number, exc.detail))
    extras = Extras(
        notice=outcome(verb, done, skipped),
        selected=[number for number, _ in skipped],
    )
    return queue_page(request, visitor, values, "", extras)
