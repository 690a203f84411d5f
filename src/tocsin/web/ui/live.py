"""GET /events: the console's live updates, as Server-Sent Events.

Each open stream is one subscription to the process's live bus (tocsin.live.bus); the
bus reads the database once per tick for all of them. A stream sends `change` events
(JSON: kind, ref, topic, customer_id) the visitor's tenant may see, `resync` when it fell
behind, and a comment every 15 s so proxies keep it open. The page decides what to
re-fetch (static/live.js); the data itself always comes from a normal page request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from tocsin.auth.principal import Principal
from tocsin.live.bus import LiveBus
from tocsin.web.access import PUBLIC, get_app
from tocsin.web.ui.pages import PageRoute, Staff

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PING_SECONDS = 15
RETRY_MILLISECONDS = 3000  # how soon a browser reconnects after losing the stream


@router.get("/events", dependencies=[PUBLIC])
async def events(request: Request, visitor: Staff) -> EventSourceResponse:
    """Staff only, like every console page (signed out: to sign-in; a requester: to the
    portal; a browser's EventSource then gives up rather than retrying)."""
    return EventSourceResponse(
        _stream(get_app(request).live, visitor.principal),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _stream(bus: LiveBus, principal: Principal) -> AsyncIterator[ServerSentEvent]:
    # subscribed here, once the response streams: a client gone before never subscribes
    subscription = bus.subscribe(principal)
    try:
        yield ServerSentEvent(comment="live", retry=RETRY_MILLISECONDS)
        while True:
            batch = await subscription.next()
            if batch is None:  # the bus stopped: the server is shutting down
                return
            if batch.resync:
                yield ServerSentEvent(event="resync", data="{}")
            for change in batch.changes:
                yield ServerSentEvent(event="change", data=change.as_json())
    finally:
        bus.unsubscribe(subscription)
