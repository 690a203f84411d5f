"""Every error leaves as application/problem+json with a sentence a person understands."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tocsin.core.bounded import storable, unstorable_reason
from tocsin.core.errors import TocsinError, TooManyRequests

log = logging.getLogger("tocsin.web")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    # A detail may quote what the caller sent; a lone surrogate in it could not be encoded.
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": storable(detail),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def unexpected() -> JSONResponse:
    """The answer to an error nobody foresaw (the error itself goes to the server log)."""
    return problem(
        500,
        "Internal error",
        "Something went wrong on the server; nothing was changed. The error is in the server log.",
    )


def _where(loc: tuple[Any, ...]) -> str:
    # "[key]" marks an error in a dictionary's key, which the path names already.
    parts = [storable(str(p)) for p in loc if p not in ("body", "query", "path", "header", "[key]")]
    return ".".join(parts) or "body"


def _sentence(error: dict[str, Any]) -> str:
    where = _where(tuple(error.get("loc", ())))
    kind = error.get("type", "")
    if kind == "missing":
        return f"`{where}` is required."
    if kind == "extra_forbidden":
        return f"`{where}` is not a field this endpoint accepts."
    if kind == "string_unicode":  # pydantic's words for a lone surrogate in a string
        return f"`{where}`: {unstorable_reason()}."
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"`{where}`: {message}."


def validation_response(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx") or {}
            return problem(
                400,
                "Malformed JSON",
                f"The request body is not valid JSON ({ctx.get('error', 'parse error')}).",
            )
    if any(
        e.get("type") == "model_attributes_type" or e.get("type") == "dict_type"
        for e in errors
        if _where(tuple(e.get("loc", ()))) == "body"
    ):
        return problem(422, "Invalid input", "The request body must be a JSON object.")
    sentences = [_sentence(e) for e in errors]
    detail = " ".join(sentences[:5]) + (
        f" (and {len(sentences) - 5} more)" if len(sentences) > 5 else ""
    )
    fields = [{"field": _where(tuple(e.get("loc", ()))), "message": _sentence(e)} for e in errors]
    return problem(422, "Invalid input", detail, errors=json.loads(json.dumps(fields, default=str)))


def install(app: FastAPI) -> None:
    @app.exception_handler(TocsinError)
    async def _domain(_request: Request, exc: TocsinError) -> JSONResponse:
        extra: dict[str, Any] = {}
        allowed = getattr(exc, "allowed", None)
        if allowed is not None:
            extra["allowed_actions"] = allowed
        field = getattr(exc, "field", None)
        if field:
            extra["field"] = field
        response = problem(exc.status, exc.title, exc.detail, **extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        detail = exc.detail if isinstance(exc.detail, str) else "Request refused."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        if exc.status_code == 405:
            detail = "This address does not accept that method."
        return problem(exc.status_code, titles.get(exc.status_code, "Error"), detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return unexpected()
