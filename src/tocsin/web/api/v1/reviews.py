"""/api/v1/reviews and /api/v1/action-items: post-incident reviews and their follow-ups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tocsin.auth.principal import Principal
from tocsin.auth.roles import Permission
from tocsin.core.paging import Page
from tocsin.reviews.schemas import (
    ActionItemIn,
    ActionItemOut,
    ActionItemPatch,
    MissingReviewOut,
    ReviewIn,
    ReviewOut,
    ReviewPatch,
)
from tocsin.web.access import AppDep, require
from tocsin.web.api.v1.incidents import IfMatch, parse_if_match

router = APIRouter(prefix="/api/v1", tags=["reviews"])

Reader = Annotated[Principal, require(Permission.REVIEW_READ)]
Writer = Annotated[Principal, require(Permission.REVIEW_WRITE)]


def _tagged(response: Response, review: ReviewOut) -> ReviewOut:
    response.headers["ETag"] = f'"{review.version}"'
    return review


@router.get("/reviews", summary="Post-incident reviews: drafts first, then in review, published")
def list_reviews(
    app: AppDep,
    principal: Reader,
    state: Annotated[str | None, Query(description="draft, in_review, published")] = None,
    customer: str | None = None,
    required: Annotated[
        bool | None, Query(description="true: reviews the rule requires; false: optional ones")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
    cursor: str | None = None,
) -> Page[ReviewOut]:
    return app.reviews.list(
        principal, state=state, customer=customer, required=required, limit=limit, cursor=cursor
    )


@router.get(
    "/reviews/missing",
    summary="Resolved incidents that require a review and have no published one",
)
def missing_reviews(
    app: AppDep,
    principal: Reader,
    customer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[MissingReviewOut]:
    return app.reviews.missing(principal, customer=customer, limit=limit, cursor=cursor)


@router.post(
    "/reviews",
    status_code=status.HTTP_201_CREATED,
    summary="Start the review of a resolved or closed incident (a draft, timeline generated)",
)
def create_review(app: AppDep, principal: Writer, data: ReviewIn, response: Response) -> ReviewOut:
    review = app.reviews.create(principal, data)
    response.headers["Location"] = f"/api/v1/reviews/{review.id}"
    return _tagged(response, review)


@router.get("/reviews/{review_id}", summary="Read a review")
def get_review(app: AppDep, principal: Reader, review_id: str, response: Response) -> ReviewOut:
    return _tagged(response, app.reviews.get(principal, review_id))


@router.patch(
    "/reviews/{review_id}",
    summary="Edit a review's sections, or move it to in_review / published / draft",
)
def patch_review(
    app: AppDep,
    principal: Writer,
    review_id: str,
    data: ReviewPatch,
    response: Response,
    if_match: IfMatch = None,
) -> ReviewOut:
    review = app.reviews.patch(principal, review_id, data, if_match=parse_if_match(if_match))
    return _tagged(response, review)


@router.post(
    "/reviews/{review_id}/regenerate",
    summary="Generate the review's timeline and durations again from the incident",
)
def regenerate_review(
    app: AppDep, principal: Writer, review_id: str, response: Response, if_match: IfMatch = None
) -> ReviewOut:
    review = app.reviews.regenerate(principal, review_id, if_match=parse_if_match(if_match))
    return _tagged(response, review)


@router.get(
    "/reviews/{review_id}/markdown",
    summary="The review as a Markdown document",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {}}}},
)
def review_markdown(app: AppDep, principal: Reader, review_id: str) -> Response:
    text, filename = app.reviews.markdown(principal, review_id)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/reviews/{review_id}/action-items",
    status_code=status.HTTP_201_CREATED,
    summary="Add an action item to a review",
)
def add_action_item(
    app: AppDep, principal: Writer, review_id: str, data: ActionItemIn
) -> ActionItemOut:
    return app.action_items.add(principal, review_id, data)


@router.get("/reviews/{review_id}/action-items", summary="A review's action items")
def review_action_items(app: AppDep, principal: Reader, review_id: str) -> Page[ActionItemOut]:
    return app.action_items.of_review(principal, review_id)


@router.get("/action-items", summary="Action items of every review, the soonest due first")
def list_action_items(
    app: AppDep,
    principal: Reader,
    open: bool | None = None,
    overdue: bool | None = None,
    owner: Annotated[str | None, Query(description="e-mail or id, or me")] = None,
    customer: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[ActionItemOut]:
    return app.action_items.list(
        principal,
        open=open,
        overdue=overdue,
        owner=owner,
        customer=customer,
        limit=limit,
        cursor=cursor,
    )


@router.patch(
    "/action-items/{item_id}",
    summary="Change an action item: done, owner, due date, title, link",
)
def patch_action_item(
    app: AppDep,
    principal: Writer,
    item_id: str,
    data: ActionItemPatch,
    response: Response,
    if_match: IfMatch = None,
) -> ActionItemOut:
    item = app.action_items.patch(principal, item_id, data, if_match=parse_if_match(if_match))
    response.headers["ETag"] = f'"{item.version}"'
    return item
