"""Errors services raise, named by what went wrong, never by an HTTP status.

The web layer maps each to a status in one table (``web.errors``); the CLI prints
its message; a job logs it. Every message says what is wrong and what to do.
"""

from __future__ import annotations

from datetime import datetime


class ServiceError(Exception):
    """A use case could not be done as asked; the message says why, in plain words."""


class NotFoundError(ServiceError, LookupError):
    """The thing asked for does not exist for this company (another company's is the same)."""


class ConflictError(ServiceError):
    """The request is valid but the current state does not allow it."""


class InvalidRequest(ServiceError, ValueError):
    """The request itself is malformed (a cursor that was never handed out, …)."""


class ItemsRefused(ServiceError):
    """Some items of a request cannot be done; nothing was done. ``items`` lists each one:
    ``{"id": …, "field": … (optional), "message": …}``."""

    def __init__(self, message: str, items: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.items = items


class TooLarge(ServiceError):
    """What was sent is larger than accepted."""


class UnsupportedContent(ServiceError):
    """What was sent is not of a kind accepted here."""


class ConnectionNotReady(ConflictError):
    """The company cannot call Exact yet (not connected, no division, needs reauth…)."""


class ConnectRefused(ServiceError):
    """The OAuth callback cannot be accepted (state mismatch, expired, unknown, denied)."""


class UnknownCompany(NotFoundError):
    """No company has the slug that was given."""


class CompanyNotChosen(ServiceError):
    """No company was named and there is not exactly one; ``count`` says how many."""

    def __init__(self, count: int, hint: str = "") -> None:
        super().__init__(f"{count} companies exist" + (f"; {hint}" if hint else ""))
        self.count = count


class NotAuthenticated(ServiceError):
    """No valid credentials: no session or key, a wrong password, a revoked key, …"""


class Forbidden(ServiceError):
    """The caller is known but may not do this (role too weak, CSRF token missing, …)."""


class SignInLocked(ServiceError):
    """Too many failed sign-ins; ``until`` says when the next try is accepted."""

    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class Gone(ServiceError):
    """What was asked for existed but may not be used any more (an expired invitation)."""
