"""The demo company: ~300 realistic card transactions over the last three months.

Deterministic for a seed and a day; idempotent (a second run adds nothing).
Merchants are the shared demo merchants the sandbox also knows as suppliers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledgerbridge.db.repositories import TransactionRepository
from ledgerbridge.demo.receipt_image import ReceiptFacts, render
from ledgerbridge.domain.money import round_cents
from ledgerbridge.files.store import ReceiptStore
from ledgerbridge.services.access.secrets import hash_password
from ledgerbridge.services.ports import UnitOfWork

SLUG, NAME, ADMIN = "demo", "Demo B.V.", "admin@demo.example"
# The demo login, printed at every start of the demo; never a real installation's.
ADMIN_PASSWORD = "demo-password"
DAYS = 91
PURCHASES = 280
RECEIPT_SHARE = 0.7
FX_TO_EUR = {"EUR": Decimal(1), "USD": Decimal("0.9210"), "GBP": Decimal("1.1680")}
CARDS = [("Sanne de Vries", "4242"), ("Daan Bakker", "1881"), ("Emma Jansen", "5310")]


@dataclass(frozen=True, slots=True)
class Merchant:
    name: str
    country: str
    mcc: str
    currency: str
    low: int  # typical gross range in whole currency units
    high: int
    vat: Decimal  # fraction on the receipt; 0 for reverse charge / exempt
    weight: int
    what: str


MERCHANTS = [
    Merchant("Albert Heijn", "NL", "5411", "EUR", 4, 80, Decimal("0.09"), 14, "Groceries office"),
    Merchant("Jumbo", "NL", "5411", "EUR", 4, 60, Decimal("0.09"), 8, "Team lunch groceries"),
    Merchant("NS", "NL", "4112", "EUR", 3, 60, Decimal("0.09"), 14, "Train ticket"),
    Merchant("KLM", "NL", "3007", "EUR", 120, 900, Decimal("0"), 3, "Flight AMS-CPH"),
    Merchant("Transavia", "NL", "3136", "EUR", 60, 350, Decimal("0"), 3, "Flight RTM-BCN"),
    Merchant("Coolblue", "NL", "5732", "EUR", 30, 1500, Decimal("0.21"), 4, "Monitor"),
    Merchant("Bol.com", "NL", "5942", "EUR", 10, 300, Decimal("0.21"), 6, "Office supplies"),
    Merchant("Shell", "NL", "5541", "EUR", 40, 110, Decimal("0.21"), 8, "Fuel"),
    Merchant("Q-Park", "NL", "7523", "EUR", 3, 45, Decimal("0.21"), 8, "Parking"),
    Merchant("Hotel V Nesplein", "NL", "7011", "EUR", 120, 380, Decimal("0.09"), 3, "Hotel"),
    Merchant("Restaurant Blauw", "NL", "5812", "EUR", 40, 250, Decimal("0.09"), 5, "Client dinner"),
    Merchant("Gamma", "NL", "5200", "EUR", 10, 200, Decimal("0.21"), 3, "Tools"),
    Merchant("Atlassian", "IE", "5734", "EUR", 10, 500, Decimal("0"), 3, "Jira subscription"),
    Merchant("Google Cloud EMEA", "IE", "5734", "EUR", 20, 800, Decimal("0"), 3, "Cloud usage"),
    Merchant("Slack Technologies", "IE", "5734", "EUR", 7, 300, Decimal("0"), 3, "Slack"),
    Merchant("Amazon Web Services", "US", "5734", "USD", 20, 1200, Decimal("0"), 3, "AWS usage"),
    Merchant("GitHub", "US", "5734", "USD", 4, 250, Decimal("0"), 3, "GitHub Team"),
    Merchant("Zoom", "US", "5734", "USD", 14, 200, Decimal("0"), 3, "Zoom Pro"),
    Merchant("Pret A Manger", "GB", "5814", "GBP", 4, 20, Decimal("0.20"), 3, "Lunch London"),
    Merchant("Premier Inn", "GB", "7011", "GBP", 70, 220, Decimal("0.20"), 2, "Hotel London"),
    Merchant("British Airways", "GB", "3005", "GBP", 90, 700, Decimal("0"), 2, "Flight LHR-AMS"),
    Merchant("Uber", "NL", "4121", "EUR", 8, 60, Decimal("0.09"), 6, "Taxi ride"),
]


@dataclass(frozen=True, slots=True)
class DemoTransaction:
    values: dict[str, Any]
    receipt_format: str | None = None
    vat_rate: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class DemoResult:
    created: int
    receipts: int


def demo_transactions(seed: int, today: date) -> list[DemoTransaction]:
    """The demo set, oldest first; same seed and day → same list."""
    rng = random.Random(seed)
    found = [_purchase(rng, n, today) for n in range(PURCHASES)]
    found += _refunds(rng, found, today)
    found += _monthly(today)
    found.sort(key=lambda t: (t.values["booking_date"], t.values["external_id"]))
    return found


def _purchase(rng: random.Random, n: int, today: date) -> DemoTransaction:
    merchant = rng.choices(MERCHANTS, weights=[m.weight for m in MERCHANTS])[0]
    gross = round_cents(Decimal(rng.randint(merchant.low * 100, merchant.high * 100)) / 100)
    day = today - timedelta(days=rng.randrange(1, DAYS))
    holder, last4 = rng.choice(CARDS)
    # Foreign payments: the issuer's rate moves a little from day to day; euros stay euros.
    jitter = 1 + Decimal(rng.randint(-150, 150)) / 10_000
    rate = FX_TO_EUR[merchant.currency] * jitter if merchant.currency != "EUR" else Decimal(1)
    eur = round_cents(gross * rate)
    values = {
        "external_id": f"demo-{n + 1:04d}",
        "kind": "card_payment",
        "booking_date": day,
        # Settled a day or two after the booking, but never after today.
        "settlement_date": min(day + timedelta(days=rng.choice([0, 1, 1, 2])), today),
        "merchant_name": merchant.name,
        "merchant_country": merchant.country,
        "mcc": merchant.mcc,
        "cardholder": holder,
        "card_last4": last4,
        "description": merchant.what,
        "amount": -eur,
        "currency": "EUR",
        "original_amount": -gross,
        "original_currency": merchant.currency,
        "fx_rate": None if merchant.currency == "EUR" else (eur / gross).quantize(Decimal("1e-10")),
    }
    has_receipt = rng.random() < RECEIPT_SHARE
    return DemoTransaction(
        values, rng.choice(["png", "pdf"]) if has_receipt else None, merchant.vat
    )


def _refunds(
    rng: random.Random, purchases: list[DemoTransaction], today: date
) -> list[DemoTransaction]:
    """A few purchases come back (returned goods, cancelled bookings)."""
    candidates = [
        p for p in purchases if p.values["merchant_name"] in {"Coolblue", "Bol.com", "KLM"}
    ]
    refunds = []
    for n, original in enumerate(rng.sample(candidates, min(6, len(candidates)))):
        v = original.values
        day = min(v["booking_date"] + timedelta(days=rng.randint(2, 10)), today)
        refunds.append(
            DemoTransaction(
                v
                | {
                    "external_id": f"demo-refund-{n + 1:02d}",
                    "kind": "refund",
                    "booking_date": day,
                    "settlement_date": day,
                    "description": f"Refund: {v['description']}",
                    "amount": -v["amount"],
                    "original_amount": -v["original_amount"],
                },
                original.receipt_format,
                original.vat_rate,
            )
        )
    return refunds


def _monthly(today: date) -> list[DemoTransaction]:
    """Per month: the card fee and a top-up of the card account, on the 1st."""
    found = []
    for back in range(3):
        first = (today.replace(day=1) - timedelta(days=back * 28)).replace(day=1)
        month = first.strftime("%Y-%m")
        fee = ("fee", "Card issuer", f"Card fee {month}", Decimal("-4.50"))
        top_up = ("transfer", "Demo B.V. main account", "Card top-up", Decimal("5000.00"))
        found.append(_account_movement(first, f"demo-fee-{month}", *fee))
        found.append(_account_movement(first, f"demo-topup-{month}", *top_up))
    return found


def _account_movement(
    day: date, external_id: str, kind: str, name: str, description: str, amount: Decimal
) -> DemoTransaction:
    """A movement of the card account itself: no card, no merchant category, in euros."""
    return DemoTransaction(
        {
            "external_id": external_id,
            "kind": kind,
            "booking_date": day,
            "settlement_date": day,
            "merchant_name": name,
            "merchant_country": "NL",
            "mcc": None,
            "cardholder": "",
            "card_last4": None,
            "description": description,
            "amount": amount,
            "currency": "EUR",
            "original_amount": amount,
            "original_currency": "EUR",
            "fx_rate": None,
        }
    )


def seed_demo(
    uow: UnitOfWork, store: ReceiptStore, *, seed: int, today: date | None = None
) -> DemoResult:
    """Create the demo company with its transactions and receipts, once.

    Idempotent: when the demo company exists (it is created in the same
    database transaction as its transactions) nothing is added, also not a
    later month's card fee on a restart weeks after. Commits once.
    """
    demo = demo_transactions(seed, today or datetime.now(UTC).date())
    with uow:
        companies = uow.companies
        if companies.by_slug(SLUG) is not None:
            return DemoResult(0, 0)
        company = companies.add(SLUG, NAME, "EUR")
        admin = uow.users.by_email(ADMIN) or uow.users.add(ADMIN, hash_password(ADMIN_PASSWORD))
        uow.members.add(company.id, admin.id, "admin")
        repo = uow.transactions
        inserted = repo.insert_new(company.id, [t.values for t in demo])
        rows = repo.by_external_ids(company.id, inserted)
        with_receipt = [t for t in demo if t.receipt_format is not None]
        for item in with_receipt:
            _attach(repo, store, company.id, rows[item.values["external_id"]].id, item)
        result = DemoResult(len(inserted), len(with_receipt))
        uow.audit.record(
            action="demo.seeded",
            actor="demo",
            company_id=company.id,
            details={"transactions": result.created, "receipts": result.receipts},
        )
        uow.commit()
    return result


def _attach(
    repo: TransactionRepository,
    store: ReceiptStore,
    company_id: Any,
    txn_id: Any,
    item: DemoTransaction,
) -> None:
    v = item.values
    fmt = item.receipt_format or "png"
    facts = ReceiptFacts(
        merchant=v["merchant_name"],
        country=v["merchant_country"],
        day=v["booking_date"],
        total=abs(v["original_amount"]),
        currency=v["original_currency"],
        vat_rate=item.vat_rate,
        description=v["description"],
        number=v["external_id"].upper(),
    )
    data = render(facts, fmt)
    repo.add_receipt(
        company_id,
        txn_id,
        sha256=store.put(data),
        filename=f"{v['external_id']}.{fmt}",
        content_type="image/png" if fmt == "png" else "application/pdf",
        size_bytes=len(data),
        uploaded_by="demo",
    )
