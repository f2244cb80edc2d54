"""The export tests' world: a company connected to the in-process sandbox, its dimensions
pulled, complete export settings saved, and helpers to add coded transactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox_world import World

from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.repositories.transactions import TransactionRepository
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy
from ledgerbridge.domain.money import Money
from ledgerbridge.files.store import FileSystemReceiptStore
from ledgerbridge.services.export.saga import ExportDeps, RunResult, run_export
from ledgerbridge.services.export.start import Started, start_export

SETTINGS = ExportSettings(
    purchase_journal="60",
    bank_journal="20",
    generic_supplier="1",
    creditors_account="1600",
    card_account="1105",
    vat_to_claim_account="1520",
    document_type=20,
    receipt_policy=ReceiptPolicy.OPTIONAL,
)


@dataclass
class Exporting:
    """The connected world plus what an export test does with it."""

    world: World

    @property
    def c(self) -> Any:
        return self.world.container

    def add(
        self,
        external_id: str,
        lines: list[tuple[str, str, str | None]],
        *,
        merchant: str = "Coolblue",
        booked: date = date(2026, 11, 2),
        status: str = "ready",
        receipts: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
        kind: str = "card_payment",
        original: tuple[str, str] | None = None,
    ) -> uuid.UUID:
        """A transaction paid ``-sum(amounts)`` with coding lines (gl, gross, vat code); a
        refund is received (+); ``original`` is the merchant's (amount, currency)."""
        sign = 1 if kind == "refund" else -1
        total = -sign * sum((Decimal(a) for _, a, _ in lines), Decimal(0))
        paid, currency = (-total, "EUR") if original is None else (
            sign * Decimal(original[0]), original[1])  # fmt: skip
        store = FileSystemReceiptStore(self.c.settings.receipts_dir)
        with self.c.session_factory.begin() as session:
            repo = TransactionRepository(session)
            row = repo.add(self.world.company_id, {
                "external_id": external_id, "kind": kind, "booking_date": booked,
                "merchant_name": merchant, "amount": -total, "currency": "EUR",
                "original_amount": paid, "original_currency": currency, "status": status,
            })  # fmt: skip
            coded = [_Line(gl, Money.of(sign * Decimal(a), "EUR"), vat) for gl, a, vat in lines]
            repo.replace_coding_lines(self.world.company_id, row.id, coded)
            for name, content in receipts:
                repo.add_receipt(
                    self.world.company_id,
                    row.id,
                    sha256=store.put(content),
                    filename=name,
                    content_type="application/pdf",
                    size_bytes=len(content),
                )
            return row.id

    def start(self, ids: list[uuid.UUID]) -> Started:
        return start_export(self.c.uow, self.c.queue, self.c.now, self.world.company_id, ids,
                            "anna@example.com")  # fmt: skip

    def deps(self) -> ExportDeps:
        store = FileSystemReceiptStore(self.c.settings.receipts_dir)
        return ExportDeps(
            self.c.uow, self.c.gateway, self.c.now, store, self.c.upkeep, self.c.sleep
        )

    def run(self, started: Started) -> RunResult:
        return run_export(self.deps(), self.world.company_id, started.run_id)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.world.sandbox.store.rows(DEMO_DIVISION, table)


@dataclass
class _Line:
    gl_account: str
    amount: Money
    vat_code: str | None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    description: str = ""
