"""Checks of EXACT_API.md §8 for a first real (test) division: what does Exact really do?

``run_probe(api, write=False)`` only reads. With ``write=True`` it creates a test
supplier, documents and purchase entries, and deletes everything it made (also when
a check fails). Every check ends in a ``ProbeCheck``; one failing check never stops
the others.

A write refused with Exact's validation text arrives as ``ExactOutcomeUnknown`` carrying
the rejection (a write 5xx is never a certain answer); the probe reads that rejection.
"client EntryID accepted" = yes is what allows ``ExactWriter(client_entry_id_honoured=True)``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.errors import ExactError, ExactOutcomeUnknown, ExactRejected
from ledgerbridge.exact.models import (
    GLAccount,
    Journal,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
    Supplier,
)

Outcome = Literal["yes", "no", "skipped", "error"]
ATTACHMENT_SIZES_MB = (1, 4, 7, 10, 15, 25)
PROBE_SUPPLIER = "LedgerBridge probe supplier"


# Exact's P&L cost types (EXACT_API.md §4.1): what the probe's test entries book on —
# not revenue (110) or income (140, 160), which a purchase line may not carry everywhere.
COST_TYPES = frozenset({111, 120, 121, 122, 123, 125, 126, 130})


@dataclass(frozen=True, slots=True)
class ProbeCheck:
    name: str
    outcome: Outcome
    detail: str


@dataclass
class ProbeReport:
    division: int
    checks: list[ProbeCheck] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines, one per check."""
        return [f"[{c.outcome:>7}] {c.name}: {c.detail}" for c in self.checks]


@dataclass
class _Fixture:
    """What the write checks need; everything created is deleted afterwards."""

    supplier: Supplier
    journal: Journal
    cost_account: GLAccount
    blocked_account: GLAccount | None
    created_entries: list[str] = field(default_factory=list)
    created_documents: list[str] = field(default_factory=list)


def run_probe(api: ExactApi, *, write: bool, today: date | None = None) -> ProbeReport:
    """Run the checks against ``api``'s division; read-only unless ``write``."""
    report = ProbeReport(api.division)
    day = today or datetime.now(UTC).date()
    _check(report, "user and division readable", lambda: _who(api))
    _check(report, "document type 20 exists and is creatable", lambda: _document_type(api))
    _check(report, "ExternalLinkReference filterable", lambda: _link_filter(api))
    _check(report, "BankEntryLines Notes filterable", lambda: _notes_filter(api))
    write_checks = (
        "client EntryID accepted",
        "attachment size ceiling",
        "blocked GL account answer",
        "closed period answer",
    )
    if not write:
        for name in write_checks:
            report.checks.append(ProbeCheck(name, "skipped", "needs write=True"))
        return report
    with _fixture(api, report) as fixture:
        if fixture is None:
            return report
        _check(report, write_checks[0], lambda: _client_entry_id(api, fixture, day))
        _check(report, write_checks[1], lambda: _attachment_ceiling(api, fixture, day))
        _check(report, write_checks[2], lambda: _blocked_gl(api, fixture, day))
        _check(report, write_checks[3], lambda: _closed_period(api, fixture, day))
    return report


def _check(report: ProbeReport, name: str, run: Callable[[], tuple[Outcome, str]]) -> None:
    try:
        outcome, detail = run()
    except ExactError as exc:
        outcome, detail = "error", f"{type(exc).__name__}: {exc}"
    report.checks.append(ProbeCheck(name, outcome, detail))


def _who(api: ExactApi) -> tuple[Outcome, str]:
    me = api.me()
    return "yes", f"{me.full_name or me.user_name} (browser division {me.current_division})"


def _document_type(api: ExactApi) -> tuple[Outcome, str]:
    types = {t.id: t for t in api.document_types()}
    found = types.get(20)
    if found is None:
        return "no", f"types offered: {sorted(types)}"
    return ("yes" if found.creatable else "no"), f"20 = {found.description!r}"


def _link_filter(api: ExactApi) -> tuple[Outcome, str]:
    try:
        api.find_purchase_entry_by_link(f"ledgerbridge-probe-{uuid.uuid4()}")
    except ExactRejected as exc:
        return "no", exc.message
    return "yes", "a $filter on ExternalLinkReference was accepted"


def _notes_filter(api: ExactApi) -> tuple[Outcome, str]:
    try:
        api.find_bank_entry_line(f"ledgerbridge-probe-{uuid.uuid4()}", 1)
    except ExactRejected as exc:
        return "no", exc.message
    return "yes", "a $filter on BankEntryLines Notes was accepted"


def _refused(exc: ExactError) -> ExactRejected | None:
    """The rejection a write's error means, if it is one (see the module docstring)."""
    if isinstance(exc, ExactRejected):
        return exc
    return exc.rejection if isinstance(exc, ExactOutcomeUnknown) else None


@contextmanager
def _fixture(api: ExactApi, report: ProbeReport) -> Iterator[_Fixture | None]:
    try:
        fixture = _prepare(api)
    except (ExactError, LookupError) as exc:
        report.checks.append(ProbeCheck("write checks", "error", f"cannot prepare: {exc}"))
        yield None
        return
    try:
        yield fixture
    finally:
        _clean_up(api, fixture, report)


def _prepare(api: ExactApi) -> _Fixture:
    journal = next(j for j in api.journals() if j.type == 22 and not j.blocked)
    accounts = [a for a in api.gl_accounts_bulk() if a.type in COST_TYPES]
    usable = next(
        a for a in accounts if not a.blocked and a.use_cost_center != 1 and a.use_cost_unit != 1
    )
    blocked = next((a for a in accounts if a.blocked), None)
    supplier = api.find_supplier(name=PROBE_SUPPLIER) or api.create_supplier(PROBE_SUPPLIER, "NL")
    return _Fixture(supplier, journal, usable, blocked)


def _clean_up(api: ExactApi, fixture: _Fixture, report: ProbeReport) -> None:
    leftovers = []
    steps: list[tuple[Callable[[str], None], str]]
    steps = [(api.delete_purchase_entry, e) for e in fixture.created_entries]
    steps += [(api.delete_document, d) for d in fixture.created_documents]
    steps.append((api.delete_supplier, fixture.supplier.id))
    for delete, key in steps:
        try:
            delete(key)
        except ExactError as exc:
            leftovers.append(f"{key} ({exc})")
    outcome: Outcome = "error" if leftovers else "yes"
    detail = "left behind: " + ", ".join(leftovers) if leftovers else "all test records deleted"
    report.checks.append(ProbeCheck("clean-up", outcome, detail))


def _draft(fixture: _Fixture, day: date, account: GLAccount) -> PurchaseEntryDraft:
    line = PurchaseEntryLineDraft(account.id, Decimal("1.00"), description="LedgerBridge probe")
    return PurchaseEntryDraft(
        journal=fixture.journal.code,
        supplier_id=fixture.supplier.id,
        entry_date=day,
        currency="EUR",
        lines=(line,),
        your_ref=f"probe-{uuid.uuid4().hex[:12]}",
        description="LedgerBridge probe (deleted again)",
    )


def _post(
    api: ExactApi, fixture: _Fixture, draft: PurchaseEntryDraft, entry_id: str | None = None
) -> str:
    reference = f"ledgerbridge-probe-{uuid.uuid4().hex[:12]}"
    entry = api.create_purchase_entry(draft, reference, entry_id=entry_id)
    fixture.created_entries.append(entry.entry_id)
    return entry.entry_id


def _client_entry_id(api: ExactApi, fixture: _Fixture, day: date) -> tuple[Outcome, str]:
    ours = str(uuid.uuid4())
    stored = _post(api, fixture, _draft(fixture, day, fixture.cost_account), ours)
    if stored != ours:
        return "no", f"Exact replaced our EntryID with {stored}"
    try:
        _post(api, fixture, _draft(fixture, day, fixture.cost_account), ours)
    except ExactError as exc:
        refused = _refused(exc)
        if refused is None:
            raise
        return "yes", f"kept our EntryID; a second post with it was refused: {refused.message}"
    return "no", "kept our EntryID but accepted a second entry with the same one"


def _attachment_ceiling(api: ExactApi, fixture: _Fixture, day: date) -> tuple[Outcome, str]:
    document = api.create_document(
        "LedgerBridge probe attachment", 20, account_id=fixture.supplier.id, document_date=day
    )
    fixture.created_documents.append(document.id)
    largest = 0
    for size in ATTACHMENT_SIZES_MB:
        try:
            api.attach(document.id, f"probe-{size}mb.pdf", b"%PDF" + b"0" * (size * 2**20 - 4))
        except ExactError as exc:
            refused = _refused(exc)
            if refused is None:
                raise
            return "yes", f"{largest} MB accepted, {size} MB refused: {refused.message}"
        largest = size
    return "yes", f"every size up to {largest} MB accepted"


def _refusal(api: ExactApi, fixture: _Fixture, draft: PurchaseEntryDraft) -> tuple[Outcome, str]:
    try:
        _post(api, fixture, draft)
    except ExactError as exc:
        refused = _refused(exc)
        if refused is None:
            raise
        return "yes", f"HTTP {refused.status} ({refused.language or '?'}): {refused.message}"
    return "no", "Exact accepted the entry (deleted again)"


def _blocked_gl(api: ExactApi, fixture: _Fixture, day: date) -> tuple[Outcome, str]:
    if fixture.blocked_account is None:
        return "skipped", "no blocked cost account in this division"
    return _refusal(api, fixture, _draft(fixture, day, fixture.blocked_account))


def _closed_period(api: ExactApi, fixture: _Fixture, day: date) -> tuple[Outcome, str]:
    # Last year's first period is the one most likely closed in a test division; the
    # report names the date so a different answer ("unknown fiscal year") is readable.
    past = date(day.year - 1, 1, 15)
    outcome, detail = _refusal(api, fixture, _draft(fixture, past, fixture.cost_account))
    return outcome, f"entry dated {past}: {detail}"
