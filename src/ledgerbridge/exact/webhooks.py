"""Exact Online webhooks: verify a delivery, read its Content; subscription records.

A delivery is ``{"Content": {...}, "HashCode": "<hex>"}`` (EXACT_API.md §6). Exact
signs the raw JSON *text* of ``Content`` (HMAC-SHA256 with the app's webhook
secret), so the text is cut from the body exactly as received — between
``{"Content":`` and ``,"HashCode"`` — never re-serialised. The HashCode is compared
in constant time, hex case ignored. Only the key of the changed record comes
along; the record itself must be fetched (one call).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from ledgerbridge.exact.odata import parse_guid, parse_int, parse_text, required

Action = Literal["Create", "Update", "Delete"]
ACTIONS: tuple[Action, ...] = ("Create", "Update", "Delete")
_START = b'{"Content":'
_END = b',"HashCode"'


class WebhookRefused(ValueError):
    """A delivery that is not Exact's: unsigned, wrongly signed or unreadable."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One verified delivery. ``content_digest``: SHA-256 hex of the Content text
    (the same event delivered twice has the same digest)."""

    topic: str
    client_id: str
    division: int
    action: Action
    key: str
    endpoint: str | None
    created_on: datetime | None
    content_digest: str


def sign(content: bytes, secret: str) -> str:
    """The HashCode Exact sends for ``content``: uppercase hex HMAC-SHA256."""
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()


def content_text(body: bytes) -> bytes:
    """The raw Content JSON text of a delivery body; ``WebhookRefused`` when absent."""
    start = body.find(_START)
    end = body.rfind(_END)
    if start < 0 or end < start + len(_START):
        raise WebhookRefused("not an Exact webhook delivery (no Content and HashCode)")
    return body[start + len(_START) : end]


def verify_delivery(body: bytes, secret: str | None) -> WebhookEvent:
    """The event of a genuine delivery; ``WebhookRefused`` for anything else.

    Pure: no I/O. Without a ``secret`` nothing can be verified, so everything is refused.
    """
    if not secret:
        raise WebhookRefused("no webhook secret is configured")
    content = content_text(body)
    try:
        whole = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise WebhookRefused("the delivery is not JSON") from None
    sent = whole.get("HashCode") if isinstance(whole, dict) else None
    if not isinstance(sent, str) or not sent:
        raise WebhookRefused("the delivery carries no HashCode")
    if not hmac.compare_digest(sign(content, secret), sent.strip().upper()):
        raise WebhookRefused("the HashCode does not match the Content")
    return _event(whole.get("Content"), hashlib.sha256(content).hexdigest())


def _event(found: Any, digest: str) -> WebhookEvent:
    if not isinstance(found, dict):
        raise WebhookRefused("the Content is not an object")
    action = parse_text(found.get("Action"))
    key = parse_guid(found.get("Key"))
    division = parse_int(found.get("Division"))
    topic = parse_text(found.get("Topic"))
    if action not in ACTIONS or key is None or division is None or not topic:
        raise WebhookRefused("the Content lacks a topic, division, action or key")
    return WebhookEvent(
        topic=topic,
        client_id=(parse_text(found.get("ClientId")) or "").strip("{}").lower(),
        division=division,
        action=action,
        key=key,
        endpoint=parse_text(found.get("ExactOnlineEndpoint")),
        created_on=_instant(found.get("EventCreatedOn")),
        content_digest=digest,
    )


def _instant(value: object) -> datetime | None:
    """EventCreatedOn (format UNCONFIRMED): ISO text, read as UTC when it has no offset."""
    text = parse_text(value)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """A subscription at Exact (``webhooks/WebhookSubscriptions``)."""

    SELECT: ClassVar[str] = "ID,CallbackURL,Topic,Description"
    id: str
    topic: str
    callback_url: str

    @classmethod
    def from_odata(cls, row: dict[str, Any]) -> WebhookSubscription:
        ident = required(row, "WebhookSubscription", "ID", parse_guid(row.get("ID")))
        return cls(
            id=ident,
            topic=parse_text(row.get("Topic")) or "",
            callback_url=parse_text(row.get("CallbackURL")) or "",
        )
