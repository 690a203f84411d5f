"""The API documentation renders in a real browser from Tocsin alone: no request leaves
for a CDN (a host without internet access gets working docs)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_from_tocsins_own_assets(page: Page, server: str) -> None:
    requested: list[str] = []

    def seen(request: Request) -> None:
        requested.append(request.url)

    page.on("request", seen)
    page.goto("/docs")
    # The first /openapi.json is generated on request and the Swagger bundle parsed: well
    # under a second alone, but past expect's 5 s once under the whole suite's load.
    expect(page.locator(".swagger-ui .title")).to_contain_text("Tocsin", timeout=30_000)
    expect(page.get_by_text("/api/v1/incidents/{ref}/actions/{action}").first).to_be_visible()
    assert requested
    assert all(url.startswith(server) for url in requested), [
        url for url in requested if not url.startswith(server)
    ]
