"""JSON encoders built once: the same text as `json.JSONEncoder(...).encode`, faster.

`json.dumps` and `JSONEncoder.encode` build CPython's C encoder anew for every call, which
costs more than encoding a small document such as an alert's labels. An alert is encoded
many times on its way in (labels, details, timeline changes, the audit entries and their
hashes, the answer), so the hot paths keep one C encoder each.
Circular references are not looked for: these encoders see parsed JSON and the event
data Tocsin builds itself, which cannot hold a cycle (one would end in RecursionError).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any

Encode = Callable[[Any], str]


def json_encoder(
    *,
    sort_keys: bool = False,
    ensure_ascii: bool = True,
    separators: tuple[str, str] = (", ", ": "),
    allow_nan: bool = True,
    default: Callable[[Any], Any] | None = None,
) -> Encode:
    """What `json.JSONEncoder` with these options would write, from a C encoder made once."""
    reference = json.JSONEncoder(
        sort_keys=sort_keys,
        ensure_ascii=ensure_ascii,
        separators=separators,
        allow_nan=allow_nan,
        default=default,
    )
    make = getattr(_encoder, "c_make_encoder", None)
    if make is None:  # not CPython's accelerated json: the reference encoder itself
        return reference.encode
    spell = _encoder.encode_basestring_ascii if ensure_ascii else _encoder.encode_basestring
    item_separator, key_separator = separators
    c_encode = make(
        None,  # no circular-reference markers (see the module's docstring)
        reference.default,
        spell,
        None,  # no indent
        key_separator,
        item_separator,
        sort_keys,
        False,  # skipkeys
        allow_nan,
    )

    def encode(value: Any) -> str:
        return "".join(c_encode(value, 0))

    return encode
