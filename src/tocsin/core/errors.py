"""Domain errors: each carries a sentence a person understands; adapters map them to answers."""

from __future__ import annotations

from collections.abc import Sequence


class TocsinError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(TocsinError):
    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class NotFound(TocsinError):
    status = 404
    title = "Not found"


class PermissionDenied(TocsinError):
    status = 403
    title = "Forbidden"


class NotAuthenticated(TocsinError):
    status = 401
    title = "Not authenticated"


class Conflict(TocsinError):
    status = 409
    title = "Conflict"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        # the input that clashes, when one does (a form shows the sentence beside it)
        self.field = field


class InvalidTransition(Conflict):
    def __init__(self, action: str, state: str, allowed: Sequence[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"Cannot {action} an incident that is {state.replace('_', ' ')}. "
            f"Actions allowed from this state: {allowed_text}."
        )
        self.action = action
        self.state = state
        self.allowed = list(allowed)


class StaleVersion(TocsinError):
    status = 412
    title = "Precondition failed"


class TooManyRequests(TocsinError):
    """Refused for a while (sign-in throttling); adapters send `retry_after` as Retry-After."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
