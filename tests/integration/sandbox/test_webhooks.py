"""The sandbox delivers webhooks as Exact does (EXACT_API.md §6), when told to."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

from exact_sandbox.control import SandboxControl
from exact_sandbox.seed import DEMO_CLIENT_ID, DEMO_DIVISION, DEMO_WEBHOOK_SECRET, SECOND_DIVISION

from .sandbox_api import Api, make_sandbox

CALLBACK = "https://ledgerbridge.example/webhooks/exact"


class Inbox:
    """A callback that keeps every post (the injectable sender)."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[tuple[str, bytes]] = []
        self.status = status

    def __call__(self, url: str, body: bytes) -> int:
        self.posts.append((url, body))
        return self.status


def subscribe(api: Api, topic: str, division: int = DEMO_DIVISION) -> str:
    answer = api.client.post(
        api.url("webhooks/WebhookSubscriptions", division),
        json={"CallbackURL": CALLBACK, "Topic": topic},
        headers=api.headers,
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["d"]["ID"])


def supplier_of(api: Api) -> dict[str, object]:
    rows = api.sandbox.store.rows(DEMO_DIVISION, "crm/Accounts")
    return next(r for r in rows if r.get("IsSupplier"))


def test_a_change_to_a_subscribed_topic_is_delivered_signed_with_the_apps_secret() -> None:
    sandbox = make_sandbox(webhook_deliver_twice=False)
    api = Api(sandbox)
    subscribe(api, "Accounts")
    supplier = supplier_of(api)
    sandbox.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    changed_at = sandbox.clock.now()
    key = f"crm/Accounts(guid'{supplier['ID']}')"
    put = api.client.put(api.url(key), json={"Name": "Renamed B.V."}, headers=api.headers)
    assert put.status_code == 204
    inbox = Inbox()
    sandbox.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]

    [sent] = SandboxControl(sandbox).deliver_webhooks(inbox)

    [(url, body)] = inbox.posts
    assert url == CALLBACK and sent.status == 200
    content = body[len(b'{"Content":') : body.rindex(b',"HashCode"')]
    expected = hmac.new(DEMO_WEBHOOK_SECRET.encode(), content, hashlib.sha256).hexdigest()
    assert json.loads(body)["HashCode"] == expected.upper()
    assert json.loads(content) == {
        "Topic": "Accounts",
        "ClientId": DEMO_CLIENT_ID,
        "Division": DEMO_DIVISION,
        "Action": "Update",
        "Key": supplier["ID"],
        "ExactOnlineEndpoint": f"https://start.exactonline.nl/api/v1/{DEMO_DIVISION}/{key}",
        "EventCreatedOn": changed_at.replace(tzinfo=None).isoformat(timespec="milliseconds"),
    }
    assert sent.delivery.event_at == changed_at  # the change's instant, not the delivery's
    assert SandboxControl(sandbox).deliver_webhooks(inbox) == []  # nothing left pending


def test_each_event_is_delivered_twice_by_default_as_exacts_retries_are_unconfirmed() -> None:
    sandbox = make_sandbox()
    assert sandbox.settings.webhook_deliver_twice
    api = Api(sandbox)
    subscribe(api, "GLAccounts")
    sandbox.block_gl_account(DEMO_DIVISION, "4200")
    inbox = Inbox()
    SandboxControl(sandbox).deliver_webhooks(inbox)
    assert len(inbox.posts) == 2 and inbox.posts[0] == inbox.posts[1]
    assert json.loads(inbox.posts[0][1])["Content"]["Topic"] == "GLAccounts"


def test_inserts_and_deletes_are_delivered_only_to_subscriptions_of_that_division_and_topic() -> (
    None
):
    sandbox = make_sandbox(webhook_deliver_twice=False)
    api = Api(sandbox)
    subscribe(api, "Accounts")
    subscribe(api, "Accounts", SECOND_DIVISION)
    created = api.post("crm/Accounts", {"Name": "New Supplier", "IsSupplier": True}).json()["d"]
    sandbox.block_gl_account(DEMO_DIVISION, "4200")  # no GLAccounts subscription: nothing
    sandbox.store.delete(DEMO_DIVISION, "crm/Accounts", created["ID"])
    inbox = Inbox()
    SandboxControl(sandbox).deliver_webhooks(inbox)
    contents = [json.loads(body)["Content"] for _, body in inbox.posts]
    assert [(c["Action"], c["Division"], c["Key"]) for c in contents] == [
        ("Create", DEMO_DIVISION, created["ID"]),
        ("Delete", DEMO_DIVISION, created["ID"]),
    ]


def test_a_refused_gl_accounts_topic_can_be_simulated_since_its_name_is_unconfirmed() -> None:
    sandbox = make_sandbox(webhook_gl_accounts_topic=False)
    api = Api(sandbox)
    answer = api.client.post(
        api.url("webhooks/WebhookSubscriptions"),
        json={"CallbackURL": CALLBACK, "Topic": "GLAccounts"},
        headers=api.headers,
    )
    assert answer.status_code == 500
    assert "error" in answer.json()


def test_pending_deliveries_are_listed_and_sent_over_the_control_api() -> None:
    sandbox = make_sandbox(webhook_deliver_twice=False)
    api = Api(sandbox)
    subscribe(api, "GLAccounts")
    inbox = Inbox(status=503)
    sandbox.webhooks.sender = inbox
    secret = api.client.post(
        f"/_sandbox/apps/{DEMO_CLIENT_ID}/webhook-secret", json={"secret": "rotated"}
    )
    assert secret.status_code == 200
    api.client.post(f"/_sandbox/divisions/{DEMO_DIVISION}/gl-accounts/4200", json={})

    pending = api.client.get("/_sandbox/webhooks").json()
    delivered = api.client.post("/_sandbox/webhooks/deliver").json()["delivered"]

    assert [(p["topic"], p["action"], p["url"]) for p in pending] == [
        ("GLAccounts", "Update", CALLBACK)
    ]
    assert [d["status"] for d in delivered] == [503]  # a failed post is not retried
    body = inbox.posts[0][1]
    content = body[len(b'{"Content":') : body.rindex(b',"HashCode"')]
    signed = hmac.new(b"rotated", content, hashlib.sha256).hexdigest().upper()
    assert json.loads(body)["HashCode"] == signed
    assert api.client.get("/_sandbox/webhooks").json() == []
