"""Export settings per connection: chosen once by an admin, checked against the synced data.

- ``settings_of``: what the company chose (``ExportSettings()`` when never saved).
- ``save``: every value checked against the master data as synced from Exact — the
  purchase journal is a type-22 journal and the bank journal a type-12 one, neither
  blocked; suppliers exist and are not blocked; the document type is one Exact offers;
  GL accounts exist and are not blocked; the description template uses only the fields
  it may. Any problem refuses the whole request with a sentence per field; nothing is
  saved. A save writes an audit row with each changed value from → to.
- ``check``: the same checks on the stored settings against today's synced data (a
  journal blocked in Exact since it was chosen), for the settings page.
- ``choices``: the synced journals and document types the page offers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from ledgerbridge.db.repositories.export_settings import settings_to_json
from ledgerbridge.domain.dimension_facts import JournalFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind
from ledgerbridge.domain.export_settings import ExportSettings, ReceiptPolicy, SupplierStrategy
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.errors import ItemsRefused
from ledgerbridge.services.ports import UnitOfWork, UnitOfWorkFactory

K = DimensionKind
PURCHASE_JOURNAL, BANK_JOURNAL = 22, 12  # Exact's journal types (EXACT_API.md §4.5)
TEMPLATE_FIELDS = ("merchant", "cardholder", "note", "reference", "date")
GL_SETTINGS = ("creditors_account", "card_account", "vat_to_claim_account", "vat_to_pay_account")
TEXT_MAX = 200


@dataclass(frozen=True, slots=True)
class Choices:
    purchase_journals: list[Dimension]
    bank_journals: list[Dimension]
    document_types: list[Dimension]


def settings_of(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> ExportSettings:
    with uow_factory() as uow:
        return uow.export_settings.get(company_id)


def choices(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> Choices:
    with uow_factory() as uow:
        journals = uow.dimensions.all(company_id, K.JOURNAL)
        documents = uow.dimensions.all(company_id, K.DOCUMENT_TYPE)

    def of_type(wanted: int) -> list[Dimension]:
        return [d for d in journals if isinstance(d.facts, JournalFacts)
                and d.facts.type == wanted and not d.blocked]  # fmt: skip

    creatable = [d for d in documents if not d.blocked]
    return Choices(of_type(PURCHASE_JOURNAL), of_type(BANK_JOURNAL), creatable)


def save(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    values: Mapping[str, Any],
    *,
    actor: str,
) -> ExportSettings:
    """Replace the settings by ``values`` (every field of ``ExportSettings`` that is given;
    the others keep their stored value). ``ItemsRefused`` lists each bad field."""
    with uow_factory() as uow:
        before = uow.export_settings.get(company_id)
        wanted, refused = _read(before, values)
        if not refused:
            refused = _problems(uow, company_id, wanted)
        if refused:
            raise ItemsRefused(
                f"{len(refused)} export settings cannot be saved; nothing was saved", refused
            )
        uow.export_settings.save(company_id, wanted, actor=actor)
        old, new = settings_to_json(before), settings_to_json(wanted)
        changed = {key: {"from": old[key], "to": new[key]} for key in new if old[key] != new[key]}
        if changed:
            uow.audit.record(company_id, action="export_settings.changed", actor=actor,
                             subject_type="export_settings", subject_id=company_id,
                             details=changed)  # fmt: skip
        uow.commit()
    return wanted


def check(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[dict[str, str]]:
    """What is wrong with the stored settings against the data as synced now."""
    with uow_factory() as uow:
        return _problems(uow, company_id, uow.export_settings.get(company_id))


def _problem(field: str, message: str) -> dict[str, str]:
    return {"id": "", "field": field, "message": message}


def _read(
    before: ExportSettings, values: Mapping[str, Any]
) -> tuple[ExportSettings, list[dict[str, str]]]:
    known = {f.name for f in fields(ExportSettings)}
    refused = [_problem(key, N_("%(field)s is not an export setting", field=key))
               for key in values if key not in known]  # fmt: skip
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            continue
        try:
            changes[key] = _value(key, value)
        except ValueError as error:
            refused.append(_problem(key, str(error)))
    if refused:
        return before, refused
    return replace(before, **changes), []


def _value(key: str, value: Any) -> Any:
    if key == "supplier_strategy":
        return _choice(SupplierStrategy, value)
    if key == "receipt_policy":
        return _choice(ReceiptPolicy, value)
    if key in ("book_in_original_currency", "create_missing_suppliers"):
        if not isinstance(value, bool):
            raise ValueError(N_("choose yes or no"))
        return value
    if key == "document_type":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(N_("choose a document type from the list"))
        try:
            return int(value)
        except ValueError:
            raise ValueError(N_("choose a document type from the list")) from None
    if key == "merchant_suppliers":
        return _merchant_suppliers(value)
    if value is not None and not isinstance(value, str):
        raise ValueError(N_("a text is expected here"))
    text = (value or "").strip()
    if len(text) > TEXT_MAX:
        raise ValueError(N_("at most %(max)s characters", max=TEXT_MAX))
    if key == "description_template":
        return text
    return text or None


def _choice(kind: type[SupplierStrategy] | type[ReceiptPolicy], value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise ValueError(N_("choose one of %(options)s", options=options)) from None


def _merchant_suppliers(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(N_("a list of merchant and supplier pairs is expected"))
    pairs: list[tuple[str, str]] = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2
                and all(isinstance(part, str) for part in item)):  # fmt: skip
            raise ValueError(N_("each line needs a merchant and a supplier code"))
        merchant, code = item[0].strip(), item[1].strip()
        if merchant or code:
            if not (merchant and code):
                raise ValueError(N_("each line needs a merchant and a supplier code"))
            pairs.append((merchant, code))
    return tuple(pairs)


def _problems(uow: UnitOfWork, company_id: uuid.UUID, s: ExportSettings) -> list[dict[str, str]]:
    keys: set[tuple[DimensionKind, str]] = set()
    for code in (s.purchase_journal, s.bank_journal):
        if code:
            keys.add((K.JOURNAL, code))
    for code in (s.generic_supplier, *(code for _, code in s.merchant_suppliers)):
        if code:
            keys.add((K.SUPPLIER, code))
    for name in GL_SETTINGS:
        if code := getattr(s, name):
            keys.add((K.GL_ACCOUNT, code))
    found = {(d.kind, d.code): d for d in uow.dimensions.matching(company_id, keys, ())}
    documents = uow.dimensions.all(company_id, K.DOCUMENT_TYPE)
    problems = [
        *_journal(found, "purchase_journal", s.purchase_journal, PURCHASE_JOURNAL),
        *_journal(found, "bank_journal", s.bank_journal, BANK_JOURNAL),
        *_supplier(found, "generic_supplier", s.generic_supplier),
        *(p for _, code in s.merchant_suppliers
          for p in _supplier(found, "merchant_suppliers", code)),
        *(p for name in GL_SETTINGS for p in _gl(found, name, getattr(s, name))),
        *_document_type(documents, s.document_type),
        *_template(s.description_template),
    ]  # fmt: skip
    if s.supplier_strategy is SupplierStrategy.GENERIC and not s.generic_supplier:
        problems.append(_problem("generic_supplier", N_(
            "with one generic supplier, choose which supplier that is")))  # fmt: skip
    return problems


def _journal(
    found: Mapping[tuple[DimensionKind, str], Dimension], field: str, code: str | None, wanted: int
) -> list[dict[str, str]]:
    if not code:
        return []
    journal = found.get((K.JOURNAL, code))
    if journal is None:
        return [_problem(field, N_(
            "journal %(code)s does not exist in the synced data; choose one from the list",
            code=code))]  # fmt: skip
    if journal.blocked:
        return [
            _problem(
                field, N_("journal %(code)s is blocked in Exact Online; choose another", code=code)
            )
        ]
    kind = journal.facts.type if isinstance(journal.facts, JournalFacts) else None
    if kind != wanted:
        template = (N_("journal %(code)s is not a purchase journal (type 22); choose one that is",
                       code=code) if wanted == PURCHASE_JOURNAL else
                    N_("journal %(code)s is not a bank journal (type 12); choose the journal that "
                       "stands for the card or account", code=code))  # fmt: skip
        return [_problem(field, template)]
    return []


def _supplier(
    found: Mapping[tuple[DimensionKind, str], Dimension], field: str, code: str | None
) -> list[dict[str, str]]:
    if not code:
        return []
    supplier = found.get((K.SUPPLIER, code))
    if supplier is None:
        return [_problem(field, N_(
            "supplier %(code)s does not exist in the synced data; choose one from the list",
            code=code))]  # fmt: skip
    if supplier.blocked:
        return [
            _problem(
                field, N_("supplier %(code)s is blocked in Exact Online; choose another", code=code)
            )
        ]
    return []


def _gl(
    found: Mapping[tuple[DimensionKind, str], Dimension], field: str, code: str | None
) -> list[dict[str, str]]:
    if not code:
        return []
    account = found.get((K.GL_ACCOUNT, code))
    if account is None:
        return [_problem(field, N_(
            "GL account %(code)s does not exist in the synced data; choose one from the list",
            code=code))]  # fmt: skip
    if account.blocked:
        return [
            _problem(
                field,
                N_("GL account %(code)s is blocked in Exact Online; choose another", code=code),
            )
        ]
    return []


def _document_type(documents: Sequence[Dimension], wanted: int) -> list[dict[str, str]]:
    if not documents:
        return []  # not synced (yet): Exact's own default is used as is
    usable = {d.code for d in documents if not d.blocked}
    if str(wanted) in usable:
        return []
    return [_problem("document_type", N_(
        "document type %(code)s is not one Exact Online offers; choose one from the list",
        code=wanted))]  # fmt: skip


def _template(template: str) -> list[dict[str, str]]:
    sample = dict.fromkeys(TEMPLATE_FIELDS, "x")
    allowed = ", ".join(f"%({name})s" for name in TEMPLATE_FIELDS)
    try:
        rendered = template % sample
    except (KeyError, ValueError, TypeError):
        return [_problem("description_template", N_(
            "the description may only use %(allowed)s", allowed=allowed))]  # fmt: skip
    if not rendered.strip():
        return [_problem("description_template", N_(
            "the description cannot be empty; use for example %(example)s",
            example="%(merchant)s - %(cardholder)s"))]  # fmt: skip
    return []
