"""Exact webhook jobs: apply one delivered change, subscribe a division, the hourly sweep.

``webhooks.apply_change`` and ``webhooks.subscribe`` run under the division's lock
(``division_lock``, given when they are deferred), so they never overlap a sync or
an export of that administration. Every handler is safe to run again: a change is
fetched afresh and applied in one transaction; subscribing looks up what exists.
"""

from __future__ import annotations

import logging
import uuid

from procrastinate import JobContext

from ledgerbridge.exact.errors import ExactError
from ledgerbridge.jobs.app import JobApp, container_of
from ledgerbridge.services.dimensions.webhook_changes import APPLY_TASK, apply_change
from ledgerbridge.services.dimensions.webhooks import SUBSCRIBE_TASK
from ledgerbridge.services.errors import ConnectionNotReady

log = logging.getLogger(__name__)
# Hourly: repairs subscriptions (new settings, a refused topic asked again) at no
# Exact call when everything is in place.
SWEEP = "29 * * * *"


def register(app: JobApp) -> None:
    @app.task(name=APPLY_TASK, pass_context=True)
    def apply_change_task(
        context: JobContext,
        company_id: str,
        topic: str,
        key: str,
        action: str,
        content_hash: str | None = None,
    ) -> None:
        """Fetch the one record a webhook named and apply it to the dimensions.

        Idempotent: the record's current state is applied; unchanged, it changes nothing.
        """
        c = container_of(context)
        try:
            done = apply_change(
                c.uow,
                c.gateway,
                c.now,
                uuid.UUID(company_id),
                topic=topic,
                key=key,
                action=action,
                content_hash=content_hash,
            )
        except ConnectionNotReady as exc:
            log.info("webhook change skipped for company %s: %s", company_id, exc)
            return
        log.info(
            "webhook %s %s for company %s: %s (%d calls)",
            action,
            topic,
            company_id,
            "; ".join(done.lines[:5]),
            done.api_calls,
        )

    @app.task(name=SUBSCRIBE_TASK, pass_context=True)
    def subscribe(context: JobContext, company_id: str) -> None:
        """Subscribe the company's division to Exact's webhooks (idempotent)."""
        c = container_of(context)
        try:
            topics = c.webhooks.ensure(uuid.UUID(company_id))
        except (ConnectionNotReady, ExactError) as exc:
            log.warning("company %s: webhooks not subscribed now: %s", company_id, exc)
            return
        log.info("company %s: Exact webhooks for %s", company_id, sorted(topics) or "nothing")

    @app.periodic(cron=SWEEP)
    @app.task(name="webhooks.sweep", pass_context=True, queueing_lock="webhooks.sweep")
    def sweep(context: JobContext, timestamp: int) -> None:
        """Check every connected company's subscriptions (idempotent)."""
        c = container_of(context)
        log.info("webhook sweep: %d companies subscribed", c.webhooks.sweep())
