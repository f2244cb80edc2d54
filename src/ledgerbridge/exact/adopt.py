"""The write-outcome contract: create, or adopt what an earlier attempt already wrote.

Exact has no idempotency key (EXACT_API.md §5), so every create takes our reference, fixed
before the first attempt (like stripe's idempotency key), and ``ExactWriter`` offers each
write the export makes as ``create_or_adopt_*``:

- happy path: one call, the create (no lookup first: API calls are scarce);
- the create raised ``ExactOutcomeUnknown`` (any 5xx, a timeout or reset after sending, a
  success we cannot read): look the object up by our reference —
  found: adopt it (``Written.outcome == "adopted"``);
  not found and Exact answered its validation text (``ExactOutcomeUnknown.rejection``, a
  500 with Exact's JSON error body): raise that ``ExactRejected`` (a person must act);
  otherwise: raise ``ExactUnavailable`` (transient; the caller retries later);
  the lookup itself refused (a 400, 403, a validation text): ``ExactUnavailable`` as well —
  the outcome is still unknown, so it is never taken for a refusal of the write;
- a retry of a reference whose outcome was unknown looks up first, then creates: the writer
  remembers such references for its lifetime, and a caller that knows (e.g. from its own
  records, after a restart) passes ``look_up_first=True``. The reference makes that safe.

Where our reference lives, per object (and what that assumes):

- purchase entry: ``ExternalLinkReference`` (a free text field, §4.7; ``YourRef`` stays the
  supplier's invoice number, which is not unique). Looked up by ``Supplier`` and
  ``EntryDate`` (documented filterable) and compared here, because filtering on
  ``ExternalLinkReference`` is UNCONFIRMED. With ``client_entry_id_honoured`` (only when the
  probe's "client EntryID accepted" said yes — UNCONFIRMED otherwise, and never assumed) the
  entry is also posted with ``EntryID`` = ``client_entry_id(division, reference)`` and looked
  up by that key first; a resend with it is refused by Exact ("In gebruik") rather than
  booked twice;
- document: its ``Subject`` carries the reference (``api.document_subject``), looked up with
  ``Subject eq`` (§5 strategy 3);
- attachment: (document, file name), looked up with ``Document eq … and FileName eq …``;
- bank entry and its lines: line n carries ``"{reference}/{n}"`` in ``Notes`` (``OurRef`` is
  the paid invoice's entry number, ``Description`` is for people; bank entries have no
  header reference field); looked up with ``Notes eq`` on BankEntryLines — filterability
  UNCONFIRMED (the probe checks it);
- supplier: code (trimmed), else VAT number, else exact name (``api.find_supplier``).

Assumed UNCONFIRMED answers: a validation failure is a 500 with Exact's OData error JSON and
a committed write behind a failing front end is not (``answers.is_validation_answer``);
Exact's reads see a write as soon as it committed (no lag before the lookup).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, Literal, TypeVar

from ledgerbridge.exact.api import ExactApi, document_subject
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactBudgetExhausted,
    ExactError,
    ExactOutcomeUnknown,
    ExactRateLimited,
    ExactUnavailable,
)
from ledgerbridge.exact.models import (
    Attachment,
    BankEntry,
    BankEntryDraft,
    Document,
    PurchaseEntry,
    PurchaseEntryDraft,
    Supplier,
)

T = TypeVar("T")
Outcome = Literal["created", "adopted"]
_ENTRY_ID_NAMESPACE = uuid.UUID("6f1c7a52-3d0e-4b8e-9a51-2f5f3c1d7e90")


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    """What a ``create_or_adopt_*`` call left in Exact, and whether this call created it."""

    record: T
    outcome: Outcome

    @property
    def created(self) -> bool:
        return self.outcome == "created"


def client_entry_id(division: int, reference: str) -> str:
    """The client ``EntryID`` for our reference in a division: the same on every attempt."""
    return str(uuid.uuid5(_ENTRY_ID_NAMESPACE, f"{division}:{reference}"))


class ExactWriter:
    """Creates in Exact so that a retry never writes twice; see the module docstring."""

    def __init__(self, api: ExactApi, *, client_entry_id_honoured: bool = False) -> None:
        self.api = api
        self.client_entry_id_honoured = client_entry_id_honoured
        self._unknown: set[tuple[str, str]] = set()

    @property
    def in_doubt(self) -> bool:
        """Whether a write this writer sent has an outcome still unknown (not looked up)."""
        return bool(self._unknown)

    def entry_id_for(self, reference: str) -> str:
        return client_entry_id(self.api.division, reference)

    def create_or_adopt_purchase_entry(
        self, draft: PurchaseEntryDraft, reference: str, *, look_up_first: bool = False
    ) -> Written[PurchaseEntry]:
        entry_id = self.entry_id_for(reference) if self.client_entry_id_honoured else None

        def find() -> PurchaseEntry | None:
            if entry_id is not None:
                found = self.api.get_purchase_entry(entry_id)
                if found is not None:
                    return found
            return self.api.find_purchase_entry_by_reference(
                draft.supplier_id, draft.entry_date, reference
            )

        return self._create_or_adopt(
            ("purchase entry", reference),
            lambda: self.api.create_purchase_entry(draft, reference, entry_id=entry_id),
            find,
            look_up_first,
        )

    def create_or_adopt_document(
        self,
        reference: str,
        document_type: int,
        *,
        subject: str | None = None,
        account_id: str | None = None,
        document_date: date | None = None,
        look_up_first: bool = False,
    ) -> Written[Document]:
        full_subject = document_subject(reference, subject)
        return self._create_or_adopt(
            ("document", full_subject),
            lambda: self.api.create_document(
                reference,
                document_type,
                subject=subject,
                account_id=account_id,
                document_date=document_date,
            ),
            lambda: self.api.find_document(full_subject),
            look_up_first,
        )

    def create_or_adopt_attachment(
        self, document_id: str, filename: str, content: bytes, *, look_up_first: bool = False
    ) -> Written[Attachment]:
        def create() -> Attachment:
            attachment_id = self.api.attach(document_id, filename, content)
            return Attachment(attachment_id, document_id, filename)

        return self._create_or_adopt(
            ("attachment", f"{document_id}/{filename}"),
            create,
            lambda: self.api.find_attachment(document_id, filename),
            look_up_first,
        )

    def create_or_adopt_bank_entry(
        self, draft: BankEntryDraft, reference: str, *, look_up_first: bool = False
    ) -> Written[BankEntry]:
        return self._create_or_adopt(
            ("bank entry", reference),
            lambda: self.api.create_bank_entry(draft, reference),
            lambda: self.api.find_bank_entry(reference),
            look_up_first,
        )

    def create_or_adopt_supplier(
        self,
        name: str,
        country: str,
        vat_number: str | None = None,
        *,
        code: str | None = None,
        look_up_first: bool = False,
    ) -> Written[Supplier]:
        return self._create_or_adopt(
            ("supplier", code or vat_number or name),
            lambda: self.api.create_supplier(name, country, vat_number, code=code),
            lambda: self.api.find_supplier(vat_number=vat_number, name=name, code=code),
            look_up_first,
        )

    def _create_or_adopt(
        self,
        key: tuple[str, str],
        create: Callable[[], T],
        find: Callable[[], T | None],
        look_up_first: bool,
    ) -> Written[T]:
        if look_up_first or key in self._unknown:
            found = self._look_up(key, find)
            if found is not None:
                return Written(found, "adopted")
        try:
            record = create()
        except ExactOutcomeUnknown as unknown:
            self._unknown.add(key)
            found = self._look_up(key, find)
            if found is not None:
                return Written(found, "adopted")
            if unknown.rejection is not None:
                self._unknown.discard(key)
                raise unknown.rejection from unknown
            kind, reference = key
            raise ExactUnavailable(
                f"{kind} {reference!r}: the write's outcome was unknown ({unknown.message}) "
                "and a lookup found nothing; retry later (the retry looks it up first)",
                status=unknown.status,
            ) from unknown
        self._unknown.discard(key)
        return Written(record, "created")

    def _look_up(self, key: tuple[str, str], find: Callable[[], T | None]) -> T | None:
        """``find``; a lookup Exact refuses leaves the outcome unknown (transient), never a
        refusal of the write: that would let a caller post it again under a new reference."""
        try:
            found = find()
        except (ExactAuthLost, ExactRateLimited, ExactBudgetExhausted, ExactUnavailable):
            raise
        except ExactError as refused:
            kind, reference = key
            raise ExactUnavailable(
                f"{kind} {reference!r}: looking up an earlier write failed ({refused.message}); "
                "retry later (it is looked up again before anything is sent)",
                status=refused.status,
            ) from refused
        if found is not None:
            self._unknown.discard(key)
        return found
