"""/docs: the API's Swagger UI, served by Tocsin itself from the assets the fastapi-offline
package ships (Swagger UI 5, which reads OpenAPI 3.1): it works on a host without internet
access and tells no CDN who reads the docs."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from tocsin.web.access import PUBLIC

ASSETS = Path(str(files("fastapi_offline") / "static"))
PREFIX = "/docs/assets"


def install(app: FastAPI, *, openapi_url: str) -> None:
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False, dependencies=[PUBLIC])
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )
