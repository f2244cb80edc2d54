"""Webhook deliveries as Exact sends them (EXACT_API.md §6).

When a record of a subscribed topic changes (insert, update — by PUT or by the
control API — or delete), ``WebhookOutbox`` queues one delivery for every
subscription of that division and topic:
``{"Content":{"Topic","ClientId","Division","Action","Key","ExactOnlineEndpoint",
"EventCreatedOn"},"HashCode":"<HEX>"}``, where HashCode is the uppercase hex
HMAC-SHA256 of the Content's JSON text keyed with the subscribing app's
``webhook_secret``. ``EventCreatedOn`` is the sandbox clock at the change.

Nothing is sent by itself: ``deliver(sender)`` posts what is pending (tests and
benchmarks call it through ``SandboxControl.deliver_webhooks`` or
``POST /_sandbox/webhooks/deliver``), and ``delivery_loop`` does so every few
seconds in a served sandbox. Exact's retries and duplicates are UNCONFIRMED:
with ``settings.webhook_deliver_twice`` (on, the harder answer) every event is
posted twice. A failed post (transport error or non-2xx) is logged in ``sent``
and not retried.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

log = logging.getLogger(__name__)
SUBSCRIPTIONS = "webhooks/WebhookSubscriptions"
#: Store table → the topic its changes are delivered under.
TOPIC_OF_TABLE = {"crm/Accounts": "Accounts", "financial/GLAccounts": "GLAccounts"}
#: ``sender(url, body)`` posts one delivery and returns the HTTP status.
Sender = Callable[[str, bytes], int]
DEFAULT_SITE = "https://start.exactonline.nl"


def sign(content: bytes, secret: str) -> str:
    """Exact's HashCode: uppercase hex HMAC-SHA256 of the Content text."""
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()


@dataclass(frozen=True)
class Delivery:
    """One queued webhook call: where, what (the exact bytes) and when the change happened."""

    url: str
    body: bytes
    topic: str
    action: str
    key: str
    division: int
    event_at: datetime


@dataclass(frozen=True)
class Sent:
    delivery: Delivery
    status: int | None  # None: the post failed before an answer
    error: str | None = None


def http_sender(url: str, body: bytes) -> int:
    """POST ``body`` as JSON to ``url`` (the default sender)."""
    import httpx

    answer = httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=10)
    return answer.status_code


class WebhookOutbox:
    """Pending deliveries of one sandbox; listens to its store (see module docstring)."""

    def __init__(self, sandbox: Sandbox, sender: Sender | None = None) -> None:
        self.sandbox = sandbox
        self.sender: Sender = sender or http_sender
        self.pending: list[Delivery] = []
        self.sent: list[Sent] = []
        # The REST address the ExactOnlineEndpoint URLs start with: the site of the
        # last API call seen (the sandbox learns where it is served from its callers).
        self.site = DEFAULT_SITE
        self.interval = 3.0  # seconds between posts when served (``delivery_loop``)
        self._lock = threading.Lock()
        sandbox.store.listeners.append(self.on_change)

    def on_change(self, action: str, division: int, table: str, row: dict[str, Any]) -> None:
        topic = TOPIC_OF_TABLE.get(table)
        if topic is None:
            return
        store = self.sandbox.store
        subscriptions = [s for s in store.rows(division, SUBSCRIPTIONS) if s.get("Topic") == topic]
        if not subscriptions:
            return
        key = str(store.key_of(table, row))
        at = self.sandbox.clock.now()
        for subscription in subscriptions:
            delivery = self._delivery(subscription, topic, action, division, table, key, at)
            if delivery is not None:
                with self._lock:
                    self.pending.append(delivery)

    def _delivery(
        self,
        subscription: dict[str, Any],
        topic: str,
        action: str,
        division: int,
        table: str,
        key: str,
        at: datetime,
    ) -> Delivery | None:
        client_id = str(subscription.get("ClientID") or "")
        app = self.sandbox.apps.get(client_id)
        if app is None:
            return None
        content = {
            "Topic": topic,
            "ClientId": client_id,
            "Division": division,
            "Action": action,
            "Key": key,
            "ExactOnlineEndpoint": f"{self.site}/api/v1/{division}/{table}(guid'{key}')",
            # Exact's own format is UNCONFIRMED; no offset here (the clock is UTC).
            "EventCreatedOn": at.replace(tzinfo=None).isoformat(timespec="milliseconds"),
        }
        text = json.dumps(content, separators=(",", ":")).encode()
        hash_code = sign(text, app.webhook_secret)
        body = b'{"Content":' + text + b',"HashCode":"' + hash_code.encode() + b'"}'
        url = str(subscription["CallbackURL"])
        return Delivery(url, body, topic, action, key, division, at)

    def deliver(self, sender: Sender | None = None) -> list[Sent]:
        """Post every pending delivery (twice with ``webhook_deliver_twice``); what was sent."""
        with self._lock:
            batch, self.pending = self.pending, []
        send = sender or self.sender
        times = 2 if self.sandbox.settings.webhook_deliver_twice else 1
        done = []
        for delivery in batch:
            for _ in range(times):
                done.append(_post(send, delivery))
        self.sent.extend(done)
        return done

    def clear(self) -> None:
        with self._lock:
            self.pending.clear()
        self.sent.clear()


def _post(send: Sender, delivery: Delivery) -> Sent:
    try:
        status = send(delivery.url, delivery.body)
    except Exception as exc:  # a callback that cannot be reached is Exact's problem only
        log.warning("webhook to %s failed: %s", delivery.url, exc)
        return Sent(delivery, None, f"{type(exc).__name__}: {exc}")
    if not 200 <= status < 300:
        log.warning("webhook to %s answered %s", delivery.url, status)
    return Sent(delivery, status)


@contextlib.contextmanager
def delivery_loop(outbox: WebhookOutbox, interval: float = 3.0) -> Iterator[None]:
    """Deliver pending webhooks every ``interval`` seconds in a daemon thread while open."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                outbox.deliver()
            except Exception:
                log.exception("webhook delivery failed")

    thread = threading.Thread(target=run, name="exact-sandbox-webhooks", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 1)


def start_delivery_loop(outbox: WebhookOutbox, interval: float = 3.0) -> Callable[[], None]:
    """``delivery_loop`` for a process that runs until it ends: returns the stop function."""
    loop = delivery_loop(outbox, interval)
    loop.__enter__()

    def stop() -> None:
        loop.__exit__(None, None, None)

    return stop
