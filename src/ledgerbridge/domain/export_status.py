"""The export state machine of one transaction.

    to_prepare → ready → queued → exporting → exported (final)
                   ↑        ↓          ↓
                   └──── failed ←──────┘      failed → to_prepare (coding must change)
    ready → to_prepare (un-mark)             queued → ready (export cancelled)
    exporting → queued (the sweeper re-queues an export whose worker died)
    queued → to_prepare (the run's fresh sync made the coding unusable)
    failed → exported (booked manually in Exact; its entry number recorded)

Every allowed move is listed in ``ALLOWED``; anything else raises
``InvalidTransition`` naming both states. A move to ``failed`` must carry its
reason (Exact's message, what to do); whoever stores the status keeps it.
"""

from __future__ import annotations

from enum import StrEnum

from ledgerbridge.domain.errors import InvalidTransition


class ExportStatus(StrEnum):
    TO_PREPARE = "to_prepare"
    READY = "ready"
    QUEUED = "queued"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Exported transactions are booked in Exact and never change here again."""
        return self is ExportStatus.EXPORTED

    @property
    def coding_editable(self) -> bool:
        """Coding may change only before the transaction is handed to the export."""
        return self in (ExportStatus.TO_PREPARE, ExportStatus.READY, ExportStatus.FAILED)


S = ExportStatus

ALLOWED: frozenset[tuple[ExportStatus, ExportStatus]] = frozenset(
    {
        (S.TO_PREPARE, S.READY),
        (S.READY, S.TO_PREPARE),
        (S.READY, S.QUEUED),
        (S.QUEUED, S.READY),
        (S.QUEUED, S.EXPORTING),
        (S.EXPORTING, S.EXPORTED),
        (S.EXPORTING, S.FAILED),
        # A crash mid-export: the sweeper hands the transaction back to the queue.
        (S.EXPORTING, S.QUEUED),
        (S.QUEUED, S.FAILED),
        (S.FAILED, S.READY),
        (S.FAILED, S.TO_PREPARE),
        # The fresh sync before a run found the coding unusable: it must change.
        (S.QUEUED, S.TO_PREPARE),
        # Booked by hand in Exact: the user records its entry number instead.
        (S.FAILED, S.EXPORTED),
    }
)


def can_transition(current: ExportStatus, target: ExportStatus) -> bool:
    return (current, target) in ALLOWED


def transition(
    current: ExportStatus, target: ExportStatus, reason: str | None = None
) -> ExportStatus:
    """Return ``target`` if the move is allowed; raise ``InvalidTransition`` otherwise.

    Staying in the same state is not a move and is refused too, so a double
    click cannot silently queue an export twice. A move to ``failed`` without
    a ``reason`` is refused: the export queue must say why.
    """
    if not can_transition(current, target):
        why = "exported is final; the entry is booked in Exact" if current.is_final else ""
        raise InvalidTransition(current, target, why)
    if target is ExportStatus.FAILED and not (reason and reason.strip()):
        raise InvalidTransition(current, target, "a failed export needs its reason")
    return target
