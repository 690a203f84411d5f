"""The yardstick: an ASGI app that only parses the JSON body and answers 202.

The ingest benchmark runs it on the same server stack as Tocsin, in the same run, and
reports Tocsin's throughput as a ratio of it, so the figure means the same on any machine.
"""

from __future__ import annotations

import json
from typing import Any

RESPONSE = b'{"status":"success","message":"Event processed"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    json.loads(body)
    await send(
        {
            "type": "http.response.start",
            "status": 202,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(RESPONSE)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": RESPONSE})
