"""VAT codes and the VAT split of coding lines (BOOKKEEPING.md §1–§3, §5, §8, §9).

A ``VatRule`` is what we know of one Exact VAT code: its type (excluding,
including, 0 %, none), its side (purchase/sales/both), its percentages over time
(FRACTIONS: 0.21 is 21 %, as Exact stores them) and whether it is
reverse-charged. ``split_vat`` turns gross coding lines into what the purchase
entry books: net, VAT, and the ``AmountFC`` Exact expects for the code's type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import (
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.errors import DomainError, InvalidCoding
from ledgerbridge.domain.money import Money, round_cents

__all__ = ["VatRate", "VatRule", "VatSplit", "VatTransactionType", "VatType", "split_vat"]


@dataclass(frozen=True, slots=True)
class VatRule:
    """One VAT code as the split needs it. Raises ``DomainError`` for a rate outside 0–1."""

    code: str
    type: VatType
    percentages: tuple[VatRate, ...] = ()
    transaction_type: VatTransactionType = VatTransactionType.PURCHASE
    reverse_charge: bool = False

    def __post_init__(self) -> None:
        rates = tuple(VatRate(*rate) for rate in self.percentages)
        for rate in rates:
            if not (isinstance(rate.fraction, Decimal) and 0 <= rate.fraction < 1):
                raise DomainError(
                    f"VAT code {self.code}: percentage {rate.fraction!r} must be a fraction "
                    "between 0 and 1 (0.21 for 21 %)"
                )
        object.__setattr__(self, "percentages", rates)
        object.__setattr__(self, "type", VatType(self.type))
        object.__setattr__(self, "transaction_type", VatTransactionType(self.transaction_type))

    @property
    def for_purchases(self) -> bool:
        return self.transaction_type is not VatTransactionType.SALES

    def percentage_on(self, day: date) -> Decimal:
        """The rate (a fraction) valid on ``day``; 0 for 0 %/no-VAT codes.

        When periods overlap the one that started last wins. Raises
        ``DomainError`` when no rate of an excluding/including code covers ``day``.
        """
        if self.type in (VatType.ZERO_RATED, VatType.NO_VAT):
            return Decimal(0)
        valid = [rate for rate in self.percentages if rate.valid_on(day)]
        if not valid:
            raise DomainError(f"VAT code {self.code} has no percentage valid on {day.isoformat()}")
        return max(valid, key=lambda rate: rate.start or date.min).fraction

    @classmethod
    def from_facts(cls, code: str, facts: VatCodeFacts) -> VatRule:
        """The rule of VAT code ``code``; ``DomainError`` for a rate outside 0–1."""
        return cls(
            code=code,
            type=facts.type,
            percentages=facts.percentages,
            transaction_type=facts.transaction_type,
            reverse_charge=facts.reverse_charge,
        )

    @classmethod
    def from_dimension(cls, dimension: Dimension) -> VatRule:
        """The rule of a ``vat_code`` dimension; ``DomainError`` naming the code when it
        is no VAT code or has no facts from Exact."""
        if dimension.kind is not DimensionKind.VAT_CODE:
            raise DomainError(f"{dimension.kind.label} {dimension.code} is not a VAT code")
        if not isinstance(dimension.facts, VatCodeFacts):
            raise DomainError(f"VAT code {dimension.code} has no facts from Exact Online")
        return cls.from_facts(dimension.code, dimension.facts)


@dataclass(frozen=True, slots=True)
class VatSplit:
    """What one coding line books: ``net + vat == gross`` (all signed like the line).

    ``amount_fc`` goes to Exact's ``AmountFC`` (gross for an including code, net
    otherwise) and ``vat`` to ``VATAmountFC``.
    """

    net: Money
    vat: Money
    gross: Money
    amount_fc: Money


def split_vat(
    lines: Sequence[CodingLine], rules: Mapping[str, VatRule], day: date
) -> list[VatSplit]:
    """Net and VAT per line, so that the entry's net + VAT equals what was paid.

    Per line (half-up to the cent): net = gross / (1 + rate), VAT = net × rate,
    as Exact computes VAT on a base line; a line's stated ``vat_amount`` wins.
    Reverse-charged, 0 % and no-VAT codes
    (and lines without a VAT code) book the gross as net and no VAT. If rounding
    leaves cents between the lines' total and the sum of net + VAT, they go to
    the net of the largest line (by size, first on a tie), so that line's
    ``gross`` may differ from its coded amount by those cents. Raises
    ``InvalidCoding`` for a VAT code missing from ``rules`` or without a rate on ``day``.
    """
    parts = [_net_and_vat(index, line, rules, day) for index, line in enumerate(lines)]
    if not parts:
        return []
    currency = lines[0].amount.currency
    residue = Money.total((line.amount for line in lines), currency) - Money.total(
        (net + vat for _, net, vat in parts), currency
    )
    if not residue.is_zero:
        largest = max(range(len(lines)), key=lambda i: (abs(lines[i].amount), -i))
        vat_type, net, vat = parts[largest]
        parts[largest] = (vat_type, net + residue, vat)
    return [_finish(vat_type, net, vat) for vat_type, net, vat in parts]


def _net_and_vat(
    index: int, line: CodingLine, rules: Mapping[str, VatRule], day: date
) -> tuple[VatType, Money, Money]:
    gross = line.amount
    rule = _rule(index, line, rules)
    if rule is None or rule.reverse_charge or rule.type in (VatType.ZERO_RATED, VatType.NO_VAT):
        # Reverse charge: the invoice has no VAT; Exact books both sides itself (§3).
        return VatType.NO_VAT, gross, Money.zero(gross.currency)
    try:
        rate = rule.percentage_on(day)
    except DomainError as exc:
        raise InvalidCoding(f"line {index + 1}: {exc}") from exc
    if line.vat_amount is not None:
        return rule.type, gross - line.vat_amount, line.vat_amount
    net = Money.of(gross.amount / (1 + rate), gross.currency)
    return rule.type, net, Money(round_cents(net.amount * rate, net.places), net.currency)


def _rule(index: int, line: CodingLine, rules: Mapping[str, VatRule]) -> VatRule | None:
    if line.vat_code is None:
        return None
    rule = rules.get(line.vat_code)
    if rule is None:
        raise InvalidCoding(f"line {index + 1}: unknown VAT code {line.vat_code}")
    return rule


def _finish(vat_type: VatType, net: Money, vat: Money) -> VatSplit:
    gross = net + vat
    return VatSplit(net, vat, gross, gross if vat_type is VatType.INCLUDING else net)
