"""Use cases: take in a webhook delivery from Exact, and apply the one change it announces.

``receive_delivery`` is what the receiver route calls: it verifies the signature
(``exact.webhooks``; a bad one raises ``WebhookRefused`` and nothing is written),
finds the companies connected to the delivery's app and division, records the
delivery (a duplicate stops there) and queues ``webhooks.apply_change`` once that
commits. It never calls Exact, so it answers fast.

``apply_change`` (the job) fetches only the changed record — one call; none for a
Delete — and applies it with the dimension sync's own machinery (``decide``,
``write_changes``, ``flag_transactions``, ``summary_lines``) in one database
transaction under the company's lock, with a sync run (mode ``webhook``) and an
audit row. An account that is not a supplier, or a record Exact no longer has, is
a deletion, as in a sync. Safe to run again: the record is fetched afresh and
an unchanged record changes nothing. The sync positions do not move: the next
poll reads the record again and finds nothing to do.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ledgerbridge.db.repositories.webhooks import RESOURCE_OF_TOPIC
from ledgerbridge.domain.dimension_sync import LABELS, Change
from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.wording import N_, as_json
from ledgerbridge.exact.webhooks import WebhookEvent, verify_delivery
from ledgerbridge.services.connection.lifecycle import division_lock
from ledgerbridge.services.dimensions import mapping
from ledgerbridge.services.dimensions.client import SyncClient, sync_client
from ledgerbridge.services.dimensions.gather import Gathered
from ledgerbridge.services.dimensions.impact import FlaggedTransaction, flag_transactions
from ledgerbridge.services.dimensions.mapping import UnusableRecord
from ledgerbridge.services.dimensions.sync import decide, summary_lines, write_changes
from ledgerbridge.services.ports import Clock, ExactGateway, JobQueue, UnitOfWork

log = logging.getLogger(__name__)
APPLY_TASK = "webhooks.apply_change"
ACTOR = "exact-webhook"
MODE = "webhook"  # dimension_sync_runs.mode (String(16)): beside "full" and "incremental"
KIND_OF_TOPIC = {"Accounts": DimensionKind.SUPPLIER, "GLAccounts": DimensionKind.GL_ACCOUNT}


class Received(StrEnum):
    QUEUED = "queued"  # recorded, the change is applied by a job
    DUPLICATE = "duplicate"  # seen before: nothing done
    IGNORED = "ignored"  # no company here is connected to that division, or a topic we skip


@dataclass(frozen=True)
class Receipt:
    outcome: Received
    event: WebhookEvent
    companies: list[uuid.UUID] = field(default_factory=list)


def receive_delivery(
    uow_factory: Callable[[], UnitOfWork],
    jobs: JobQueue,
    now: Clock,
    secret: str | None,
    body: bytes,
) -> Receipt:
    """Verify, record and queue one delivery (see module docstring).

    Raises ``WebhookRefused`` (nothing written) when the body is not signed with ``secret``.
    """
    event = verify_delivery(body, secret)
    if event.topic not in RESOURCE_OF_TOPIC:
        log.info("Exact webhook for topic %s ignored", event.topic)
        return Receipt(Received.IGNORED, event)
    with uow_factory() as uow:
        companies = uow.webhooks.companies_for_division(event.client_id, event.division)
        if not companies:
            log.info("Exact webhook for unknown division %s ignored", event.division)
            return Receipt(Received.IGNORED, event)
        queued = [c for c in companies if _record(uow, jobs, now(), c, event)]
        uow.commit()
    return Receipt(Received.QUEUED if queued else Received.DUPLICATE, event, queued)


def _record(
    uow: UnitOfWork, jobs: JobQueue, at: datetime, company_id: uuid.UUID, event: WebhookEvent
) -> bool:
    webhooks = uow.webhooks
    if not webhooks.record_delivery(
        company_id, event.content_digest, event.topic, event.key, event.action, at
    ):
        return False
    connection = uow.connections.get(company_id)
    client_id = connection.client_id if connection is not None else event.client_id
    jobs.defer_after_commit(
        uow,
        APPLY_TASK,
        lock=division_lock(client_id, event.division),
        # One waiting job per record is enough: it fetches the record's latest state.
        queueing_lock=f"{APPLY_TASK}:{company_id}:{event.key}",
        company_id=str(company_id),
        topic=event.topic,
        key=event.key,
        action=event.action,
        content_hash=event.content_digest,
    )
    return True


@dataclass(frozen=True)
class ChangeApplied:
    """What applying one webhook did, as stored in ``dimension_sync_runs``."""

    run_id: int
    status: str
    lines: list[str]
    flagged: list[FlaggedTransaction]
    api_calls: int


def apply_change(
    uow_factory: Callable[[], UnitOfWork],
    exact: ExactGateway,
    now: Clock,
    company_id: uuid.UUID,
    *,
    topic: str,
    key: str,
    action: str,
    content_hash: str | None = None,
) -> ChangeApplied:
    """Fetch the changed record (none for a Delete) and apply it; see module docstring.

    Raises ``ConnectionNotReady`` when the company has no usable connection (nothing is
    written). Another failure is recorded as a failed run and re-raised.
    """
    kind = KIND_OF_TOPIC.get(topic)
    if kind is None:
        raise ValueError(f"no dimension is kept up to date by the webhook topic {topic!r}")
    started = now()
    http, division = exact.http(company_id)
    client = sync_client(http, division)
    about = {"topic": topic, "key": key, "action": action}
    try:
        found = _gathered(client, kind, key, action)
        return _apply(uow_factory, company_id, found, started, now, client, about, content_hash)
    except Exception as exc:
        log.exception("webhook change %s for company %s failed", about, company_id)
        _record_failure(uow_factory, company_id, started, now(), client, about, exc)
        raise


def _gathered(client: SyncClient, kind: DimensionKind, key: str, action: str) -> Gathered:
    found = Gathered(full=False)
    record: Any = None
    if action != "Delete":
        api = client.api
        record = api.account(key) if kind is DimensionKind.SUPPLIER else api.gl_account(key)
    found.skipped += client.skipped_lines()
    if record is None:  # deleted, or gone by the time we asked
        found.deleted.add((kind, key.lower()))
        return found
    try:
        dimension = (
            mapping.supplier(record)
            if kind is DimensionKind.SUPPLIER
            else mapping.gl_account(record)
        )
    except UnusableRecord as exc:
        found.skipped.append(
            N_(
                "%(kind)s %(key)s skipped: %(problem)s",
                kind=LABELS[exc.kind][0],
                key=exc.key,
                problem=exc.problem,
            )
        )
        return found
    if dimension is None:  # an account that is not (or no longer) a supplier
        found.deleted.add((kind, key.lower()))
    else:
        found.remote.append(dimension)
    return found


def _apply(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    found: Gathered,
    started: datetime,
    now: Clock,
    client: SyncClient,
    about: dict[str, str],
    content_hash: str | None,
) -> ChangeApplied:
    with uow_factory() as uow:
        repo = uow.dimensions
        repo.lock_company(company_id)
        changes = decide(repo, company_id, found)
        write_changes(repo, company_id, changes, started)
        flagged = flag_transactions(uow, company_id, changes)
        lines = summary_lines(changes, found, flagged)
        run = repo.add_run(
            company_id,
            started_at=started,
            finished_at=now(),
            mode=MODE,
            status="ok",
            summary=_summary(lines, changes, about),
            api_calls=client.counter.calls,
            flagged_transactions=[f.as_json() for f in flagged],
        )
        uow.audit.record(
            company_id,
            action=f"dimensions.sync.{MODE}",
            actor=ACTOR,
            subject_type="dimension_sync_run",
            subject_id=run.id,
            details={"lines": lines, **about},
        )
        if content_hash is not None:
            uow.webhooks.mark_processed(company_id, content_hash, now())
        uow.commit()
        return ChangeApplied(run.id, "ok", lines, flagged, run.api_calls)


def _summary(lines: list[str], changes: list[Change], about: dict[str, str]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind.value] = counts.get(change.kind.value, 0) + 1
    return {
        "lines": lines,
        "phrases": [as_json(line) for line in lines],
        "changes": counts,
        "changed": [
            {"change": c.kind.value, "kind": c.dimension.kind.value, "code": c.dimension.code}
            for c in changes
        ],
        "source": "webhook",
        "webhook": about,
    }


def _record_failure(
    uow_factory: Callable[[], UnitOfWork],
    company_id: uuid.UUID,
    started: datetime,
    finished: datetime,
    client: SyncClient,
    about: dict[str, str],
    exc: BaseException,
) -> None:
    error = f"{type(exc).__name__}: {exc}"
    line = "webhook change not applied; polling picks it up — " + error
    with uow_factory() as uow:
        uow.dimensions.add_run(
            company_id,
            started_at=started,
            finished_at=finished,
            mode=MODE,
            status="failed",
            summary={"lines": [line], "source": "webhook", "webhook": about},
            api_calls=client.counter.calls,
            error=error,
            flagged_transactions=[],
        )
        uow.commit()
