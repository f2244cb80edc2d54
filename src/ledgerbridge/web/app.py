"""The FastAPI application: JSON API under /api/v1, OpenAPI at /docs, HTML pages
(``web.pages``) at ``/``, their static files at ``/static``.

The Exact sandbox, when served in the same process (``ledgerbridge run``), is
mounted at ``/sandbox`` as its own ASGI app: it shares nothing with ours but the
port, exactly as if it were Exact on another host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ledgerbridge import __version__
from ledgerbridge.bootstrap import Container
from ledgerbridge.metrics import Metrics
from ledgerbridge.web import docs, errors, health, observe
from ledgerbridge.web.api import routers
from ledgerbridge.web.body_limit import RequestSizeLimit
from ledgerbridge.web.pages import router as pages_router
from ledgerbridge.web.pages.common import STATIC_DIR, SignInFirst
from ledgerbridge.web.pages.guard import AdminOnly, admin_only_page

SANDBOX_PREFIX = "/sandbox"


def create_app(container: Container, *, mounts: Mapping[str, ASGIApp] | None = None) -> FastAPI:
    """An app bound to ``container`` (reachable in routes as ``request.app.state.container``).

    ``mounts`` adds other ASGI apps under a path prefix (the sandbox at ``/sandbox``).
    """
    app = FastAPI(title="LedgerBridge", version=__version__, docs_url=None, redoc_url=None)
    app.state.container = container
    app.state.metrics = Metrics(
        container.uow, container.now, token=container.settings.metrics_token
    )
    errors.install(app)
    docs.install(app)
    app.add_middleware(RequestSizeLimit, max_bytes=container.settings.request_max_bytes)
    app.add_middleware(observe.RequestId)  # outermost of ours: a 413 carries the id too
    app.include_router(observe.router)
    for router in routers():
        app.include_router(router)
    # HTML pages on the same session; unauthenticated page requests go to /login.
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(SignInFirst)
    async def sign_in_first(request: Request, error: SignInFirst) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)

    app.add_exception_handler(AdminOnly, admin_only_page)

    app.include_router(health.router)  # /health, /ready: no sign-in
    for prefix, mounted in (mounts or {}).items():
        app.mount(prefix, mounted)
    _document_our_422(app)
    return app


def _document_our_422(app: FastAPI) -> None:
    """Say in the schema what a 422 really carries: FastAPI's own answers list
    validation errors in ``detail``, ours give a sentence there (and, for a
    rejected batch or CSV, ``errors`` per item or line)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        found = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
        if found is not None:
            listed = found["properties"]["detail"]
            found["properties"]["detail"] = {
                "anyOf": [{"type": "string"}, {k: v for k, v in listed.items() if k != "title"}],
                "title": "Detail",
            }
            found["properties"]["errors"] = {"type": "array", "items": {"type": "object"}}
            found["properties"]["total_errors"] = {"type": "integer"}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
