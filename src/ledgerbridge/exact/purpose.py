"""Why a call to Exact is made, so today's calls can be shown by purpose.

The purpose travels with the work, not with the client: a job wraps what it does in
``with calls_for(Purpose.DIMENSION_UPKEEP): …`` and every call made inside is counted
under that purpose when it takes its slot from the rate budget (``Pacer.wait``).
Outside any ``calls_for`` block a call counts as ``other``.

The purpose is a ``contextvars.ContextVar``, so it follows the code that runs:

- nested blocks restore the outer purpose on exit, also after an exception;
- each thread starts from the default: a ``threading.Thread`` or a pool worker does
  NOT see the purpose of the thread that started it, unless the work is submitted as
  ``contextvars.copy_context().run(fn)``;
- procrastinate runs a sync task in a worker thread through asgiref's
  ``sync_to_async``, which runs it in a copy of the worker's context: a ``calls_for``
  block inside the task applies to the task's calls and, being reset on exit, leaves
  nothing behind for the next task;
- ``asyncio`` tasks and ``asyncio.to_thread`` copy the context when they start.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum


class Purpose(StrEnum):
    """What a call to Exact is for (stored as the value in ``exact_call_counts``)."""

    EXPORTS = "exports"
    RECEIPTS = "receipts"
    DIMENSION_UPKEEP = "dimension_upkeep"
    TOKEN = "token"
    OTHER = "other"


_purpose: ContextVar[Purpose] = ContextVar("ledgerbridge_exact_call_purpose", default=Purpose.OTHER)


def current_purpose() -> Purpose:
    """The purpose calls made here count under (``other`` outside any ``calls_for``)."""
    return _purpose.get()


@contextmanager
def calls_for(purpose: Purpose) -> Iterator[Purpose]:
    """Count every call to Exact made inside the block under ``purpose``; nests, and
    restores the outer purpose on exit (also when the block raises)."""
    token = _purpose.set(Purpose(purpose))
    try:
        yield _purpose.get()
    finally:
        _purpose.reset(token)
