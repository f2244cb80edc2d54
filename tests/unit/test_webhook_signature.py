"""Exact webhook deliveries are trusted only when their HashCode signs the raw Content."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from ledgerbridge.exact.webhooks import WebhookRefused, content_text, sign, verify_delivery

SECRET = "app-webhook-secret"
KEY = "6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7"
# As Exact might lay it out: spaces, key order of its own (the signature covers this text).
CONTENT = (
    '{ "Topic": "Accounts", "ClientId": "{5D3C0F7E-9A41-4B8E-B1C2-7E0F6A2D4C91}", '
    f'"Division": 3101010, "Action": "Update", "Key": "{KEY.upper()}", '
    '"ExactOnlineEndpoint": "https://start.exactonline.nl/api/v1/3101010/crm/Accounts'
    f"(guid'{KEY}')\", "
    '"EventCreatedOn": "2026-11-02T09:00:00.123" }'
)


def delivery(content: str = CONTENT, hash_code: str | None = None) -> bytes:
    code = sign(content.encode(), SECRET) if hash_code is None else hash_code
    return ('{"Content":' + content + ',"HashCode":"' + code + '"}').encode()


def test_the_hash_code_is_the_uppercase_hex_hmac_sha256_of_the_content_text() -> None:
    expected = hmac.new(SECRET.encode(), CONTENT.encode(), hashlib.sha256).hexdigest().upper()
    assert sign(CONTENT.encode(), SECRET) == expected
    assert content_text(delivery()) == CONTENT.encode()


def test_a_genuine_delivery_is_read_into_a_typed_event_without_reserialising() -> None:
    event = verify_delivery(delivery(), SECRET)
    assert (event.topic, event.division, event.action) == ("Accounts", 3101010, "Update")
    assert event.key == KEY  # lower case, as our dimensions store Exact's ids
    assert event.client_id == "5d3c0f7e-9a41-4b8e-b1c2-7e0f6a2d4c91"
    assert event.endpoint is not None and event.endpoint.endswith(f"(guid'{KEY}')")
    assert event.created_on == datetime(2026, 11, 2, 9, 0, 0, 123000, tzinfo=UTC)
    assert event.content_digest == hashlib.sha256(CONTENT.encode()).hexdigest()


def test_the_hash_code_is_compared_without_regard_to_hex_case() -> None:
    lower = sign(CONTENT.encode(), SECRET).lower()
    assert verify_delivery(delivery(hash_code=lower), SECRET).key == KEY


@pytest.mark.parametrize(
    "body",
    [
        delivery(hash_code=sign(CONTENT.encode(), "another-secret")),  # another app's secret
        delivery(hash_code=""),
        delivery(CONTENT.replace("Update", "Delete"), sign(CONTENT.encode(), SECRET)),  # altered
        # Re-serialised content no longer matches what was signed.
        delivery('{"Topic":"Accounts"}', sign(CONTENT.encode(), SECRET)),
        ('{"Content":' + CONTENT + "}").encode(),  # no HashCode at all
        b"not json",
        b"",
    ],
    ids=["other-secret", "empty", "altered", "reserialised", "missing", "not-json", "no-body"],
)
def test_anything_not_signed_with_our_secret_is_refused(body: bytes) -> None:
    with pytest.raises(WebhookRefused):
        verify_delivery(body, SECRET)


def test_without_a_configured_secret_every_delivery_is_refused() -> None:
    with pytest.raises(WebhookRefused, match="no webhook secret"):
        verify_delivery(delivery(), None)


def test_a_signed_delivery_without_a_usable_key_or_action_is_refused() -> None:
    content = CONTENT.replace('"Update"', '"Rename"')
    with pytest.raises(WebhookRefused, match="lacks"):
        verify_delivery(delivery(content), SECRET)
