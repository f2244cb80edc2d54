"""Exact's API limits (EXACT_API.md §3): per app per division, per minute and per day,
plus the hourly error budget per app, user, division and endpoint.

- The minute window resets at the next whole clock minute, the day window at
  00:00 UTC (not sliding windows). Reset headers are epoch **milliseconds**.
- Successful responses carry ``X-RateLimit-Limit/Remaining/Reset`` (daily) and
  ``X-RateLimit-Minutely-Limit/Remaining/Reset``.
- Over a limit: 429, empty body, only the exceeded window's headers. A refused
  call does not use up the window.
- More than ``error_limit_per_hour`` error answers (400, 401, 403, 404) within
  an hour for one (app, user, division, endpoint) block that combination for an
  hour: 403 with ``Reason: TooManyErrors`` (Exact's exact answer is
  unconfirmed: ``blocked_as_429`` answers 429 instead, ``error_block_per_division``
  counts all endpoints together; a block is not counted as another error).
- ``Retry-After`` on a 429 only with ``retry_after_on_429`` (Exact documents none).

All numbers come from ``sandbox.settings``; all times from ``sandbox.clock``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from exact_sandbox.core import CallContext, SandboxHTTPError

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

ERROR_STATUSES = frozenset({400, 401, 403, 404})
ERROR_WINDOW = timedelta(hours=1)
BLOCK_DURATION = timedelta(hours=1)

ErrorKey = tuple[str, str, int | None, str]


@dataclass(frozen=True)
class WindowState:
    """One rate window of one (app, division) as the headers report it."""

    limit: int
    used: int
    reset_ms: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)


class RateLimiter:
    """Counts calls and errors; ``admit`` before a call, ``record`` after it. Thread-safe."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget all counts and blocks."""
        with self._lock:
            self._minute: dict[tuple[str, int | None], tuple[datetime, int]] = {}
            self._day: dict[tuple[str, int | None], tuple[date, int]] = {}
            self._errors: dict[ErrorKey, deque[datetime]] = {}
            self._blocked: dict[ErrorKey, datetime] = {}

    def admit(self, ctx: CallContext, endpoint: str) -> None:
        """Take a slot in both windows, or raise SandboxHTTPError (429, or 403 when blocked)."""
        self.ensure_not_blocked(ctx.app.client_id, ctx.user.user_id, ctx.division, endpoint)
        key, now = (ctx.app.client_id, ctx.division), self._now()
        with self._lock:
            day, minute = self._day_state(key, now), self._minute_state(key, now)
            if day.used >= day.limit:
                raise self._too_many(_daily_headers(day), day.reset_ms, now)
            if minute.used >= minute.limit:
                raise self._too_many(_minutely_headers(minute), minute.reset_ms, now)
            self._day[key] = (now.date(), day.used + 1)
            self._minute[key] = (_minute_start(now), minute.used + 1)

    def record(
        self, ctx: CallContext, endpoint: str, status: int, headers: dict[str, str]
    ) -> dict[str, str]:
        """After the call: rate headers on a 2xx answer, error counting on 400/401/403/404.

        ``headers`` is updated in place and returned.
        """
        if 200 <= status < 300:
            headers.update(self.rate_headers(ctx.app.client_id, ctx.division))
        elif status in ERROR_STATUSES:
            self.record_error(ctx.app.client_id, ctx.user.user_id, ctx.division, endpoint, status)
        return headers

    def record_error(
        self, client_id: str, user_id: str, division: int | None, endpoint: str, status: int
    ) -> None:
        """Count an error answer; the one that exceeds the hourly budget starts a block."""
        if status not in ERROR_STATUSES:
            return
        key, now = self._error_key(client_id, user_id, division, endpoint), self._now()
        with self._lock:
            errors = self._errors.setdefault(key, deque())
            errors.append(now)
            while errors and errors[0] <= now - ERROR_WINDOW:
                errors.popleft()
            if len(errors) > self._sandbox.settings.error_limit_per_hour:
                self._blocked[key] = now + BLOCK_DURATION
                errors.clear()

    def ensure_not_blocked(
        self, client_id: str, user_id: str, division: int | None, endpoint: str
    ) -> None:
        """Raise 403 ``Reason: TooManyErrors`` (or 429, ``blocked_as_429``) while blocked."""
        key, now = self._error_key(client_id, user_id, division, endpoint), self._now()
        with self._lock:
            until = self._blocked.get(key)
            if until is not None and now >= until:
                del self._blocked[key]
                until = None
        if until is not None:
            if self._sandbox.settings.blocked_as_429:
                raise self._too_many({}, _ms(until), now)
            raise _blocked_error(until)

    def _error_key(
        self, client_id: str, user_id: str, division: int | None, endpoint: str
    ) -> ErrorKey:
        """Per endpoint (§2.6), or one budget for all endpoints (``error_block_per_division``)."""
        scope = "*" if self._sandbox.settings.error_block_per_division else endpoint.lower()
        return (client_id, user_id, division, scope)

    def _too_many(self, headers: dict[str, str], reset_ms: int, now: datetime) -> SandboxHTTPError:
        """A 429 with an empty body; ``Retry-After`` (whole seconds) only when the setting is on."""
        if self._sandbox.settings.retry_after_on_429:
            wait = max(1, -(-(reset_ms - _ms(now)) // 1000))
            headers = headers | {"Retry-After": str(wait)}
        return SandboxHTTPError(429, b"", headers, None)

    def rate_headers(self, client_id: str, division: int | None) -> dict[str, str]:
        """Both windows' headers as Exact sends them on a successful response."""
        key, now = (client_id, division), self._now()
        with self._lock:
            day, minute = self._day_state(key, now), self._minute_state(key, now)
        return _daily_headers(day) | _minutely_headers(minute)

    def storm_error(self, ctx: CallContext) -> SandboxHTTPError:
        """A 429 as a minute-limit hit looks, for an injected storm (remaining may be > 0)."""
        key, now = (ctx.app.client_id, ctx.division), self._now()
        with self._lock:
            minute = self._minute_state(key, now)
        return self._too_many(_minutely_headers(minute), minute.reset_ms, now)

    def usage(self) -> list[dict[str, Any]]:
        """Per (app, division): calls used in the current minute and day, JSON-friendly."""
        now = self._now()
        with self._lock:
            keys = sorted(set(self._day) | set(self._minute), key=str)
            rows = []
            for client_id, division in keys:
                day, minute = (
                    self._day_state((client_id, division), now),
                    self._minute_state((client_id, division), now),
                )
                rows.append(
                    {"client_id": client_id, "division": division}
                    | {"minute_used": minute.used, "day_used": day.used}
                )
        return rows

    def blocks(self) -> list[dict[str, Any]]:
        """The (app, user, division, endpoint) combinations blocked right now."""
        now = self._now()
        with self._lock:
            return [
                {"client_id": k[0], "user_id": k[1], "division": k[2], "endpoint": k[3]}
                | {"until": until.isoformat()}
                for k, until in self._blocked.items()
                if until > now
            ]

    def _minute_state(self, key: tuple[str, int | None], now: datetime) -> WindowState:
        start, used = self._minute.get(key, (_minute_start(now), 0))
        if start != _minute_start(now):
            used = 0
        reset = _minute_start(now) + timedelta(minutes=1)
        return WindowState(self._sandbox.settings.minute_limit, used, _ms(reset))

    def _day_state(self, key: tuple[str, int | None], now: datetime) -> WindowState:
        day, used = self._day.get(key, (now.date(), 0))
        if day != now.date():
            used = 0
        reset = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=UTC)
        return WindowState(self._sandbox.settings.day_limit, used, _ms(reset))

    def _now(self) -> datetime:
        return self._sandbox.clock.now().astimezone(UTC)


def _daily_headers(day: WindowState) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(day.limit),
        "X-RateLimit-Remaining": str(day.remaining),
        "X-RateLimit-Reset": str(day.reset_ms),
    }


def _minutely_headers(minute: WindowState) -> dict[str, str]:
    return {
        "X-RateLimit-Minutely-Limit": str(minute.limit),
        "X-RateLimit-Minutely-Remaining": str(minute.remaining),
        "X-RateLimit-Minutely-Reset": str(minute.reset_ms),
    }


def _blocked_error(until: datetime) -> SandboxHTTPError:
    from exact_sandbox.messages import error_body

    text = (
        "Too many errors: this app is blocked for this endpoint until "
        f"{until.strftime('%Y-%m-%d %H:%M:%S')} UTC."
    )
    return SandboxHTTPError(403, error_body(text), {"Reason": "TooManyErrors"})


def _minute_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)
