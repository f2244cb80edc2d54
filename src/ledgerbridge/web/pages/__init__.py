"""Server-rendered HTML pages (Jinja2 + vendored htmx) on the same session as the API.

``router`` collects the page modules; ``web.app`` includes it next to the API routers.
"""

from __future__ import annotations

from fastapi import APIRouter

from ledgerbridge.web.pages import (
    account,
    audit,
    dimensions,
    export_settings,
    exports,
    integrations,
    invitation,
    prep,
    rules,
    team,
    transactions,
    workers,
)

router = APIRouter(include_in_schema=False)
for _module in (
    account,
    prep,
    rules,
    exports,
    transactions,
    integrations,
    dimensions,
    export_settings,
    team,
    invitation,
    audit,
    workers,
):
    router.include_router(_module.router)
