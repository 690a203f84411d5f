"""Each alert keeps the payload that carried it (the request body, as received): stored per
sender, capped, replaced by a repeat, shown escaped on the alert's page and downloadable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tocsin.alerts.models import Alert
from tocsin.alerts.payloads import CUT_MARKER, KEY_MASK, PAYLOAD_CAP
from tocsin.alerts.schemas import IntegrationIn
from tocsin.integrations.base import Severity

from .conftest import World
from .test_console_input import sign_in

SAMPLES = Path(__file__).parent.parent / "integrations" / "samples"
SHARED = Path("/work/shared/samples")


def make(world: World, kind: str) -> str:
    created = world.app.integrations.create(
        world.principals["admin"],
        IntegrationIn(type=kind, name=f"{kind}-test", service="acme-web"),  # type: ignore[arg-type]
    )
    return created.key


def stored(world: World, **params: str) -> list[str | None]:
    """The payloads of the alerts the API lists (newest first)."""
    r = world.client.get("/api/v1/alerts", headers=world.h("admin"), params=params)
    assert r.status_code == 200, r.text
    admin = world.principals["admin"]
    return [world.app.alerts.get(admin, a["id"]).payload for a in r.json()["items"]]


def post(world: World, path: str, body: bytes, key: str) -> dict[str, object]:
    r = world.client.post(path, content=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 202, r.text
    result: dict[str, object] = r.json()
    return result


@pytest.mark.parametrize(
    ("kind", "path", "sample"),
    [
        (
            "alertmanager",
            "/api/v1/ingest/alertmanager",
            SAMPLES / "alertmanager/0010_post_webhook.json",
        ),
        ("grafana", "/api/v1/ingest/grafana", SAMPLES / "grafana/0001_firing_and_resolved.json"),
        ("generic", "/api/v1/ingest/generic", SAMPLES / "generic/0002_list.json"),
        ("suricata", "/api/v1/ingest/suricata", SAMPLES / "suricata/eve_loopback.json"),
    ],
)
def test_each_alert_of_a_request_keeps_its_body_as_received(
    world: World, kind: str, path: str, sample: Path
) -> None:
    body = sample.read_bytes()
    key = make(world, kind)
    post(world, path, body, key)
    payloads = stored(world, integration=f"{kind}-test")
    assert payloads
    assert payloads == [body.decode()] * len(payloads)


def test_opsgenie_payload_as_received(world: World) -> None:
    key = make(world, "opsgenie")
    body = (SHARED / "opsgenie/0002_post_opsgenie_v2_alerts.json").read_bytes()
    r = world.client.post("/v2/alerts", content=body, headers={"Authorization": f"GenieKey {key}"})
    assert r.status_code == 202, r.text
    assert stored(world, integration="opsgenie-test") == [body.decode()]


def test_pagerduty_payload_is_stored_without_its_routing_key(world: World) -> None:
    key = make(world, "pagerduty")
    raw = (SHARED / "pagerduty-events-v2").glob("*.json")
    trigger = next(
        json.loads(p.read_bytes())
        for p in sorted(raw)
        if json.loads(p.read_bytes()).get("event_action") == "trigger"
    )
    trigger["routing_key"] = key
    body = json.dumps(trigger, indent=1).encode()
    r = world.client.post("/v2/enqueue", content=body)
    assert r.status_code == 202, r.text
    (payload,) = stored(world, integration="pagerduty-test")
    assert payload == body.decode().replace(key, KEY_MASK)
    assert key not in (payload or "")


def test_a_body_over_64_kib_is_cut_with_a_marker(world: World) -> None:
    key = str(world.extra["integration_key"])
    body = json.dumps({"summary": "big", "dedup_key": "big", "description": "é" * 50_000})
    post(world, "/api/v1/ingest/generic", body.encode(), key)
    (payload,) = stored(world, dedup_key="big")
    assert payload is not None
    assert payload.endswith(CUT_MARKER)
    kept = payload.removesuffix(CUT_MARKER)
    assert body.startswith(kept)
    assert PAYLOAD_CAP - 4 < len(kept.encode()) <= PAYLOAD_CAP
    assert "\ufffd" not in kept  # never cut inside a character


def test_a_repeat_and_a_resolve_replace_the_payload(world: World) -> None:
    key = str(world.extra["integration_key"])
    first = b'{"summary": "Disk full", "dedup_key": "disk", "details": {"free": 10}}'
    second = b'{"summary": "Disk full", "dedup_key": "disk", "details": {"free": 0}}'
    post(world, "/api/v1/ingest/generic", first, key)
    post(world, "/api/v1/ingest/generic", second, key)
    assert stored(world, dedup_key="disk") == [second.decode()]
    # repeats inside one request (one UPDATE for the run) keep that request's body
    both = (
        b'[{"summary": "Disk full", "dedup_key": "disk", "details": {"n": 1}},'
        b' {"summary": "Disk full", "dedup_key": "disk", "details": {"n": 2}}]'
    )
    post(world, "/api/v1/ingest/generic", both, key)
    assert stored(world, dedup_key="disk") == [both.decode()]
    resolve = b'{"dedup_key": "disk", "status": "resolved"}'
    post(world, "/api/v1/ingest/generic", resolve, key)
    assert stored(world, dedup_key="disk") == [resolve.decode()]


def alert_id(world: World, dedup_key: str) -> int:
    r = world.client.get(
        "/api/v1/alerts", headers=world.h("admin"), params={"dedup_key": dedup_key}
    )
    (item,) = r.json()["items"]
    return int(item["id"])


def test_the_page_shows_the_payload_indented_and_escaped(world: World) -> None:
    key = str(world.extra["integration_key"])
    body = (
        b'{"summary": "<script>alert(1)</script>", "dedup_key": "xss",'
        b' "labels": {"z": "1", "a": "2"}}'
    )
    post(world, "/api/v1/ingest/generic", body, key)
    ident = alert_id(world, "xss")
    sign_in(world, "agent")
    r = world.client.get(f"/alerts/{ident}")
    assert r.status_code == 200, r.text
    assert "Latest payload" in r.text
    assert "<script>alert(1)" not in r.text
    pre = r.text[r.text.index('<pre class="payload"') :]
    pre = pre[: pre.index("</pre>")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pre
    # indented by 2, in the sender's own key order
    assert re.search(
        r"\n  &#34;labels&#34;: \{\n    &#34;z&#34;: &#34;1&#34;,\n    &#34;a&#34;", pre
    )
    assert f'href="/alerts/{ident}/payload"' in r.text


def test_a_payload_that_is_not_json_is_shown_as_text(world: World) -> None:
    key = str(world.extra["integration_key"])
    post(world, "/api/v1/ingest/generic", b'{"summary": "cut", "dedup_key": "cut"}', key)
    ident = alert_id(world, "cut")
    sign_in(world, "agent")
    # a cut payload is no longer JSON: the page shows it as it is
    with world.app.db.unit_of_work() as uow:
        row = uow.session.get(Alert, ident)
        assert row is not None
        row.payload = '{"a": 1' + CUT_MARKER
    r = world.client.get(f"/alerts/{ident}")
    assert "{&#34;a&#34;: 1" + CUT_MARKER in r.text
    download = world.client.get(f"/alerts/{ident}/payload")
    assert download.headers["content-type"] == "text/plain; charset=utf-8"


def test_the_download_is_an_attachment_never_a_page(world: World) -> None:
    key = str(world.extra["integration_key"])
    body = '{"summary": "<b>bold</b> é", "dedup_key": "dl"}'
    post(world, "/api/v1/ingest/generic", body.encode(), key)
    ident = alert_id(world, "dl")
    sign_in(world, "viewer")
    r = world.client.get(f"/alerts/{ident}/payload")
    assert r.status_code == 200, r.text
    assert r.content == body.encode()
    assert r.headers["content-type"] == "application/json"
    assert r.headers["content-disposition"] == f'attachment; filename="alert-{ident}-payload.json"'
    assert r.headers["x-content-type-options"] == "nosniff"


def test_the_download_is_for_staff_of_the_alerts_customer(world: World) -> None:
    key = str(world.extra["integration_key"])
    post(world, "/api/v1/ingest/generic", b'{"summary": "s", "dedup_key": "acme"}', key)
    ident = alert_id(world, "acme")
    sign_in(world, "requester")
    r = world.client.get(f"/alerts/{ident}/payload", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/portal"
    world.client.cookies.clear()
    sign_in(world, "globex_agent")
    assert world.client.get(f"/alerts/{ident}/payload").status_code == 404
    assert world.client.get("/alerts/999999/payload").status_code == 404
    world.client.cookies.clear()
    sign_in(world, "acme_agent")
    assert world.client.get(f"/alerts/{ident}/payload").status_code == 200


def test_the_test_alert_keeps_the_sample_it_built(world: World) -> None:
    admin = world.principals["admin"]
    integration = world.app.integrations.resolve(admin, str(world.extra["integration_id"]))
    outcome = world.app.alerts.send_test(admin, integration, severity=Severity.WARNING)
    assert outcome.alert_id is not None
    payload = world.app.alerts.get(admin, outcome.alert_id).payload
    assert payload is not None
    sample = json.loads(payload)
    assert sample["dedup_key"] == outcome.dedup_key
    assert sample["severity"] == "warning"
    assert sample["source"] == "tocsin-console"
