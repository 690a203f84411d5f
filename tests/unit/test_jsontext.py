"""The encoders made once write exactly what json.JSONEncoder writes (the audit hashes
depend on it), and refuse what it refuses."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.core.jsontext import json_encoder

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)
_OPTIONS: list[dict[str, Any]] = [
    {},
    {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False, "default": str},
    {"ensure_ascii": False, "allow_nan": False, "separators": (",", ":")},
]


@pytest.mark.parametrize("options", _OPTIONS)
@given(document=_documents)
def test_the_same_text_as_json_encoder(options: dict[str, Any], document: Any) -> None:
    assert json_encoder(**options)(document) == json.JSONEncoder(**options).encode(document)


def test_the_same_refusals() -> None:
    strict = json_encoder(allow_nan=False)
    with pytest.raises(ValueError):
        strict({"x": math.inf})
    with pytest.raises(TypeError):
        json_encoder()({"x": object()})
    assert json_encoder(default=str)({"x": b"1"}) == json.dumps({"x": b"1"}, default=str)
