"""The token chain's clock rules: when a refresh is due, and the token endpoint's daily cap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ledgerbridge.db.models.exact import ExactConnection
from ledgerbridge.exact.errors import ExactRateLimited
from ledgerbridge.gateway.token_chain import count_token_call, refresh_due

ISSUED = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(seconds=600)


@pytest.mark.parametrize(
    ("seconds_after_issue", "due"),
    [(569, False), (570, True), (600, True), (900, True)],
)
def test_a_refresh_is_due_only_in_the_last_30_seconds_and_never_before_570(
    seconds_after_issue: int, due: bool
) -> None:
    now = ISSUED + timedelta(seconds=seconds_after_issue)
    assert refresh_due(EXPIRES, ISSUED, now) is due


def test_an_expired_token_younger_than_570_seconds_is_not_refreshed() -> None:
    # A token Exact refused (marked expired at once) must still wait out the 570 s.
    assert (
        refresh_due(ISSUED + timedelta(seconds=60), ISSUED, ISSUED + timedelta(seconds=120))
        is False
    )


def test_the_token_endpoint_is_called_at_most_200_times_a_utc_day() -> None:
    row = ExactConnection(token_calls_count=0)
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    for _ in range(200):
        count_token_call(row, late)
    with pytest.raises(ExactRateLimited) as raised:
        count_token_call(row, late)
    assert raised.value.retry_at == datetime(2026, 11, 3, tzinfo=UTC)
    count_token_call(row, late + timedelta(hours=1))  # a new UTC day
    assert row.token_calls_count == 1
