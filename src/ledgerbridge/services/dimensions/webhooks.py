"""Use case: keep a company subscribed to Exact's webhooks for suppliers and GL accounts.

Webhooks need an address Exact can reach over HTTPS (``public_url``) and the app's
webhook secret; without either there are no subscriptions and polling does it all.
With both, each connected division is subscribed to ``Accounts`` and ``GLAccounts``
(``TOPICS``): after the division is chosen (job ``webhooks.subscribe``) and by the
periodic sweep (``webhooks.sweep``), which also repairs what changed (another
division, another callback URL, webhooks switched off). Each subscription is
recorded in ``exact_webhook_subscriptions``; ``uow.webhooks.subscribed_resources``
then tells the poll scheduler which resources webhooks keep fresh.

A topic Exact refuses (the ``GLAccounts`` topic name is UNCONFIRMED) is logged and
not recorded, so polling stays in charge of it; the next sweep asks again. A
subscription whose answer was lost is looked up before it is made again, so Exact
never holds two of one topic for us. On disconnect the subscriptions are deleted
at Exact when that still works, and always here.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from ledgerbridge.db.repositories.webhooks import WebhookSubscriptionRecord
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import (
    ExactError,
    ExactForbidden,
    ExactNotFound,
    ExactOutcomeUnknown,
    ExactRejected,
)
from ledgerbridge.exact.webhooks import WebhookSubscription
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.errors import ConnectionNotReady
from ledgerbridge.services.ports import (
    Clock,
    ExactGateway,
    JobQueue,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)
TOPICS = ("Accounts", "GLAccounts")
SUBSCRIBE_TASK = "webhooks.subscribe"
CALLBACK_PATH = "/webhooks/exact"
_REFUSED = (ExactRejected, ExactForbidden, ExactNotFound)
# A delivery is remembered this long: Exact's repeats (UNCONFIRMED) come well within it.
DELIVERIES_KEPT = timedelta(days=30)


def callback_url(public_url: str | None, secret: str | None) -> str | None:
    """Where Exact should deliver, or None when webhooks are off (no https address or
    no secret)."""
    if not secret or not public_url or not public_url.lower().startswith("https://"):
        return None
    return public_url.rstrip("/") + CALLBACK_PATH


@dataclass(frozen=True)
class WebhookUpkeep:
    """Subscriptions of every company; ``callback`` None means webhooks are off."""

    uow: UnitOfWorkFactory
    exact: ExactGateway
    jobs: JobQueue
    now: Clock
    callback: str | None

    # -- hooks of the connection lifecycle ----------------------------------------------------

    def after_division(
        self, uow: UnitOfWork, company_id: uuid.UUID, client_id: str, division: int
    ) -> None:
        """Queue the subscription of a newly chosen division once ``uow`` commits."""
        if self.callback is None:
            return
        self.jobs.defer_after_commit(
            uow,
            SUBSCRIBE_TASK,
            lock=division_lock(client_id, division),
            queueing_lock=f"{SUBSCRIBE_TASK}:{company_id}",
            company_id=str(company_id),
        )

    def before_disconnect(self, company_id: uuid.UUID) -> None:
        """Delete the company's subscriptions at Exact while its tokens still work (best
        effort: failures are logged). The rows go with the disconnect itself."""
        with self.uow() as uow:
            held = uow.webhooks.subscriptions(company_id)
        for subscription in held:
            self._delete_at_exact(company_id, subscription)

    # -- keeping subscriptions right ----------------------------------------------------------

    def ensure(self, company_id: uuid.UUID, *, verify: bool = False) -> set[str]:
        """Make the company's subscriptions what the settings and its connection call for;
        the topics subscribed afterwards. Idempotent; no Exact call when all is in place,
        unless ``verify``: then one call lists them at Exact, and one deleted there (in
        the App Center, say) is made again.

        Raises the ``ExactError`` of a failure that is no refusal (Exact down, auth lost);
        what was recorded until then stays.
        """
        with self.uow() as uow:
            found = uow.connections.get(company_id)
            held = uow.webhooks.subscriptions(company_id)
        division = found.division if found is not None and found.status.holds_tokens else None
        wanted = set(TOPICS) if self.callback and division is not None else set()
        stale = [s for s in held if not self._fits(s, wanted, division)]
        for subscription in stale:
            if division is not None:
                self._delete_at_exact(company_id, subscription)
            self._forget(company_id, subscription.topic)
        kept = {s.topic for s in held if s not in stale}
        existing = None
        if verify and kept:
            existing = self.exact.api(company_id).webhook_subscriptions()
            kept -= self._vanished(company_id, held, existing)
        missing = [t for t in TOPICS if t in wanted and t not in kept]
        if missing and division is not None and self.callback is not None:
            kept |= self._subscribe(company_id, division, self.callback, missing, existing)
        return kept

    def _vanished(
        self,
        company_id: uuid.UUID,
        held: list[WebhookSubscriptionRecord],
        existing: list[WebhookSubscription],
    ) -> set[str]:
        """Forget recorded subscriptions Exact no longer has; their topics."""
        ids = {s.id for s in existing}
        gone = {s.topic for s in held if s.subscription_id.lower() not in ids}
        for topic in gone:
            log.warning("company %s: the %s webhook is gone at Exact", company_id, topic)
            self._forget(company_id, topic)
        return gone

    def _fits(
        self, held: WebhookSubscriptionRecord, wanted: set[str], division: int | None
    ) -> bool:
        return (
            held.topic in wanted
            and held.division == division
            and held.callback_url == self.callback
        )

    def _subscribe(
        self,
        company_id: uuid.UUID,
        division: int,
        callback: str,
        topics: list[str],
        existing: list[WebhookSubscription] | None = None,
    ) -> set[str]:
        api = self.exact.api(company_id)
        if existing is None:
            existing = api.webhook_subscriptions()
        made: set[str] = set()
        for topic in topics:
            subscription = _adoptable(existing, topic, callback) or _create(api, topic, callback)
            if subscription is None:
                continue
            with self.uow() as uow:
                uow.webhooks.save_subscription(
                    company_id,
                    topic=topic,
                    division=division,
                    subscription_id=subscription.id,
                    callback_url=callback,
                    at=self.now(),
                )
                uow.commit()
            made.add(topic)
            log.info("company %s: subscribed to Exact webhooks for %s", company_id, topic)
        return made

    def _delete_at_exact(self, company_id: uuid.UUID, held: WebhookSubscriptionRecord) -> None:
        try:
            api = self.exact.api_for_division(company_id, held.division)
            api.delete_webhook_subscription(held.subscription_id)
        except ExactNotFound:  # deleted at Exact already (the App Center, say): nothing to do
            log.info("company %s: the %s webhook was already gone at Exact", company_id, held.topic)
        except (ExactError, ConnectionNotReady) as exc:
            log.warning(
                "company %s: could not delete the %s webhook at Exact (%s); forgotten here",
                company_id,
                held.topic,
                exc,
            )

    def _forget(self, company_id: uuid.UUID, topic: str) -> None:
        with self.uow() as uow:
            uow.webhooks.remove_subscription(company_id, topic)
            uow.commit()

    def sweep(self) -> int:
        """``ensure`` (verified at Exact: one call per subscribed company) for every
        connected company, one failing not stopping the others, and deliveries older than
        ``DELIVERIES_KEPT`` forgotten; how many companies have a subscription afterwards."""
        with self.uow() as uow:
            companies = [c.company_id for c in uow.connections.connected()]
            for company_id in companies:
                uow.webhooks.forget_deliveries(company_id, before=self.now() - DELIVERIES_KEPT)
            uow.commit()
        subscribed = 0
        for company_id in companies:
            try:
                subscribed += bool(self.ensure(company_id, verify=True))
            except (ExactError, ConnectionNotReady) as exc:
                log.warning("company %s: webhook subscriptions not checked: %s", company_id, exc)
        return subscribed


def _adoptable(
    existing: list[WebhookSubscription], topic: str, callback: str
) -> WebhookSubscription | None:
    return next(
        (s for s in existing if s.topic == topic and s.callback_url == callback),
        None,
    )


def _create(api: ExactApi, topic: str, callback: str) -> WebhookSubscription | None:
    """Subscribe; None when Exact refuses the topic (logged: polling keeps it)."""
    try:
        return api.subscribe_webhook(topic, callback)
    except _REFUSED as exc:
        _log_refused(topic, exc)
        return None
    except ExactOutcomeUnknown as exc:
        # Look before trying again: the subscription may exist.
        found = _adoptable(api.webhook_subscriptions(), topic, callback)
        if found is None and exc.rejection is not None:
            _log_refused(topic, exc.rejection)
        elif found is None:
            log.warning("Exact webhook for %s not made (%s); tried again later", topic, exc)
        return found


def _log_refused(topic: str, exc: ExactError) -> None:
    log.warning("Exact refused a webhook for %s (%s); polling keeps it up to date", topic, exc)
