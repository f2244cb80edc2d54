"""The Exact connection's state machine, over every pair of states."""

from __future__ import annotations

import itertools

import pytest

from ledgerbridge.domain.connection import (
    ALLOWED,
    ConnectionState,
    ConnectionStatus,
    can_move,
    move,
)
from ledgerbridge.domain.errors import InvalidTransition

S = ConnectionStatus
EXPECTED = {
    (S.PENDING, S.CONNECTED),
    (S.PENDING, S.DISCONNECTED),
    (S.CONNECTED, S.NEEDS_REAUTH),
    (S.CONNECTED, S.ERROR),
    (S.CONNECTED, S.DISCONNECTED),
    (S.CONNECTED, S.CONNECTED),
    (S.ERROR, S.CONNECTED),
    (S.ERROR, S.NEEDS_REAUTH),
    (S.ERROR, S.DISCONNECTED),
    (S.NEEDS_REAUTH, S.CONNECTED),
    (S.NEEDS_REAUTH, S.DISCONNECTED),
    (S.DISCONNECTED, S.PENDING),
    (S.DISCONNECTED, S.CONNECTED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_pair_of_states_is_allowed_exactly_when_listed(
    current: ConnectionStatus, target: ConnectionStatus
) -> None:
    allowed = (current, target) in EXPECTED
    assert can_move(current, target) is allowed
    if allowed:
        assert move(current, target) is target
    else:
        with pytest.raises(InvalidTransition, match=f"{current}.*{target}"):
            move(current, target)


def test_the_table_in_the_module_is_the_one_tested() -> None:
    assert set(ALLOWED) == EXPECTED


def test_a_disconnected_or_dead_chain_is_never_left_for_error_directly() -> None:
    # error means "tokens work, Exact refuses access": only a working chain gets there.
    assert not can_move(S.NEEDS_REAUTH, S.ERROR)
    assert not can_move(S.DISCONNECTED, S.ERROR)


@pytest.mark.parametrize(
    ("status", "division", "usable", "needs_division"),
    [
        (S.CONNECTED, 3101010, True, False),
        (S.CONNECTED, None, False, True),
        (S.ERROR, 3101010, False, False),
        (S.NEEDS_REAUTH, 3101010, False, False),
        (S.PENDING, None, False, False),
        (S.DISCONNECTED, 3101010, False, False),
    ],
)
def test_the_shown_fields_follow_from_one_status(
    status: ConnectionStatus, division: int | None, usable: bool, needs_division: bool
) -> None:
    state = ConnectionState(status, None, division)
    assert (state.usable, state.needs_division) == (usable, needs_division)
    # Usable and "needs a division" can never both be said.
    assert not (state.usable and state.needs_division)
    assert state.next_step


def test_only_a_working_chain_holds_tokens() -> None:
    assert {s for s in S if s.holds_tokens} == {S.CONNECTED, S.ERROR}
