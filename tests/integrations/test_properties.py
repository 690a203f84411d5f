"""Property tests: whatever the bytes, a parser answers a storable `Parsed` or a
`PayloadError` (400 / 413) with a sentence, never any other exception.

Inputs: arbitrary bytes, arbitrary JSON documents (with the senders' own field names, so
that the generated objects reach deep into the parsers), and the real samples mutated:
one JSON node replaced or removed, or bytes cut, inserted and overwritten."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integrations.helpers import RECEIVED_AT, SENDERS, assert_storable, sample_paths
from tocsin.integrations import opsgenie, pagerduty, registry, syslog
from tocsin.integrations.base import FieldError, Parsed, PayloadError

T = TypeVar("T")
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSON_SENDERS = ("pagerduty", "opsgenie", "alertmanager", "grafana", "generic")
KEYS = sorted(
    {
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "summary",
        "source",
        "severity",
        "timestamp",
        "component",
        "group",
        "class",
        "custom_details",
        "links",
        "images",
        "href",
        "src",
        "client_url",
        "message",
        "alias",
        "description",
        "tags",
        "details",
        "entity",
        "priority",
        "user",
        "note",
        "responders",
        "alerts",
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
        "groupKey",
        "truncatedAlerts",
        "version",
        "values",
        "valueString",
        "dashboardURL",
        "panelURL",
        "silenceURL",
        "title",
        "action",
        "service",
        "event_type",
        "alert",
        "signature",
        "signature_id",
        "community_id",
        "src_ip",
        "dest_ip",
        "src_port",
        "dest_port",
        "proto",
        "http",
        "dns",
        "tls",
        "query",
        "rrname",
        "sni",
        "hostname",
        "url",
        "instance",
        "alertname",
    }
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "firing",
            "resolved",
            "trigger",
            "resolve",
            "acknowledge",
            "critical",
            "P1",
            "2026-11-28T04:38:22Z",
            "0001-01-01T00:00:00Z",
            "",
            " ",
            "alert",
        ]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=25,
)
SAMPLE_BYTES = {s: [p.read_bytes() for p in sample_paths(s)] for s in SENDERS}


def outcome(call: Callable[[], Parsed], statuses: tuple[int, ...] = (400, 413)) -> None:
    """Run a parser: a storable result, or a PayloadError that explains itself."""
    refusal = refusal_of(call)
    if isinstance(refusal, Parsed):
        assert_storable(refusal)
        return
    assert refusal.status in statuses
    assert isinstance(refusal.message, str)
    assert refusal.message.strip()
    assert refusal.errors
    assert all(isinstance(e, FieldError) for e in refusal.errors)
    json.dumps([refusal.message, [(e.field, e.message) for e in refusal.errors]]).encode()


def refusal_of(call: Callable[[], T]) -> T | PayloadError:
    """What `call` returns, or the PayloadError it raises (anything else propagates)."""
    try:
        return call()
    except PayloadError as error:
        return error


def parse_with(
    sender: str, body: bytes, config: Any = None, received_at: datetime = RECEIVED_AT
) -> Parsed:
    kind = registry.get(sender)
    conf = kind.default_config if config is None else config
    return kind.parse(body, headers={}, received_at=received_at, config=conf)


@st.composite
def mutated_json(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` with one node replaced by any JSON value, or removed."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else []
        )
        for key, child in items:
            walk(child, (*path, key))

    walk(doc, ())
    path = draw(st.sampled_from(paths))
    doc = json.loads(json.dumps(doc))
    if not path:
        return draw(JSON)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if draw(st.booleans()):
        parent[path[-1]] = draw(JSON)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    return doc


@st.composite
def mutated_bytes(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` cut, with bytes inserted or overwritten at a few places."""
    data = bytearray(body)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.integers(min_value=0, max_value=len(data)))
        how = draw(st.sampled_from(["cut", "insert", "overwrite"]))
        if how == "cut":
            del data[where:]
        elif how == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        else:
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[where : where + len(chunk)] = chunk
    return bytes(data)


@pytest.mark.parametrize("sender", SENDERS)
@FUZZ
@given(body=st.binary(max_size=600), received_at=st.datetimes(timezones=st.just(UTC)))
def test_arbitrary_bytes(sender: str, body: bytes, received_at: datetime) -> None:
    outcome(lambda: parse_with(sender, body, received_at=received_at))


@pytest.mark.parametrize("sender", SENDERS)
@FUZZ
@given(doc=JSON)
def test_arbitrary_json(sender: str, doc: Any) -> None:
    body = json.dumps(doc).encode()
    if sender == "suricata":  # one JSON document per line
        body = b"\n".join(
            json.dumps(item).encode() for item in (doc if isinstance(doc, list) else [doc])
        )
    outcome(lambda: parse_with(sender, body))


@pytest.mark.parametrize("sender", [*JSON_SENDERS, "suricata"])
@FUZZ
@given(data=st.data())
def test_real_samples_with_one_json_node_changed(sender: str, data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(SAMPLE_BYTES[sender]))
    if sender == "suricata":
        lines = body.splitlines()
        index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        lines[index] = json.dumps(data.draw(mutated_json(json.loads(lines[index])))).encode()
        body = b"\n".join(lines)
    else:
        body = json.dumps(data.draw(mutated_json(json.loads(body)))).encode()
    outcome(lambda: parse_with(sender, body))


@pytest.mark.parametrize("sender", SENDERS)
@FUZZ
@given(data=st.data())
def test_real_samples_with_bytes_changed(sender: str, data: st.DataObject) -> None:
    body = data.draw(mutated_bytes(data.draw(st.sampled_from(SAMPLE_BYTES[sender]))))
    outcome(lambda: parse_with(sender, body))


CONFIGURABLE = [s for s in SENDERS if registry.get(s).check_config is not None]


def test_the_configurable_senders() -> None:
    assert CONFIGURABLE == ["alertmanager", "grafana", "generic", "syslog", "email"]


@pytest.mark.parametrize("sender", CONFIGURABLE)
@FUZZ
@given(
    config=st.dictionaries(
        st.sampled_from(
            ["max_severity", "app_name", "pattern", "severity", "default_severity", "severity_map"]
        ),
        JSON,
    )
)
def test_any_configuration_is_checked_or_refused_with_500(
    sender: str, config: dict[str, Any]
) -> None:
    check = registry.get(sender).check_config
    assert check is not None
    problems = check(config)
    assert all(isinstance(p, FieldError) for p in problems)
    body = SAMPLE_BYTES[sender][0]
    outcome(lambda: parse_with(sender, body, config), statuses=(400, 413, 500))
    if not problems:  # a configuration that passed the check is never refused
        result = refusal_of(lambda: parse_with(sender, body, config))
        assert not isinstance(result, PayloadError) or result.status != 500


@FUZZ
@given(
    action=st.sampled_from(["close", "acknowledge"]) | st.text(max_size=10),
    identifier=st.text(max_size=40),
    id_type=st.none() | st.sampled_from(["id", "alias", "tiny", ""]) | st.text(max_size=6),
    body=st.binary(max_size=200) | JSON.map(lambda d: json.dumps(d).encode()),
)
def test_opsgenie_actions(action: str, identifier: str, id_type: str | None, body: bytes) -> None:
    outcome(
        lambda: opsgenie.parse_action(action, identifier, id_type, body, received_at=RECEIVED_AT)
    )


@FUZZ
@given(body=st.binary(max_size=300) | JSON.map(lambda d: json.dumps(d).encode()))
def test_pagerduty_routing_key_never_raises(body: bytes) -> None:
    key = pagerduty.routing_key(body)
    assert key is None or (isinstance(key, str) and key.strip())


@FUZZ
@given(data=st.data())
def test_syslog_frame_never_raises_anything_else(data: st.DataObject) -> None:
    stream = data.draw(
        st.binary(max_size=300)
        | st.lists(st.sampled_from(SAMPLE_BYTES["syslog"]), max_size=4)
        .map(lambda ms: b"".join(b"%d %s" % (len(m), m) for m in ms))
        .flatmap(mutated_bytes)
    )
    result = refusal_of(lambda: syslog.frame(stream))
    if isinstance(result, PayloadError):
        assert result.status in (400, 413)
        assert result.message
        return
    messages, rest = result
    assert sum(len(m) for m in messages) + len(rest) <= len(stream)
    assert stream.endswith(rest)


# Anything json.dumps can write: lone surrogates, NUL, infinite floats, deep nesting.
ODD_TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)
ODD_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD_TEXT, inner, max_size=3),
    max_leaves=80,
)


@FUZZ
@given(doc=ODD_JSON | JSON, indent=st.none() | st.just(1), ascii_only=st.booleans())
def test_load_json_without_the_cleaning_walk_gives_what_the_walk_gives(
    doc: Any, indent: int | None, ascii_only: bool
) -> None:
    """`load_json` skips the walk over every value when the text cannot hold anything it
    would change: both ways must give the same document, or the same refusal."""
    from tocsin.integrations._common import clean_json, load_json

    body = json.dumps(doc, indent=indent, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        walked: Any = clean_json(json.loads(body.decode("utf-8")), what="The body")
    except (PayloadError, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        walked = "refused"
    try:
        loaded: Any = load_json(body, max_bytes=10 * 1024 * 1024)
    except PayloadError:
        loaded = "refused"
    assert loaded == walked


def test_load_json_refuses_what_the_walk_refuses_on_the_fast_path() -> None:
    from tocsin.integrations._common import MAX_DEPTH, load_json

    with pytest.raises(PayloadError, match="too large to store"):
        load_json(b'{"value": 1e999}', max_bytes=10_000)
    deep = b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)
    with pytest.raises(PayloadError, match="nested deeper"):
        load_json(deep, max_bytes=10_000)
    assert load_json(b'{"a": "x\\u0000y"}', max_bytes=10_000) == {"a": "x\ufffdy"}
