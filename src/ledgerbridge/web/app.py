"""The FastAPI application: JSON API under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from ledgerbridge import __version__
from ledgerbridge.bootstrap import Container
from ledgerbridge.web.api import routers


def create_app(container: Container) -> FastAPI:
    """An app bound to ``container`` (reachable in routes as ``request.app.state.container``)."""
    app = FastAPI(title="LedgerBridge", version=__version__)
    app.state.container = container
    for router in routers():
        app.include_router(router)

    @app.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
