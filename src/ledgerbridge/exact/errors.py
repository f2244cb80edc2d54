"""Errors of the Exact Online client, named by meaning and by whether a retry helps.

::

    ExactError                      anything that went wrong talking to Exact
    ├── ExactUnavailable            transient: connection failed, 502/503/504, a read's fault 500
    ├── ExactRateLimited            429 or our pacer gave up; retry at ``retry_at``
    ├── ExactBudgetExhausted        our own 4xx cap for an endpoint this hour; retry at ``retry_at``
    ├── ExactOutcomeUnknown         a write may or may not have happened (any 5xx, timeout, reset
    │                               after sending, unreadable success) -> look it up, never resend;
    │                               ``rejection`` is what it means if the lookup finds nothing
    ├── ExactAuthLost               401 / dead refresh chain -> a person must reconnect
    ├── ExactForbidden              403 with Exact's ``Reason`` (BlockedUser, NoDivisionAccess, ...)
    ├── ExactRejected               Exact refused the content (4xx; a validation 500 on a read, or
    │                               on a write once a lookup found nothing) -> fix it
    ├── ExactNotFound               404: unknown entity or endpoint
    ├── ExactRecordInvalid          a record Exact returned that we cannot use (skip it)
    └── ExactTokenError             the token endpoint refused; carries ``refresh_token``
        ├── TooEarlyToRefresh       refreshed within 570 s of issue; the chain is still fine
        ├── TokenChainLost          also ExactAuthLost: old/expired/revoked refresh token
        ├── TokenCallsExhausted     also ExactRateLimited: 200 token calls today; chain intact
        └── TokenEndpointUnavailable  also ExactUnavailable: network/5xx at the token endpoint

Only ``ExactUnavailable`` and ``ExactRateLimited`` (and ``ExactBudgetExhausted`` after its
hour) are worth retrying unchanged. Everything here is raised ``from`` its cause.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

RateWindow = Literal["minute", "day"]


class ExactError(Exception):
    """Base of every Exact client error. ``status`` is the HTTP status when there was one."""

    retryable: bool = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class ExactUnavailable(ExactError):
    """Exact could not be reached or answered 502/503/504; the same call may succeed later."""

    retryable = True


class ExactRateLimited(ExactError):
    """A rate limit (``window`` "minute" or "day") is used up until ``retry_at`` (UTC)."""

    retryable = True

    def __init__(self, retry_at: datetime, window: RateWindow, *, status: int | None = 429) -> None:
        super().__init__(
            f"Exact {window} rate limit reached; retry at {retry_at.isoformat()}", status=status
        )
        self.retry_at = retry_at
        self.window = window


class ExactBudgetExhausted(ExactError):
    """Our own error budget for ``endpoint`` is spent; calling again risks Exact's 1-hour block.

    Not retryable before ``retry_at`` (the start of the next hour).
    """

    def __init__(self, endpoint: str, retry_at: datetime, errors: int) -> None:
        super().__init__(
            f"{errors} error answers from Exact for {endpoint} this hour; calls paused until "
            f"{retry_at.isoformat()} to avoid Exact's block"
        )
        self.endpoint = endpoint
        self.retry_at = retry_at
        self.errors = errors


class ExactOutcomeUnknown(ExactError):
    """A write was sent but its answer was lost or spoilt (timeout, reset, any 5xx, a success
    we cannot read): it may have happened.

    Never resend blindly: look the object up by our reference first (``adopt`` does). Found:
    adopt it. Not found: ``rejection`` if Exact's answer was its validation text (a 500 with
    Exact's JSON error body, EXACT_API.md §2.6), else transient.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        rejection: ExactRejected | None = None,
    ) -> None:
        super().__init__(message, status=status)
        self.rejection = rejection


class ExactAuthLost(ExactError):
    """The authorisation no longer works (``reason``); someone must connect again."""

    def __init__(self, reason: str, *, status: int | None = 401) -> None:
        super().__init__(f"Exact authorisation lost: {reason}", status=status)
        self.reason = reason


class ExactForbidden(ExactError):
    """403: the user, licence or division blocks the call; ``reason`` is Exact's Reason header."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(
            f"Exact refused access ({reason}){': ' + message if message else ''}", status=403
        )
        self.reason = reason


class ExactRejected(ExactError):
    """Exact refused the content; ``message`` is Exact's own text in the user's ``language``."""

    def __init__(self, message: str, language: str = "", status: int | None = 400) -> None:
        super().__init__(message, status=status)
        self.language = language


class ExactNotFound(ExactError):
    """404: the entity or endpoint does not exist (or the module is not licensed)."""

    def __init__(self, message: str = "not found") -> None:
        super().__init__(message, status=404)


class ExactRecordInvalid(ExactError):
    """A record from Exact is unusable (``problem``); callers skip it and log ``key``."""

    def __init__(self, resource: str, key: str, problem: str) -> None:
        super().__init__(f"{resource} {key or '(no key)'}: {problem}")
        self.resource = resource
        self.key = key
        self.problem = problem


class ExactTokenError(ExactError):
    """The token endpoint refused. ``refresh_token`` is the one Exact returned, if any:

    callers persist it, since even a failed refresh can rotate the chain.
    """

    def __init__(
        self, message: str, *, status: int | None = None, refresh_token: str | None = None
    ) -> None:
        # explicit base call: in TokenChainLost the next class in the MRO is ExactAuthLost,
        # whose constructor would rewrite the message
        ExactError.__init__(self, message, status=status)
        self.refresh_token = refresh_token


class TooEarlyToRefresh(ExactTokenError):
    """Refresh asked within 570 s of issue (400 access_denied / TooEarlyToRefreshTokens).

    The current access token is still valid; use it.
    """


class TokenChainLost(ExactTokenError, ExactAuthLost):
    """The refresh chain is dead (old token used, expired, revoked); consent again."""

    def __init__(
        self, reason: str, *, status: int | None = None, refresh_token: str | None = None
    ) -> None:
        ExactTokenError.__init__(
            self, f"Exact authorisation lost: {reason}", status=status, refresh_token=refresh_token
        )
        self.reason = reason


class TokenCallsExhausted(ExactTokenError, ExactRateLimited):
    """The token endpoint's daily cap (200 calls per app and user) is spent until
    ``retry_at``; the chain itself is intact (Reason ``TooManyTokenRequests``)."""

    def __init__(
        self,
        message: str,
        retry_at: datetime,
        *,
        status: int | None = None,
        refresh_token: str | None = None,
    ) -> None:
        ExactTokenError.__init__(self, message, status=status, refresh_token=refresh_token)
        self.retry_at = retry_at
        self.window: RateWindow = "day"


class TokenEndpointUnavailable(ExactTokenError, ExactUnavailable):
    """The token endpoint could not be reached or failed with a 5xx; try again later."""

    retryable = True
