"""The contract every sender fulfils: its parser (bytes in, NormalizedAlerts out, pure)
and, in its registry entry (`IntegrationType`), everything the web layer needs to serve it:
its HTTP routes (`HttpRoute`), where a request carries the key (`KeyFrom`), how it answers
(`Answers`), and its integrations' default grouping. Nothing here knows about HTTP
frameworks: an answer is a plain (status, JSON-ready body, media type) tuple."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class AlertAction(StrEnum):
    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class Severity(StrEnum):
    """PagerDuty's four levels; every sender's own scale is mapped onto them."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class NormalizedAlert:
    """One alert event as Tocsin understands it, whatever the sender."""

    action: AlertAction
    # The sender's own key (PagerDuty dedup_key, Opsgenie alias, Alertmanager / Grafana
    # fingerprint, Suricata community_id + signature id, generic dedup_key). None on a
    # trigger means "generate one" (PagerDuty semantics).
    dedup_key: str | None
    summary: str = ""
    severity: Severity = Severity.ERROR
    description: str = ""
    source: str | None = None  # host, instance, component that raised it
    service: str | None = None  # a hint: the `service` label, if the sender has one
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # annotations, custom details
    links: list[str] = field(default_factory=list)
    occurred_at: datetime | None = None  # when the sender says it started / ended
    group_key: str | None = None  # Alertmanager groupKey and the like
    incident_type: str = "incident"  # "security_incident" for IDS / SIEM events
    evidence: dict[str, Any] = field(default_factory=dict)  # e.g. Suricata flow facts
    # For mail: who sent it (e-mail) and the incident number a reply refers to.
    reporter: str | None = None
    reply_to: str | None = None
    # Opsgenie can close / acknowledge by its own alert id instead of the alias.
    alert_id: str | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a payload held: alerts to process, and how many items were ignored on purpose
    (e.g. Suricata flow / stats events), by kind."""

    alerts: list[NormalizedAlert]
    ignored: dict[str, int] = field(default_factory=dict)
    # The integration key, when the payload itself carries it (PagerDuty's routing_key).
    key: str | None = None
    # The request's id, given by the web layer when the type's `Answers.tracks_requests`.
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class PayloadError(Exception):
    """The payload cannot be accepted. `message` is a sentence; `errors` name each field
    (PagerDuty answers them as `errors[]`). Nothing of the payload is stored."""

    def __init__(
        self, message: str, errors: list[FieldError] | None = None, *, status: int = 400
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.status = status


# parse(body, headers=..., received_at=..., config=...) -> Parsed
Parser = Callable[..., Parsed]
# check_config(config) -> the problems of a per-integration configuration ([] = valid)
ConfigChecker = Callable[[Mapping[str, Any]], list[FieldError]]


# An answer to a request: (HTTP status, JSON-ready body, media type). The web layer encodes
# and sends it.
Answer = tuple[int, Any, str]
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


class Stored(Protocol):
    """What became of one stored alert, as an answer may tell it (the alert pipeline's
    `Outcome` is one)."""

    @property
    def result(self) -> str: ...  # created, deduplicated, grouped, resolved, ...

    @property
    def dedup_key(self) -> str | None: ...

    @property
    def incident_number(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class KeyFrom:
    """Where a request carries its integration key."""

    # `Authorization: <scheme> <key>` (the scheme compared in lower case), else
    # `?<query>=<key>`; None: not there.
    scheme: str | None = "bearer"
    query: str | None = "key"
    # True: in the payload (`Parsed.key`, PagerDuty's routing_key). The body is then parsed
    # before the key is known, with an empty configuration; `scheme` and `query` are unused.
    in_body: bool = False
    # What the refusal of a wrong key is audited as: "unknown or disabled <name>".
    name: str = "integration key"


# accepted(parsed, outcomes, started): the alerts are stored (committed)
Accepted = Callable[[Parsed, Sequence[Stored], float], Answer]
# refused(error, started): the payload (or the integration's configuration) is refused
Refused = Callable[[PayloadError, float], Answer]
# unknown_key(started): no enabled integration of this type has the key (the refusal is
# audited before this answer is sent)
UnknownKey = Callable[[float], Answer]
# wrong_type(the key's integration type, the route's path, started)
WrongType = Callable[[str, str, float], Answer]


@dataclass(frozen=True, slots=True)
class Answers:
    """How a sender's routes answer, in its own protocol. `started` is `time.perf_counter()`
    when the request was taken up if `timed` (Opsgenie reports the time taken), else 0.0."""

    accepted: Accepted
    refused: Refused
    unknown_key: UnknownKey
    # The key is a good one, of an integration of another type. None: answered (and
    # audited) as an unknown key.
    wrong_type: WrongType | None = None
    timed: bool = False
    # True: each request gets an id (`Parsed.request_id`), recorded with what became of it,
    # so the sender can ask later (Opsgenie's `GET /v2/alerts/requests/{requestId}`).
    tracks_requests: bool = False


# request_parser(body, params=..., query=..., headers=..., received_at=..., config=...)
# -> Parsed: a route that needs more of the request than the body and headers (its path
# parameters, its query).
RequestParser = Callable[..., Parsed]
# check_params(path parameters, started) -> an answer refusing the request, or None. It
# runs before anything else, the key included.
ParamsCheck = Callable[[Mapping[str, str], float], Answer | None]


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """One POST route of a sender, and its OpenAPI documentation."""

    path: str  # a Starlette path: `{name}` for a path parameter
    operation_id: str
    summary: str
    description: str
    # None: the type's `parse` (body, headers, received_at, config).
    parse: RequestParser | None = None
    check_params: ParamsCheck | None = None


# Tocsin's own ingest protocol (/api/v1/ingest/<type>): problem+json refusals -------------


def problem(status: int, detail: str, **extra: Any) -> Answer:
    """An RFC 9457 problem answer, as Tocsin's own ingest routes refuse an alert."""
    return (
        status,
        {
            "type": "about:blank",
            "title": "Alert refused",
            "status": status,
            "detail": detail,
            **extra,
        },
        PROBLEM_JSON,
    )


def _accepted(parsed: Parsed, outcomes: Sequence[Stored], started: float) -> Answer:
    return (
        202,
        {
            "status": "accepted",
            "alerts": len(outcomes),
            "ignored": parsed.ignored,
            "results": [
                {"dedup_key": o.dedup_key, "result": o.result, "incident": o.incident_number}
                for o in outcomes
            ],
        },
        JSON,
    )


def _refused(exc: PayloadError, started: float) -> Answer:
    return problem(
        exc.status,
        exc.message,
        errors=[{"field": e.field, "message": e.message} for e in exc.errors],
    )


def _unknown_key(started: float) -> Answer:
    return problem(
        401,
        "Send the integration key as `Authorization: Bearer <key>` or "
        "`?key=<key>` (create one with `tocsin integration create`).",
    )


def _wrong_type(key_type: str, path: str, started: float) -> Answer:
    return problem(
        400,
        f"This key belongs to a {key_type} integration; send it to that endpoint, not to {path}.",
    )


BEARER_OR_QUERY = KeyFrom()
TOCSIN_ANSWERS = Answers(
    accepted=_accepted, refused=_refused, unknown_key=_unknown_key, wrong_type=_wrong_type
)


def ingest_route(name: str) -> HttpRoute:
    """The route of a sender speaking Tocsin's own protocol: ``POST /api/v1/ingest/<name>``
    (with the default `KeyFrom` and `Answers`)."""
    return HttpRoute(
        path=f"/api/v1/ingest/{name}",
        operation_id=f"ingest_{name}",
        summary=f"Receive {name} alerts",
        description="Authenticate with `Authorization: Bearer <integration key>` or `?key=`. "
        "Answers 202 `{status, alerts, ignored, results[]}` after commit; 400 / 413 "
        "problem+json naming what is wrong, nothing stored.",
    )


@dataclass(frozen=True, slots=True)
class IntegrationType:
    """A sender Tocsin speaks, and all the rest of Tocsin needs to know to serve it: the web
    layer builds its routes from `routes`, `key` and `answers`, a new integration of the
    type starts with `default_group_by`. Built-ins register exactly like a third-party one
    would."""

    name: str
    title: str
    parse: Parser
    # JSON-ready defaults for the per-integration configuration the parser reads.
    default_config: Mapping[str, Any] = field(default_factory=dict)
    # Validates a configuration before it is saved (the parser refuses a bad one with a
    # PayloadError of status 500 at ingest time). None: every configuration is accepted.
    check_config: ConfigChecker | None = None
    # Its HTTP routes; none for a sender that has its own receiver (syslog, e-mail).
    routes: tuple[HttpRoute, ...] = ()
    key: KeyFrom = BEARER_OR_QUERY
    answers: Answers = TOCSIN_ANSWERS
    # A new integration's `group_by` when it is created without a configuration.
    default_group_by: tuple[str, ...] = ()
