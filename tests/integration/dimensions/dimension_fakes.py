"""A small in-memory Exact for the dimension service tests, and database helpers.

``FakeExact`` answers the calls ``services.dimension_gather.DimensionApi`` makes,
honours ``since``/``modified_since`` like Exact's sync and Modified filters, keeps
Exact-style row versions, and counts one call per resource read (one page).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.models.core import Company
from ledgerbridge.db.repositories.transactions import TransactionRepository
from ledgerbridge.domain.money import Money
from ledgerbridge.exact.models import (
    CostCenter,
    CostUnit,
    Deleted,
    Division,
    DocumentType,
    GLAccount,
    Journal,
    Project,
    Supplier,
    VatCode,
    VatPercentage,
)

DIVISION = 3101010
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeExact:
    division: int = DIVISION
    now: datetime = T0
    move_date: datetime | None = None
    stamp: int = 100
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted: list[Deleted] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    failing: dict[str, Exception] = field(default_factory=dict)

    # -- a bookkeeper at work ----------------------------------------------------------------

    def put(self, resource: str, record: Any) -> None:
        """Insert or replace a record, bumping its row version / Modified like Exact does."""
        self.stamp += 1
        fields: dict[str, Any] = {}
        if hasattr(record, "timestamp"):
            fields["timestamp"] = self.stamp
        if hasattr(record, "modified"):
            fields["modified"] = self.now
        self.records.setdefault(resource, {})[record.id] = replace(record, **fields)

    def change(self, resource: str, code: str, **values: Any) -> None:
        record = next(r for r in self.records[resource].values() if r.code == code)
        self.put(resource, replace(record, **values))

    def delete(self, resource: str, code: str, entity_type: int) -> None:
        record = next(r for r in self.records[resource].values() if r.code == code)
        del self.records[resource][record.id]
        self.stamp += 1
        self.deleted.append(Deleted(entity_type, record.id, self.stamp, self.now))

    # -- the API -----------------------------------------------------------------------------

    def _read(self, resource: str) -> list[Any]:
        self.calls[resource] = self.calls.get(resource, 0) + 1
        if resource in self.failing:
            raise self.failing[resource]
        return list(self.records.get(resource, {}).values())

    def _since(self, resource: str, since: int) -> Iterator[Any]:
        return iter([r for r in self._read(resource) if (r.timestamp or 0) > since])

    def _modified(self, resource: str, since: datetime | None) -> Iterator[Any]:
        rows = self._read(resource)
        return iter([r for r in rows if since is None or (r.modified and r.modified >= since)])

    def divisions(self) -> list[Division]:
        self.calls["divisions"] = self.calls.get("divisions", 0) + 1
        return [Division(self.division, "Demo", True, True, 1, "NL", "EUR", None, self.move_date)]

    def sync_gl_accounts(self, since: int) -> Iterator[GLAccount]:
        return self._since("gl_accounts", since)

    def sync_suppliers(self, since: int) -> Iterator[Supplier]:
        """Like the client: changed accounts that are suppliers (customers dropped)."""
        return (a for a in self._since("suppliers", since) if a.is_supplier)

    def sync_accounts(self, since: int) -> Iterator[Supplier]:
        """Every changed account, customers and former suppliers included."""
        return self._since("suppliers", since)

    def sync_projects(self, since: int) -> Iterator[Project]:
        return self._since("projects", since)

    def sync_deleted(self, since: int) -> Iterator[Deleted]:
        self._read("deleted")
        return iter([d for d in self.deleted if d.timestamp > since])

    def vat_codes(self, modified_since: datetime | None = None) -> Iterator[VatCode]:
        return self._modified("vat_codes", modified_since)

    def journals(self, modified_since: datetime | None = None) -> Iterator[Journal]:
        return self._modified("journals", modified_since)

    def cost_centers(self, modified_since: datetime | None = None) -> Iterator[CostCenter]:
        return self._modified("cost_centers", modified_since)

    def cost_units(self, modified_since: datetime | None = None) -> Iterator[CostUnit]:
        return self._modified("cost_units", modified_since)

    def document_types(self) -> list[DocumentType]:
        return list(self._read("document_types"))


def guid(n: int) -> str:
    return str(uuid.UUID(int=n))


def demo_exact() -> FakeExact:
    """A small administration: 3 GL accounts, 2 VAT codes, cost centres/units, projects…"""
    exact = FakeExact()
    for n, (code, gl_type, blocked) in enumerate([("4000", 121, False), ("4100", 121, False),
                                                  ("1100", 12, False)], 1):  # fmt: skip
        exact.put("gl_accounts", GLAccount(guid(n), code, f"GL {code}", gl_type, "W", blocked,
                                           "2", 0, 0, None, None))  # fmt: skip
    rate = (VatPercentage(Decimal("0.21"), None, None),)
    exact.put("vat_codes", VatCode(guid(10), "2", "BTW hoog", "I", "P", False, Decimal("0.21"),
                                   rate, False, None))  # fmt: skip
    exact.put("vat_codes", VatCode(guid(11), "5", "BTW verkoop", "E", "S", False,
                                   Decimal("0.21"), rate, False, None))  # fmt: skip
    exact.put("cost_centers", CostCenter(guid(20), "KP1", "Sales", None, None))
    exact.put("cost_centers", CostCenter(guid(21), "KP2", "Support", None, None))
    exact.put("cost_units", CostUnit(guid(30), "KD1", "Product A", None, None))
    exact.put("projects", Project(guid(40), "P-100", "Launch", 3, None, None, None, None))
    exact.put("journals", Journal(guid(50), "60", "Inkoop", 22, "EUR", False, None))
    exact.put("suppliers", Supplier(guid(60), "1068", "Shell", "NL001B01", None, "NL", False,
                                    True, "2", None, None))  # fmt: skip
    exact.put("suppliers", Supplier(guid(61), "1069", "KLM", None, None, "NL", False, True,
                                    None, None, None))  # fmt: skip
    exact.records["document_types"] = {"20": DocumentType(20, "Purchase invoice", 2, True)}
    return exact


def add_company(session_factory: sessionmaker[Session], slug: str = "acme") -> uuid.UUID:
    with session_factory.begin() as session:
        company = Company(slug=slug, name=f"{slug.title()} B.V.", base_currency="EUR")
        session.add(company)
        session.flush()
        return company.id


@dataclass(frozen=True)
class Line:
    gl_account: str | None
    vat_code: str | None = None
    cost_center: str | None = None
    cost_unit: str | None = None
    project: str | None = None
    amount: Money = field(default_factory=lambda: Money.of("-12.10", "EUR"))
    description: str = ""


def add_transaction(
    session_factory: sessionmaker[Session],
    company_id: uuid.UUID,
    external_id: str,
    line: Line,
    *,
    status: str = "to_prepare",
    booked: date = date(2026, 11, 2),
) -> uuid.UUID:
    """A card payment with one coding line, in ``status``."""
    with session_factory.begin() as session:
        repo = TransactionRepository(session)
        row = repo.add(company_id, {
            "external_id": external_id, "kind": "card_payment", "booking_date": booked,
            "merchant_name": "Shell", "amount": Decimal("-12.10"), "currency": "EUR",
            "original_amount": Decimal("-12.10"), "original_currency": "EUR", "status": status,
        })  # fmt: skip
        repo.replace_coding_lines(company_id, row.id, [line])
        return row.id
