"""What a sender sent, kept beside the alert it carried: the request body (the e-mail, the
syslog line) decoded once, as UTF-8 with replacement, and capped so that one chatty sender
cannot fill the database."""

from __future__ import annotations

import json

PAYLOAD_CAP = 64 * 1024  # bytes of the body kept
CUT_MARKER = "… [cut at 64 KiB]"
KEY_MASK = "[integration key removed]"


def payload_text(body: bytes) -> str:
    """`body` as stored: decoded once (bad bytes and NUL become U+FFFD), cut at
    `PAYLOAD_CAP` bytes with `CUT_MARKER` after the cut, never inside a UTF-8 character."""
    if len(body) <= PAYLOAD_CAP:
        text = body.decode("utf-8", "replace")
    else:
        cut = PAYLOAD_CAP
        # step back over continuation bytes (10xxxxxx) to the start of the cut character
        while cut > PAYLOAD_CAP - 4 and body[cut] & 0xC0 == 0x80:
            cut -= 1
        text = body[:cut].decode("utf-8", "replace") + CUT_MARKER
    # PostgreSQL's text cannot hold NUL: kept as U+FFFD, as the parsers keep it
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def without_key(payload: str, key: str | None) -> str:
    """A payload that carries its integration key (PagerDuty's routing_key) with the key
    blanked: whoever reads the alert must not be able to send as the integration."""
    return payload.replace(key, KEY_MASK) if key else payload


def pretty_payload(payload: str) -> str:
    """A stored payload for reading: JSON indented by 2 in the sender's own key order;
    anything else (an e-mail, a syslog line, a cut body) as it is."""
    try:
        parsed = json.loads(payload)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to indent
        return payload
    return json.dumps(parsed, indent=2, ensure_ascii=False)
