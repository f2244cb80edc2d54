"""The Exact client's Prometheus counter: every call sent to Exact, by endpoint and status.

``endpoint`` is the resource path below ``/api/v1/`` without the division, keys or query
(``purchaseentry/PurchaseEntries``, ``current/Me``), or ``oauth2/token`` for the token
endpoint; ``status`` is Exact's HTTP status, or ``none`` when no answer came (a
connection error or a timeout). A call refused before sending (the error budget) is not
counted. In the process's default registry, so every ``ExactHttp`` counts without wiring.
"""

from __future__ import annotations

from prometheus_client import Counter

NO_ANSWER = "none"
TOKEN_ENDPOINT = "oauth2/token"

EXACT_CALLS = Counter(
    "ledgerbridge_exact_calls",
    "Calls sent to Exact Online by endpoint (resource path without division or keys) "
    "and HTTP status ('none': no answer).",
    ["endpoint", "status"],
)


def resource_of(endpoint: str) -> str:
    """``123/purchaseentry/PurchaseEntries`` → ``purchaseentry/PurchaseEntries``."""
    first, _, rest = endpoint.partition("/")
    return rest if first.isdigit() and rest else endpoint


def count_call(endpoint: str, status: int | None) -> None:
    """Count one call to ``endpoint`` (``http.endpoint_of``) answered ``status``."""
    EXACT_CALLS.labels(resource_of(endpoint), NO_ANSWER if status is None else str(status)).inc()
