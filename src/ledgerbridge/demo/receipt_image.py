"""Small generated receipts (PNG or PDF) for the demo company.

They look like a till receipt: merchant, date, lines, VAT and total, so a
person opening one in Exact sees what was bought. Deterministic for the same
input, so seeding twice stores the same files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PIL import Image, ImageDraw, ImageFont

from ledgerbridge.domain.money import round_cents

WIDTH, HEIGHT = 360, 420


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    merchant: str
    country: str
    day: date
    total: Decimal  # gross, positive, in ``currency``
    currency: str
    vat_rate: Decimal  # fraction: 0.21 = 21 %; 0 when no VAT is charged
    description: str
    number: str


def vat_of(total: Decimal, rate: Decimal) -> Decimal:
    """The VAT inside a gross ``total`` at ``rate`` (half-up to the cent)."""
    return round_cents(total * rate / (1 + rate))


def _lines(facts: ReceiptFacts) -> list[str]:
    vat = vat_of(facts.total, facts.vat_rate)
    rate_text = f"{facts.vat_rate * 100:.0f}%"
    lines = [
        facts.merchant.upper(),
        f"{facts.country}  receipt {facts.number}",
        facts.day.strftime("%d-%m-%Y"),
        "-" * 34,
        facts.description[:34],
        "-" * 34,
        f"Excl. VAT      {facts.currency} {facts.total - vat:>10.2f}",
        f"VAT {rate_text:<10} {facts.currency} {vat:>10.2f}",
        f"TOTAL          {facts.currency} {facts.total:>10.2f}",
    ]
    if facts.vat_rate == 0:
        lines.append("VAT reverse charged / not charged")
    lines += ["", "Paid by card", "Thank you!"]
    return lines


def render(facts: ReceiptFacts, fmt: str) -> bytes:
    """The receipt as ``"png"`` or ``"pdf"`` bytes."""
    if fmt not in ("png", "pdf"):
        raise ValueError(f"receipt format must be png or pdf, not {fmt!r}")
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    for n, line in enumerate(_lines(facts)):
        draw.text((20, 20 + n * 24), line, fill="black", font=font)
    out = io.BytesIO()
    if fmt == "png":
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="PDF", resolution=72.0, title=f"Receipt {facts.number}")
    return out.getvalue()
