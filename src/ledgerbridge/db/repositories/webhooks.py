"""Exact webhooks a company is subscribed to, and the deliveries it received.

``exact_webhook_subscriptions``: one row per company and topic (the division it was
made for, Exact's subscription id, the callback URL). ``exact_webhook_deliveries``:
one row per delivery received; a second delivery of the same event is a duplicate.
The delivery key is a digest of (company, the event's content digest), so one
company's deliveries never collide with another's.

Every method takes the company first, except ``companies_for_division`` (marked
``installation_wide``): a delivery names only Exact's app and division, and that is
how its company is learnt in the first place.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.db.models.upkeep import WebhookDeliveryRow, WebhookSubscriptionRow
from ledgerbridge.db.repositories.connections import installation_wide
from ledgerbridge.domain.connection import ConnectionStatus

#: Webhook topic → the dimension sync resource (``services.dimensions.gather``) it covers.
RESOURCE_OF_TOPIC = {"Accounts": "suppliers", "GLAccounts": "gl_accounts"}


@dataclass(frozen=True)
class WebhookSubscriptionRecord:
    topic: str
    division: int
    subscription_id: str
    callback_url: str
    created_at: datetime
    last_delivery_at: datetime | None


def delivery_key(company_id: uuid.UUID, content_hash: str) -> str:
    """The stored key of a delivery: SHA-256 hex of the company and the content hash."""
    return hashlib.sha256(f"{company_id}:{content_hash}".encode()).hexdigest()


class WebhookRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def subscriptions(self, company_id: uuid.UUID) -> list[WebhookSubscriptionRecord]:
        """The company's subscriptions, by topic."""
        query = (
            select(WebhookSubscriptionRow)
            .where(WebhookSubscriptionRow.company_id == company_id)
            .order_by(WebhookSubscriptionRow.topic)
        )
        return [_record(row) for row in self._session.scalars(query)]

    def save_subscription(
        self,
        company_id: uuid.UUID,
        *,
        topic: str,
        division: int,
        subscription_id: str,
        callback_url: str,
        at: datetime,
    ) -> None:
        """Record (or replace) the company's subscription to ``topic``."""
        values = {
            "company_id": company_id,
            "topic": topic,
            "division": division,
            "subscription_id": subscription_id,
            "callback_url": callback_url,
            "created_at": at,
            "last_delivery_at": None,
        }
        statement = insert(WebhookSubscriptionRow).values(values)
        kept = {"company_id", "topic"}
        updates = {k: statement.excluded[k] for k in values if k not in kept}
        self._session.execute(
            statement.on_conflict_do_update(index_elements=["company_id", "topic"], set_=updates)
        )

    def remove_subscription(self, company_id: uuid.UUID, topic: str) -> bool:
        """Forget the company's subscription to ``topic``; False when there was none."""
        statement = delete(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.company_id == company_id, WebhookSubscriptionRow.topic == topic
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def remove_subscriptions(self, company_id: uuid.UUID) -> int:
        """Forget every subscription of the company; how many went."""
        statement = delete(WebhookSubscriptionRow).where(
            WebhookSubscriptionRow.company_id == company_id
        )
        return int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    def subscribed_resources(self, company_id: uuid.UUID) -> set[str]:
        """The dimension sync resources webhooks keep up to date for the company
        ("suppliers" for Accounts, "gl_accounts" for GLAccounts): polling of these may slow
        down to a safety net."""
        query = select(WebhookSubscriptionRow.topic).where(
            WebhookSubscriptionRow.company_id == company_id
        )
        topics = self._session.scalars(query)
        return {RESOURCE_OF_TOPIC[t] for t in topics if t in RESOURCE_OF_TOPIC}

    def record_delivery(
        self,
        company_id: uuid.UUID,
        content_hash: str,
        topic: str,
        key: str,
        action: str,
        at: datetime,
    ) -> bool:
        """Note a delivery received ``at``; False (nothing written) when this company already
        recorded the same ``content_hash``: a duplicate. Also stamps the subscription's
        ``last_delivery_at``."""
        statement = (
            insert(WebhookDeliveryRow)
            .values(
                content_hash=delivery_key(company_id, content_hash),
                company_id=company_id,
                topic=topic[:64],
                entity_key=key[:64],
                action=action[:16],
                received_at=at,
            )
            .on_conflict_do_nothing(index_elements=["content_hash"])
            .returning(WebhookDeliveryRow.content_hash)
        )
        new = self._session.execute(statement).scalar() is not None
        if new:
            self._session.execute(
                update(WebhookSubscriptionRow)
                .where(
                    WebhookSubscriptionRow.company_id == company_id,
                    WebhookSubscriptionRow.topic == topic,
                )
                .values(last_delivery_at=at)
            )
        return new

    def mark_processed(self, company_id: uuid.UUID, content_hash: str, at: datetime) -> bool:
        """Note that the change a delivery announced is applied; False when unknown."""
        statement = (
            update(WebhookDeliveryRow)
            .where(
                WebhookDeliveryRow.company_id == company_id,
                WebhookDeliveryRow.content_hash == delivery_key(company_id, content_hash),
            )
            .values(processed_at=at)
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def deliveries(self, company_id: uuid.UUID) -> list[WebhookDeliveryRow]:
        """The company's deliveries, oldest first."""
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.company_id == company_id)
            .order_by(WebhookDeliveryRow.received_at, WebhookDeliveryRow.content_hash)
        )
        return list(self._session.scalars(query))

    def forget_deliveries(self, company_id: uuid.UUID, *, before: datetime) -> int:
        """Forget the company's deliveries received before ``before``; how many went."""
        statement = delete(WebhookDeliveryRow).where(
            WebhookDeliveryRow.company_id == company_id, WebhookDeliveryRow.received_at < before
        )
        return int(self._session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]

    @installation_wide
    def companies_for_division(self, client_id: str, division: int) -> list[uuid.UUID]:
        """Companies connected (holding tokens) through Exact app ``client_id`` to ``division``.

        ``client_id`` is compared without braces and case.
        """
        wanted = client_id.strip().strip("{}").lower()
        query = (
            select(ExactConnection.company_id)
            .where(
                func.lower(func.btrim(ExactConnection.client_id, "{}")) == wanted,
                ExactConnection.division == division,
                ExactConnection.status.in_([s.value for s in ConnectionStatus if s.holds_tokens]),
            )
            .order_by(ExactConnection.company_id)
        )
        return list(self._session.scalars(query))


def _record(row: WebhookSubscriptionRow) -> WebhookSubscriptionRecord:
    return WebhookSubscriptionRecord(
        row.topic,
        row.division,
        row.subscription_id,
        row.callback_url,
        row.created_at,
        row.last_delivery_at,
    )
