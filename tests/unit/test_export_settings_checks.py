"""Export settings are checked against the synced data before anything is saved: journals
of the right type and not blocked, suppliers and GL accounts that exist and are not
blocked, a document type Exact offers, a description template with only its fields.
A fake unit of work holds the synced dimensions; the service's own code does the rest."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import pytest

from ledgerbridge.domain.dimension_facts import (
    DocumentTypeFacts,
    GLAccountFacts,
    JournalFacts,
    SupplierFacts,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.export_settings import ExportSettings, SupplierStrategy
from ledgerbridge.services.errors import ItemsRefused
from ledgerbridge.services.prep import export_settings

K = DimensionKind
COMPANY = uuid.uuid4()


def synced(kind: DimensionKind, code: str, name: str, **values: Any) -> Dimension:
    return Dimension(kind, code, name, DimensionSource.EXACT, exact_id=f"g-{code}", **values)


SYNCED = [
    synced(K.JOURNAL, "60", "Purchases", facts=JournalFacts(type=22)),
    synced(K.JOURNAL, "61", "Purchases (old)", blocked=True, facts=JournalFacts(type=22)),
    synced(K.JOURNAL, "20", "Credit card", facts=JournalFacts(type=12)),
    synced(K.JOURNAL, "70", "Sales", facts=JournalFacts(type=20)),
    synced(K.SUPPLIER, "CARDS", "Card purchases", facts=SupplierFacts()),
    synced(K.SUPPLIER, "OLD", "Gone B.V.", blocked=True, facts=SupplierFacts()),
    synced(K.GL_ACCOUNT, "1600", "Creditors", facts=GLAccountFacts(type=22)),
    synced(K.GL_ACCOUNT, "1599", "Closed", blocked=True, facts=GLAccountFacts(type=22)),
    synced(K.DOCUMENT_TYPE, "20", "Purchase invoice", facts=DocumentTypeFacts(category=2)),
]


class FakeDimensions:
    def __init__(self, rows: list[Dimension]) -> None:
        self.rows = rows

    def matching(
        self,
        company_id: uuid.UUID,
        keys: Collection[tuple[DimensionKind, str]],
        exact_ids: Collection[tuple[DimensionKind, str]],
    ) -> list[Dimension]:
        return [d for d in self.rows if (d.kind, d.code) in keys]

    def all(self, company_id: uuid.UUID, kind: DimensionKind) -> list[Dimension]:
        return [d for d in self.rows if d.kind == kind]


class FakeSettings:
    def __init__(self) -> None:
        self.stored: dict[uuid.UUID, ExportSettings] = {}

    def get(self, company_id: uuid.UUID) -> ExportSettings:
        return self.stored.get(company_id, ExportSettings())

    def save(self, company_id: uuid.UUID, settings: ExportSettings, *, actor: str) -> None:
        self.stored[company_id] = settings


class FakeAudit:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(self, company_id: uuid.UUID | None, **row: Any) -> None:
        self.rows.append({"company_id": company_id, **row})


class FakeUow:
    def __init__(self, rows: list[Dimension]) -> None:
        self.dimensions = FakeDimensions(rows)
        self.export_settings = FakeSettings()
        self.audit = FakeAudit()
        self.committed = 0

    def __call__(self) -> FakeUow:
        return self

    def __enter__(self) -> FakeUow:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def commit(self) -> None:
        self.committed += 1


GOOD = {
    "purchase_journal": "60",
    "bank_journal": "20",
    "supplier_strategy": "generic",
    "generic_supplier": "CARDS",
    "creditors_account": "1600",
    "document_type": 20,
}


def refused(uow: FakeUow, **values: Any) -> dict[str, str]:
    with pytest.raises(ItemsRefused) as caught:
        export_settings.save(uow, COMPANY, values, actor="ann")
    assert uow.export_settings.stored == {}, "nothing is saved when a field is refused"
    assert uow.audit.rows == [] and uow.committed == 0
    return {item["field"]: item["message"] for item in caught.value.items}


def test_good_settings_are_saved_and_audited_from_to() -> None:
    uow = FakeUow(SYNCED)
    saved = export_settings.save(uow, COMPANY, GOOD, actor="ann")
    assert saved.purchase_journal == "60" and saved.supplier_strategy is SupplierStrategy.GENERIC
    assert uow.export_settings.get(COMPANY) == saved
    (row,) = uow.audit.rows
    assert row["action"] == "export_settings.changed"
    assert row["details"]["purchase_journal"] == {"from": None, "to": "60"}
    assert "receipt_policy" not in row["details"], "only changed fields are audited"
    assert export_settings.check(uow, COMPANY) == []


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"purchase_journal": "20"}, "purchase_journal", "is not a purchase journal (type 22)"),
        ({"purchase_journal": "61"}, "purchase_journal", "journal 61 is blocked"),
        ({"purchase_journal": "99"}, "purchase_journal", "journal 99 does not exist"),
        ({"bank_journal": "70"}, "bank_journal", "is not a bank journal (type 12)"),
        ({"generic_supplier": "OLD"}, "generic_supplier", "supplier OLD is blocked"),
        ({"generic_supplier": "NOPE"}, "generic_supplier", "supplier NOPE does not exist"),
        ({"generic_supplier": ""}, "generic_supplier", "choose which supplier that is"),
        ({"supplier_strategy": "per_merchant", "merchant_suppliers": [["Shell", "NOPE"]]},
         "merchant_suppliers", "supplier NOPE does not exist"),
        ({"merchant_suppliers": [["Shell", ""]]}, "merchant_suppliers",
         "each line needs a merchant and a supplier code"),
        ({"creditors_account": "1599"}, "creditors_account", "GL account 1599 is blocked"),
        ({"vat_to_pay_account": "zzzz"}, "vat_to_pay_account", "GL account zzzz does not exist"),
        ({"document_type": 40}, "document_type", "document type 40 is not one Exact Online"),
        ({"description_template": "%(amount)s"}, "description_template",
         "may only use %(merchant)s, %(cardholder)s"),
        ({"description_template": "%(merchant)d"}, "description_template", "may only use"),
        ({"description_template": "  "}, "description_template", "cannot be empty"),
        ({"supplier_strategy": "cheapest"}, "supplier_strategy", "choose one of generic"),
        ({"receipt_policy": "sometimes"}, "receipt_policy", "choose one of required, optional"),
        ({"colour": "red"}, "colour", "colour is not an export setting"),
    ],
)  # fmt: skip
def test_a_bad_value_is_refused_by_field_and_says_what_to_do(
    change: dict[str, Any], field: str, says: str
) -> None:
    problems = refused(FakeUow(SYNCED), **{**GOOD, **change})
    assert field in problems, problems
    assert says in problems[field]


def test_every_bad_field_is_named_at_once() -> None:
    problems = refused(FakeUow(SYNCED), **{**GOOD, "purchase_journal": "20", "bank_journal": "60"})
    assert set(problems) == {"purchase_journal", "bank_journal"}


def test_a_document_type_is_taken_as_is_while_none_are_synced() -> None:
    uow = FakeUow([d for d in SYNCED if d.kind != K.DOCUMENT_TYPE])
    saved = export_settings.save(uow, COMPANY, {**GOOD, "document_type": 40}, actor="ann")
    assert saved.document_type == 40


def test_check_finds_what_went_wrong_since_the_save() -> None:
    uow = FakeUow(list(SYNCED))
    export_settings.save(uow, COMPANY, GOOD, actor="ann")
    uow.dimensions.rows = [
        synced(K.JOURNAL, "60", "Purchases", blocked=True, facts=JournalFacts(type=22))
        if (d.kind, d.code) == (K.JOURNAL, "60") else d
        for d in uow.dimensions.rows
    ]  # fmt: skip
    (problem,) = export_settings.check(uow, COMPANY)
    assert problem["field"] == "purchase_journal"
    assert "journal 60 is blocked in Exact Online; choose another" in problem["message"]
