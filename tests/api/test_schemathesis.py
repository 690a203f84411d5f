"""Every operation of the app's own /openapi.json, fuzzed by schemathesis as every role:
never a 5xx.

The document is loaded in process and the requests go straight to the ASGI app (no
server). Each role of the World (admin, manager, agent, viewer; acme's requester, admin,
manager and agent; an anonymous caller) calls every API operation against the World's
data (plus an incident and an alert of acme's), with examples drawn both from free values and with
the paths of real objects (that incident, a user, a team...), in schemathesis's positive
mode (valid by the schema) and, where a request can be made invalid, its negative mode.
The senders' routes (`web/ingest.py`) are in the document too and are called with their
integration's key; a user's role means nothing to them, so they run once, in the
anonymous caller's turn. Runs on SQLite and on PostgreSQL, like every API test.

Deterministic (hypothesis derandomized, no example database) and bounded: 4 examples per
operation, mode and role, well under a minute per database on a 2-core machine. For a
deeper run, set TOCSIN_SCHEMATHESIS_EXAMPLES (`-s` shows how many requests each role
made), e.g.

    TOCSIN_SCHEMATHESIS_EXAMPLES=500 pytest -s tests/api/test_schemathesis.py -k sqlite

and TOCSIN_SCHEMATHESIS_SEED=<integer> to draw other examples than the derandomized ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient

from .conftest import PEOPLE, World

EXAMPLES = int(os.environ.get("TOCSIN_SCHEMATHESIS_EXAMPLES", "4"))
SEED = os.environ.get("TOCSIN_SCHEMATHESIS_SEED")
ROLES = [
    "admin",
    "manager",
    "agent",
    "viewer",
    "requester",
    "acme_admin",
    "acme_manager",
    "acme_agent",
    "anonymous",
]
SENDERS = ("/v2/", "/api/v1/ingest/")
BASE_URL = "http://testserver"

# Objects of the World that a path can name, by the path's first segments and the
# parameter's name: with these, requests reach past "not found" into the services.
REAL_PATHS: dict[tuple[str, str], str] = {
    ("/api/v1/incidents/", "ref"): "INC0001001",
    ("/api/v1/users/", "ref"): "alice@acme.test",
    ("/api/v1/integrations/", "ref"): "acme-monitoring",
    ("/api/v1/customers/", "slug"): "acme",
    ("/api/v1/teams/", "slug"): "ops",
    ("/api/v1/services/", "slug"): "acme-web",
    ("/api/v1/maintenance-windows/", "window_id"): "1",
}


@dataclass
class Operations:
    """The app's operations and their strategies, built once for every test of the file."""

    schema: Any
    strategies: dict[str, Any] = field(default_factory=dict)

    def strategy(self, operation: Any, mode: GenerationMode) -> Any:
        label = f"{operation.label} {mode.value}"
        if label not in self.strategies:
            free = operation.as_strategy(generation_mode=mode)
            real = _real_path(operation)
            self.strategies[label] = (
                st.one_of(free, operation.as_strategy(generation_mode=mode, path_parameters=real))
                if real
                else free
            )
        return self.strategies[label]


_OPERATIONS: list[Operations] = []


def _operations(world: World) -> Operations:
    if not _OPERATIONS:
        document = world.client.get("/openapi.json").json()
        _OPERATIONS.append(Operations(schemathesis.openapi.from_dict(document)))
    return _OPERATIONS[0]


def _real_path(operation: Any) -> dict[str, str]:
    names = [p.name for p in operation.path_parameters]
    real = {
        name: value
        for (prefix, name), value in REAL_PATHS.items()
        if name in names and operation.path.startswith(prefix)
    }
    return real if len(real) == len(names) or "action" in names else {}


def _negatable(operation: Any) -> bool:
    """Whether schemathesis can make a request of this operation invalid: a body with a
    schema, or a parameter that is not free text (a path or query string is always a
    string; an empty schema accepts anything)."""
    raw = operation.definition.raw
    for parameter in raw.get("parameters", []):
        schema = parameter.get("schema", {})
        kinds = [schema, *schema.get("anyOf", [])]
        if any(k.get("type") not in (None, "string", "null") or "enum" in k for k in kinds):
            return True
        if any("format" in k or "maxLength" in k for k in kinds):
            return True
    content = raw.get("requestBody", {}).get("content", {})
    return any(media.get("schema") for media in content.values())


def _sender_keys(world: World) -> dict[str, dict[str, str]]:
    """Headers that authenticate each sender's route: an integration of each type."""
    keys = {"generic": str(world.extra["integration_key"])}
    for kind in ("alertmanager", "grafana", "suricata", "opsgenie", "pagerduty"):
        r = world.client.post(
            "/api/v1/integrations",
            headers=world.h("admin"),
            json={"type": kind, "name": f"fuzz-{kind}", "customer": "acme"},
        )
        assert r.status_code == 201, r.text
        keys[kind] = r.json()["key"]
    return {
        "/v2/enqueue": {},  # the routing key travels in the body
        "/v2/alerts": {"Authorization": f"GenieKey {keys['opsgenie']}"},
        "/v2/alerts/{identifier}/{action}": {"Authorization": f"GenieKey {keys['opsgenie']}"},
        **{
            f"/api/v1/ingest/{kind}": {"Authorization": f"Bearer {keys[kind]}"}
            for kind in ("alertmanager", "grafana", "generic", "suricata")
        },
    }


def _furnish(world: World) -> None:
    """An incident of acme's (INC0001001, the one REAL_PATHS names) and an alert."""
    r = world.client.post(
        "/api/v1/incidents", headers=world.h("requester"), json={"title": "Printer on fire"}
    )
    assert r.status_code == 201, r.text
    assert r.json()["number"] == REAL_PATHS[("/api/v1/incidents/", "ref")]
    r = world.client.post(
        "/api/v1/ingest/generic",
        headers={"Authorization": f"Bearer {world.extra['integration_key']}"},
        json={"summary": "disk full", "dedup_key": "disk"},
    )
    assert r.status_code == 202, r.text


def _run(strategy: Any, call: Callable[[Any], None]) -> None:
    options = settings(
        max_examples=EXAMPLES,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    test = options(given(case=strategy)(call))
    if SEED is not None:
        test = seed(int(SEED))(test)
    test()


def _caller(session: ASGIClient, headers: dict[str, str], count: list[int]) -> Any:
    """What each example does: call the app as `headers` say, check for a 5xx."""

    def call(case: Any) -> None:
        count.append(1)
        response = case.call(session=session, base_url=BASE_URL, headers=headers)
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    return call


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_server_error(world: World, role: str) -> None:
    assert set(ROLES) - {"anonymous"} <= set(PEOPLE)
    _furnish(world)
    senders = _sender_keys(world) if role == "anonymous" else {}
    user: Mapping[str, str] = {} if role == "anonymous" else world.h(role)
    operations = _operations(world)
    session = ASGIClient(world.client.app)  # requests straight to the ASGI app
    failures: list[str] = []
    count: list[int] = []
    for result in operations.schema.get_all_operations():
        operation = result.ok()
        sender = operation.path.startswith(SENDERS)
        if sender and role != "anonymous":
            continue
        call = _caller(session, dict(senders.get(operation.path, {}) if sender else user), count)
        modes = [GenerationMode.POSITIVE]
        if _negatable(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            try:
                _run(operations.strategy(operation, mode), call)
            except Unsatisfiable:
                continue
            except Exception as exc:  # a failed check: collect them all, report at the end
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    print(f"{role}: {len(count)} requests")  # shown with -s, for deeper runs
    assert len(count) > 100, f"only {len(count)} requests were made: the walk is broken"
    assert not failures, f"{len(failures)} operation(s) answered 5xx:\n\n" + "\n\n".join(failures)
