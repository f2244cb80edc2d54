"""How a transaction is booked: one or more coding lines.

A line says on which GL account (and VAT code, cost centre, cost unit,
project) part of the transaction lands. ``vat_amount``, when set, is the VAT the
receipt states for the line (signed like ``amount``); otherwise it is computed from the
VAT code's rate. Lines store Exact *codes* as strings;
GUIDs are looked up from the dimensions at export time. A line's ``amount`` is
the GROSS amount that part cost — what was paid — signed like the transaction
(a card payment's lines are negative, a refund's positive).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledgerbridge.domain.errors import InvalidCoding
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.transactions import Transaction


@dataclass(frozen=True, slots=True)
class CodingLine:
    """One line: where ``amount`` (gross, signed like the transaction) is booked.

    Codes are stripped; empty optional codes become None. Raises
    ``InvalidCoding`` for a line without GL account or a zero amount.
    """

    gl_account: str
    amount: Money
    vat_code: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    description: str = ""
    vat_amount: Money | None = None  # the VAT the receipt states, signed like ``amount``

    def __post_init__(self) -> None:
        gl_account = self.gl_account.strip() if isinstance(self.gl_account, str) else ""
        if not gl_account:
            raise InvalidCoding("a coding line needs a GL account")
        if not isinstance(self.amount, Money):
            raise InvalidCoding(f"GL account {gl_account}: amount {self.amount!r} is not money")
        if self.amount.is_zero:
            raise InvalidCoding(f"GL account {gl_account}: a coding line cannot be zero")
        if self.vat_amount is not None and not isinstance(self.vat_amount, Money):
            raise InvalidCoding(f"GL account {gl_account}: VAT {self.vat_amount!r} is not money")
        object.__setattr__(self, "gl_account", gl_account)
        for name in ("vat_code", "cost_center", "cost_unit", "project"):
            object.__setattr__(self, name, _code_or_none(getattr(self, name)))


def _code_or_none(value: str | None) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Coding:
    """The lines of one transaction: at least one, all in one currency.

    ``Coding(lines)`` checks only the lines themselves; ``Coding.for_transaction``
    also checks that they add up exactly to the transaction's amount.
    """

    lines: tuple[CodingLine, ...]

    def __post_init__(self) -> None:
        lines = tuple(self.lines)
        if not lines:
            raise InvalidCoding("a coding needs at least one line")
        currencies = sorted({line.amount.currency for line in lines})
        if len(currencies) > 1:
            raise InvalidCoding(f"coding lines mix currencies: {', '.join(currencies)}")
        object.__setattr__(self, "lines", lines)

    @property
    def currency(self) -> str:
        return self.lines[0].amount.currency

    @property
    def total(self) -> Money:
        return Money.total((line.amount for line in self.lines), self.currency)

    @classmethod
    def for_transaction(cls, txn: Transaction, lines: Iterable[CodingLine]) -> Coding:
        """The coding of ``txn``; raises ``InvalidCoding`` naming what does not fit.

        The lines must be in the transaction's account currency (what the card
        was charged) and add up to its amount to the cent.
        """
        return cls.for_amount(txn.amount, lines)

    @classmethod
    def for_amount(cls, paid: Money, lines: Iterable[CodingLine]) -> Coding:
        """The coding of a transaction of ``paid`` (its signed amount, in the account
        currency); raises ``InvalidCoding`` as ``for_transaction`` does."""
        coding = cls(tuple(lines))
        if coding.currency != paid.currency:
            raise InvalidCoding(
                f"coding lines are in {coding.currency}, the transaction is in "
                f"{paid.currency} (code the amount the card was charged)"
            )
        if coding.total != paid:
            raise InvalidCoding(_mismatch(coding.total, paid))
        return coding


def _mismatch(total: Money, expected: Money) -> str:
    gap = abs(expected - total)
    what = "unassigned" if abs(total) < abs(expected) else "too much"
    return f"lines add up to {total}, the transaction is {expected}: {gap} {what}"
