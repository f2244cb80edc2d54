"""Keep idle Exact token chains alive: an unused refresh token dies after 30 days.

Run daily (the ``connection.keep_alive`` periodic task): every connected
connection whose refresh token is older than ``KEEP_ALIVE_AFTER`` is refreshed
through the normal single-flight chain, so a busy worker refreshing at the same
moment is never raced. One failing company never stops the others.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from ledgerbridge.exact.errors import ExactError
from ledgerbridge.services.errors import ConnectionNotReady
from ledgerbridge.services.ports import Clock, ExactGateway, UnitOfWorkFactory

log = logging.getLogger(__name__)
KEEP_ALIVE_AFTER = timedelta(days=1)


@dataclass
class KeepAliveResult:
    refreshed: list[uuid.UUID] = field(default_factory=list)
    skipped: list[uuid.UUID] = field(default_factory=list)
    failed: dict[uuid.UUID, str] = field(default_factory=dict)


def keep_alive(uow_factory: UnitOfWorkFactory, exact: ExactGateway, now: Clock) -> KeepAliveResult:
    """Refresh every connected chain whose refresh token is older than a day (at ``now()``)."""
    result = KeepAliveResult()
    at = now()
    with uow_factory() as uow:
        chains = [(c.company_id, c.refresh_issued_at) for c in uow.connections.connected()]
    for company_id, refreshed_at in chains:
        if refreshed_at is not None and at - refreshed_at < KEEP_ALIVE_AFTER:
            result.skipped.append(company_id)
            continue
        try:
            exact.tokens(company_id).access_token()
        except (ExactError, ConnectionNotReady) as error:
            log.warning("keep-alive for company %s failed: %s", company_id, error)
            result.failed[company_id] = str(error)
        else:
            result.refreshed.append(company_id)
    return result
