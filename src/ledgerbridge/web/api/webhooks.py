"""``POST /webhooks/exact``: Exact Online's webhook deliveries (EXACT_API.md §6).

No session, API key or CSRF token: Exact proves itself with the HashCode (HMAC of
the body's Content with the app's webhook secret). A body that is not signed so
is refused with 401 and changes nothing. A delivery for a division no company here
is connected to is acknowledged (200) and ignored, so Exact does not keep sending
it. The route only records and queues (``receive_delivery``); a job does the work.
The app-wide request size limit applies.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ledgerbridge.bootstrap import Container
from ledgerbridge.exact.webhooks import WebhookRefused
from ledgerbridge.services.dimensions.webhook_changes import receive_delivery
from ledgerbridge.services.dimensions.webhooks import CALLBACK_PATH
from ledgerbridge.web.deps import container

router = APIRouter(tags=["webhooks"])
log = logging.getLogger(__name__)


@router.post(
    CALLBACK_PATH,
    responses={401: {"description": "Not signed with this app's webhook secret."}},
)
async def exact_webhook(request: Request, app: Container = Depends(container)) -> Any:
    """Take in one Exact webhook delivery: ``{"status": "queued" | "duplicate" | "ignored"}``."""
    body = await request.body()
    try:
        receipt = await run_in_threadpool(
            receive_delivery,
            app.uow,
            app.queue,
            app.now,
            app.settings.exact_webhook_secret,
            body,
        )
    except WebhookRefused as refused:
        log.warning("refused a webhook delivery: %s", refused)
        return JSONResponse({"detail": f"refused: {refused}"}, status_code=401)
    return {"status": receipt.outcome.value}
