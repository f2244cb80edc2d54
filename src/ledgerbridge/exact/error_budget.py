"""Our own cap on error answers, kept below Exact's block.

Exact blocks an app for an hour (longer on repeat) after 10 answers of 400, 401,
403 or 404 per user, division and endpoint within an hour. We count those answers
per endpoint over a sliding hour and stop calling an endpoint at ``cap`` (default 8)
errors, before Exact would.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Protocol

from ledgerbridge.exact.errors import ExactBudgetExhausted

COUNTED_STATUSES = frozenset({400, 401, 403, 404})
WINDOW = timedelta(hours=1)
DEFAULT_CAP = 8


class ErrorBudget(Protocol):
    """Per-endpoint error counter. ``endpoint`` names the resource including the division
    (e.g. ``"123/purchaseentry/PurchaseEntries"``), never an entity key.
    """

    def check(self, endpoint: str, now: datetime) -> None:
        """Return if ``endpoint`` may be called; raise ``ExactBudgetExhausted`` otherwise."""
        ...

    def record(self, endpoint: str, status: int, now: datetime) -> None:
        """Count the answer if ``status`` is one Exact counts (400/401/403/404)."""
        ...


class InMemoryErrorBudget:
    """A thread-safe ``ErrorBudget`` for one process, with a sliding one-hour window."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self._errors: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, endpoint: str, now: datetime) -> None:
        with self._lock:
            errors = self._current(endpoint, now)
            if len(errors) >= self.cap:
                raise ExactBudgetExhausted(endpoint, errors[0] + WINDOW, len(errors))

    def record(self, endpoint: str, status: int, now: datetime) -> None:
        if status not in COUNTED_STATUSES:
            return
        with self._lock:
            self._current(endpoint, now).append(now)

    def errors(self, endpoint: str, now: datetime) -> int:
        """Counted errors for ``endpoint`` in the last hour (for health reports)."""
        with self._lock:
            return len(self._current(endpoint, now))

    def _current(self, endpoint: str, now: datetime) -> deque[datetime]:
        errors = self._errors[endpoint]
        while errors and errors[0] + WINDOW <= now:
            errors.popleft()
        return errors
