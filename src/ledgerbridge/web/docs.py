"""The API docs at /docs, served with no CDN: Swagger UI's files come from a package.

FastAPI's own docs page loads Swagger UI from a CDN; offline (a laptop on a plane,
a locked-down network) that page stays blank. The ``swagger-ui-py`` wheel ships
swagger-ui-dist's files (Swagger UI 5, which renders OpenAPI 3.1); we serve only
its static folder and import none of its code. ReDoc is not offered: it would need
its own bundle from a CDN.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's built files inside the installed ``swagger_ui`` package."""
    spec = importlib.util.find_spec("swagger_ui")  # locates it without running its code
    if spec is None or spec.origin is None:
        raise RuntimeError("the swagger-ui-py package is not installed")
    folder = Path(spec.origin).parent / "static"
    if not (folder / "swagger-ui-bundle.js").is_file():
        raise RuntimeError(f"no swagger-ui-bundle.js in {folder}")
    return folder


def install(app: FastAPI) -> None:
    """Serve /docs and its assets from this process (create the app with ``docs_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} – API docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon-32x32.png",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            # Swagger UI would otherwise send the spec to validator.swagger.io for a badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
