"""The export state machine of one transaction.

    to_prepare → ready → queued → exporting → exported (final)
                   ↑        ↓          ↓
                   └──── failed ←──────┘      failed → to_prepare (coding must change)
    ready → to_prepare (un-mark)             queued → ready (export cancelled)

Every allowed move is listed in ``ALLOWED``; anything else raises
``InvalidTransition`` naming both states.
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
    }
)


def can_transition(current: ExportStatus, target: ExportStatus) -> bool:
    return (current, target) in ALLOWED


def transition(current: ExportStatus, target: ExportStatus) -> ExportStatus:
    """Return ``target`` if the move is allowed; raise ``InvalidTransition`` otherwise."""
    if not can_transition(current, target):
        raise InvalidTransition(current, target)
    return target
