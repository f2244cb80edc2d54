"""The export state machine: every pair of states, allowed or refused."""

from __future__ import annotations

from itertools import product

import pytest

from ledgerbridge.domain.errors import DomainError, InvalidTransition
from ledgerbridge.domain.export_status import ExportStatus, can_transition, transition

S = ExportStatus

# The moves a finance user and the export worker may make; written out here on
# purpose rather than imported, so a change to the machine must change this test.
EXPECTED_ALLOWED = {
    (S.TO_PREPARE, S.READY),  # mark ready to export
    (S.READY, S.TO_PREPARE),  # un-mark
    (S.READY, S.QUEUED),  # export to Exact Online
    (S.QUEUED, S.READY),  # export cancelled
    (S.QUEUED, S.EXPORTING),  # the worker picks it up
    (S.QUEUED, S.FAILED),  # refused before sending (e.g. connection lost)
    (S.EXPORTING, S.EXPORTED),
    (S.EXPORTING, S.FAILED),
    (S.EXPORTING, S.QUEUED),  # the worker died; the sweeper re-queues
    (S.FAILED, S.READY),  # retry
    (S.FAILED, S.TO_PREPARE),  # the coding must change
    (S.QUEUED, S.TO_PREPARE),  # the run's fresh sync made the coding unusable
    (S.FAILED, S.EXPORTED),  # booked manually in Exact
}
ALL_PAIRS = list(product(ExportStatus, repeat=2))


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_ALLOWED))
def test_allowed_moves_succeed(current: ExportStatus, target: ExportStatus) -> None:
    assert can_transition(current, target)
    assert transition(current, target, "Exact: period closed") is target


@pytest.mark.parametrize(
    ("current", "target"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_ALLOWED]
)
def test_every_other_move_is_refused_naming_both_states(
    current: ExportStatus, target: ExportStatus
) -> None:
    assert not can_transition(current, target)
    with pytest.raises(InvalidTransition) as caught:
        transition(current, target)
    assert f"cannot go from {current.value} to {target.value}" in str(caught.value)
    assert (caught.value.current, caught.value.target) == (current, target)
    assert isinstance(caught.value, DomainError)


def test_the_table_covers_every_pair_of_the_six_states() -> None:
    assert len(ALL_PAIRS) == 36
    assert len(EXPECTED_ALLOWED) == 13


@pytest.mark.parametrize("target", list(ExportStatus))
def test_exported_is_final_and_says_so(target: ExportStatus) -> None:
    with pytest.raises(InvalidTransition, match="exported is final"):
        transition(S.EXPORTED, target)
    assert S.EXPORTED.is_final


def test_only_exported_is_final_and_coding_is_locked_while_exporting() -> None:
    assert [s for s in ExportStatus if s.is_final] == [S.EXPORTED]
    assert {s for s in ExportStatus if s.coding_editable} == {S.TO_PREPARE, S.READY, S.FAILED}


def test_a_transaction_walks_the_happy_path_and_the_retry_path() -> None:
    status = S.TO_PREPARE
    for step in (S.READY, S.QUEUED, S.EXPORTING, S.FAILED, S.READY, S.QUEUED, S.EXPORTING):
        status = transition(status, step, "Exact was unavailable")
    assert transition(status, S.EXPORTED) is S.EXPORTED


@pytest.mark.parametrize("reason", [None, "", "   "])
@pytest.mark.parametrize("current", [S.QUEUED, S.EXPORTING])
def test_a_failure_without_a_reason_is_refused(current: ExportStatus, reason: str | None) -> None:
    with pytest.raises(InvalidTransition, match="a failed export needs its reason"):
        transition(current, S.FAILED, reason)
