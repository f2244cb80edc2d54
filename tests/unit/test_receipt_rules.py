"""Receipt size messages and the names receipts are kept under (no I/O)."""

from __future__ import annotations

import pytest

from ledgerbridge.services.transactions.receipts import (
    ReceiptLimits,
    ReceiptTooLarge,
    check_size,
    receipt_name,
)

LIMITS = ReceiptLimits(max_bytes=10 * 1_048_576, warn_bytes=7 * 1_048_576)


def test_a_file_cut_off_at_the_limit_is_reported_as_over_the_limit_not_as_its_size() -> None:
    with pytest.raises(ReceiptTooLarge) as refused:
        check_size(LIMITS.max_bytes + 1, "big.pdf", LIMITS)
    assert str(refused.value) == "'big.pdf' is over 10.0 MB, the limit for a receipt"


def test_a_file_of_known_size_above_the_limit_is_reported_with_its_real_size() -> None:
    with pytest.raises(ReceiptTooLarge) as refused:
        check_size(LIMITS.max_bytes + 1, "big.pdf", LIMITS, real_size=400 * 1_048_576)
    assert str(refused.value) == "'big.pdf' is 400.0 MB; the limit is 10.0 MB"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("..", "receipt"),
        (".", "receipt"),
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\y.pdf", "y.pdf"),
        ("/abs/path/scan.pdf", "scan.pdf"),
        ("scan/..", "receipt"),
        ("", "receipt"),
        ("bon 12.pdf", "bon 12.pdf"),
    ],
)
def test_a_file_name_is_reduced_to_a_safe_base_name(given: str, kept: str) -> None:
    assert receipt_name(given) == kept
