"""A card or account transaction, as the bank or card issuer reported it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ledgerbridge.domain.money import Money


class TransactionKind(StrEnum):
    CARD_PAYMENT = "card_payment"
    REFUND = "refund"
    FEE = "fee"
    TRANSFER = "transfer"  # top-up of the card / transfer between own accounts


@dataclass(frozen=True, slots=True)
class Transaction:
    """One transaction. Amounts are signed from the company's view: money out < 0.

    ``amount`` is in the account (card) currency — what was actually charged;
    ``original_amount`` is in the merchant's currency; ``fx_rate`` is
    account-currency units per original-currency unit (None when the same).
    """

    external_id: str
    kind: TransactionKind
    booking_date: date
    amount: Money
    original_amount: Money
    settlement_date: date | None = None
    merchant_name: str = ""
    merchant_country: str | None = None  # ISO 3166-1 alpha-2
    mcc: str | None = None  # ISO 18245 merchant category code, 4 digits
    cardholder: str = ""
    card_last4: str | None = None
    description: str = ""
    fx_rate: Decimal | None = None
    extra: dict[str, str] = field(default_factory=dict)
