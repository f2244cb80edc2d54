"""Errors raised by repositories."""

from __future__ import annotations


class NotFound(LookupError):
    """No such row for this company (it may exist for another company: same answer)."""
