"""The console's alert stream, one alert's page, and the CSV of the stream."""

from __future__ import annotations

import csv
import io
import re

from .conftest import World
from .test_console_input import sign_in


def send(world: World, **alert: object) -> dict[str, object]:
    """An alert from the world's generic integration (acme-monitoring, service acme-web)."""
    r = world.client.post(
        "/api/v1/ingest/generic",
        headers={"Authorization": f"Bearer {world.extra['integration_key']}"},
        json=alert,
    )
    assert r.status_code == 202, r.text
    result: dict[str, object] = r.json()["results"][0]
    return result


def rows_of(html: str) -> str:
    """The stream's table body (what the live region swaps)."""
    start = html.index('id="alerts-rows"')
    return html[start : html.index("</tbody>", start)]


def csv_rows(body: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_a_requester_is_sent_to_the_portal(world: World) -> None:
    sign_in(world, "requester")
    for path in ("/alerts", "/alerts.csv", "/alerts/1"):
        r = world.client.get(path, follow_redirects=False)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/portal"


def test_the_stream_shows_alerts_newest_first_with_their_incident(world: World) -> None:
    first = send(world, summary="Disk full on db1", severity="critical", dedup_key="disk-db1")
    send(world, summary="CPU high on web2", severity="warning", dedup_key="cpu-web2", source="web2")
    sign_in(world, "viewer")
    r = world.client.get("/alerts")
    assert r.status_code == 200, r.text
    body = rows_of(r.text)
    assert body.index("CPU high on web2") < body.index("Disk full on db1")
    assert f'href="/incidents/{first["incident"]}"' in body
    assert 'data-live="alerts"' in r.text
    assert "acme-monitoring" in body
    # counts per status, as tabs
    assert re.search(r"Triggered <span class=\"count\">2</span>", r.text)
    assert re.search(r"Resolved <span class=\"count\">0</span>", r.text)


def test_filters_narrow_the_stream_and_the_counts(world: World) -> None:
    send(world, summary="Disk full on db1", severity="critical", dedup_key="disk-db1")
    send(world, summary="CPU high on web2", severity="warning", dedup_key="cpu-web2", source="web2")
    send(world, dedup_key="cpu-web2", status="resolved")
    sign_in(world, "agent")

    body = rows_of(world.client.get("/alerts", params={"severity": "critical"}).text)
    assert "Disk full" in body
    assert "CPU high" not in body

    body = rows_of(world.client.get("/alerts", params={"q": "WEB2"}).text)
    assert "CPU high" in body
    assert "Disk full" not in body

    r = world.client.get("/alerts", params={"status": "resolved"})
    body = rows_of(r.text)
    assert "CPU high" in body
    assert "Disk full" not in body
    assert re.search(r"Triggered <span class=\"count\">1</span>", r.text)

    integration = world.extra["integration_id"]
    body = rows_of(world.client.get("/alerts", params={"integration": integration}).text)
    assert "CPU high" in body
    assert "Disk full" in body

    body = rows_of(world.client.get("/alerts", params={"service": "acme-web"}).text)
    assert "CPU high" in body
    body = rows_of(world.client.get("/alerts", params={"service": "globex-erp"}).text)
    assert "No alerts match" in body

    body = rows_of(world.client.get("/alerts", params={"since": "1h"}).text)
    assert "CPU high" in body
    world.app.clock.advance(hours=2)  # type: ignore[attr-defined]
    body = rows_of(world.client.get("/alerts", params={"since": "1h"}).text)
    assert "No alerts match" in body


def test_a_bad_filter_is_a_sentence_not_a_crash(world: World) -> None:
    sign_in(world, "agent")
    for params, phrase in (
        ({"status": "exploded"}, "status must be one of"),
        ({"severity": "mild"}, "severity must be one of"),
        ({"since": "forever"}, "since must be one of"),
        ({"integration": "nope"}, "There is no integration"),
        ({"cursor": "garbage"}, ""),
    ):
        r = world.client.get("/alerts", params=params)
        assert r.status_code in (400, 422), (params, r.text)
        assert phrase in r.text
        assert r.headers["content-type"].startswith("text/html")


def test_the_csv_export_follows_the_filters(world: World) -> None:
    send(world, summary="=cmd|' /C calc'!A0", severity="critical", dedup_key="evil")
    send(world, summary="CPU high on web2", severity="warning", dedup_key="cpu-web2")
    sign_in(world, "viewer")
    r = world.client.get("/alerts.csv", params={"severity": "critical"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert 'filename="alerts.csv"' in r.headers["content-disposition"]
    rows = csv_rows(r.text)
    assert [row["dedup_key"] for row in rows] == ["evil"]
    assert rows[0]["summary"].startswith("'=")  # never a formula in a spreadsheet
    assert rows[0]["incident"].startswith("INC")
    assert len(csv_rows(world.client.get("/alerts.csv").text)) == 2


def test_one_alert_shows_its_fields_incident_and_payload(world: World) -> None:
    result = send(
        world,
        summary="Disk full on db1",
        severity="critical",
        dedup_key="disk-db1",
        source="db1",
        labels={"cluster": "eu-1"},
        details={"free_bytes": 0, "mount": "/var"},
    )
    sign_in(world, "agent")
    page = world.client.get("/alerts")
    alert_id = re.search(r'href="/alerts/(\d+)"', page.text)
    assert alert_id is not None
    r = world.client.get(f"/alerts/{alert_id.group(1)}")
    assert r.status_code == 200, r.text
    assert "Disk full on db1" in r.text
    assert f'href="/incidents/{result["incident"]}"' in r.text
    payload = r.text[r.text.index('<pre class="payload"') :]
    payload = payload[: payload.index("</pre>")]
    assert "&#34;cluster&#34;: &#34;eu-1&#34;" in payload
    assert "&#34;mount&#34;: &#34;/var&#34;" in payload
    assert "\n  " in payload  # pretty-printed


def test_an_unknown_alert_is_a_404_page(world: World) -> None:
    sign_in(world, "agent")
    for ref in ("999999", "abc", str(2**40)):
        r = world.client.get(f"/alerts/{ref}")
        assert r.status_code == 404, ref
        assert r.headers["content-type"].startswith("text/html")


def test_another_customers_alerts_stay_hidden(world: World) -> None:
    send(world, summary="Acme disk full", dedup_key="disk")
    sign_in(world, "globex_agent")
    r = world.client.get("/alerts")
    assert "Acme disk full" not in r.text
    assert world.client.get("/alerts/1").status_code == 404
