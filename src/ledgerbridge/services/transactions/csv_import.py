"""Importing transactions from a CSV file, streamed.

Contract: all-or-nothing. Every bad row is reported with its line number and
reason (the first ``MAX_REPORTED`` of them); if there is any, nothing is
saved. Rows whose ``external_id`` the company already has are skipped and
counted. The file is read row by row and written in chunks inside one
database transaction, so memory does not grow with the file size.

Accepted: UTF-8 with or without BOM; ',' or ';' between fields (decided by
the header line); decimal point or comma in amounts ("1234.56", "1.234,56").
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from ledgerbridge.db.repositories import TransactionRepository
from ledgerbridge.services.companies import CompanyNotChosen, UnknownCompany, resolve_company
from ledgerbridge.services.ports import UnitOfWork, UnitOfWorkFactory
from ledgerbridge.services.prep import rules
from ledgerbridge.services.transactions.input import FIELDS, parse_transaction
from ledgerbridge.services.transactions.intake import ItemError

REQUIRED = ("external_id", "booking_date", "amount", "currency")
CHUNK = 2000
MAX_REPORTED = 1000


class CsvImportError(Exception):
    """The file was refused; ``errors`` names each bad line (nothing was saved)."""

    def __init__(self, message: str, errors: list[ItemError] | None = None, total: int = 0):
        self.errors = errors or []
        self.total = max(total, len(self.errors))
        super().__init__(message)


@dataclass
class CsvImportResult:
    rows: int = 0
    created: int = 0
    skipped_existing: int = 0


@dataclass
class _Run:
    """State of one import: the pending chunk and the errors found so far."""

    company_id: uuid.UUID
    repo: TransactionRepository
    result: CsvImportResult = field(default_factory=CsvImportResult)
    chunk: list[dict[str, Any]] = field(default_factory=list)
    chunk_lines: dict[str, int] = field(default_factory=dict)
    errors: list[ItemError] = field(default_factory=list)
    error_count: int = 0
    bad_rows: int = 0
    _last_bad_line: int = 0

    def error(self, line: int, name: str, message: str, external_id: str | None = None) -> None:
        # A line's problems are reported one after another, so a new line number is a new row.
        if line != self._last_bad_line:
            self.bad_rows += 1
            self._last_bad_line = line
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(ItemError(name, message, line=line, external_id=external_id))

    def add(self, line: int, values: dict[str, Any]) -> None:
        external_id = values["external_id"]
        if external_id in self.chunk_lines:
            first = self.chunk_lines[external_id]
            self.error(line, "external_id", f"duplicate of line {first} in this file", external_id)
            return
        self.chunk_lines[external_id] = line
        self.chunk.append(values)
        if len(self.chunk) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Insert the chunk, even after an error: that finds every duplicate, and the
        failed import's rows vanish with its rollback anyway."""
        if self.chunk:
            inserted = set(self.repo.insert_new(self.company_id, self.chunk))
            skipped = [v["external_id"] for v in self.chunk if v["external_id"] not in inserted]
            repeated = self.repo.created_in_this_transaction(self.company_id, skipped)
            for external_id in repeated:
                message = "duplicate of an earlier line in this file"
                self.error(self.chunk_lines[external_id], "external_id", message, external_id)
            self.result.created += len(inserted)
            self.result.skipped_existing += len(skipped) - len(repeated)
        self.chunk, self.chunk_lines = [], {}


def import_csv(
    uow: UnitOfWork,
    company_id: uuid.UUID,
    source: IO[bytes],
    *,
    actor: str,
    today: date | None = None,
) -> CsvImportResult:
    """Import the file (see module docstring); raises ``CsvImportError`` on any bad row."""
    today = today or datetime.now(UTC).date()
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="strict", newline="")
    with uow:
        run = _Run(company_id, uow.transactions)
        try:
            _read(text, run, today)
        except UnicodeDecodeError:
            line = run.result.rows + 2
            raise CsvImportError(
                f"the file is not UTF-8 text (undecodable bytes at or after line {line}); "
                "save it as UTF-8 (with or without BOM) and try again"
            ) from None
        finally:
            text.detach()
        if run.error_count:
            raise CsvImportError(_refusal(run), run.errors, run.error_count)
        if run.result.created:
            rules.apply_to_new(uow, company_id, None, actor=actor)
        _audit(uow, run, actor)
        uow.commit()
    return run.result


def _refusal(run: _Run) -> str:
    if run.error_count == run.bad_rows:
        return f"{run.bad_rows} bad row(s); nothing was imported"
    return f"{run.error_count} problem(s) in {run.bad_rows} bad row(s); nothing was imported"


class _Unreadable(Exception):
    """The CSV reader gave up at ``line``: the rest of the file cannot be split into rows."""

    def __init__(self, line: int, reason: str) -> None:
        self.line, self.reason = line, reason
        super().__init__(reason)


def _unreadable_reason(error: csv.Error) -> str:
    """What a ``csv.Error`` means for the person who made the file."""
    text = str(error)
    if "field larger than field limit" in text:
        return (
            f"a field is longer than {csv.field_size_limit():,} characters "
            "(often a quote that is opened and never closed)"
        )
    if "unexpected end of data" in text:
        return 'a quoted field is never closed (a " opens it and no " ends it before the file ends)'
    return f"the line is not valid CSV ({text})"


def _read(text: io.TextIOWrapper, run: _Run, today: date) -> None:
    header_line = text.readline()
    delimiter, columns = parse_header(header_line)
    try:
        _read_rows(text, run, today, delimiter, columns)
    except _Unreadable as stopped:
        run.error(stopped.line, "line", f"{stopped.reason}; the rest of the file was not read")
    run.flush()


def _read_rows(
    text: io.TextIOWrapper, run: _Run, today: date, delimiter: str, columns: list[str]
) -> None:
    other = "," if delimiter == ";" else ";"
    # strict: a quote left open at the end of the file is an error, not a field
    # that silently swallows every line after it.
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    for number, row in _numbered(reader):
        if len(row) != len(columns):
            run.error(number, "line", _width_problem(row, columns, delimiter, other))
            continue
        run.result.rows += 1
        parsed = parse_transaction(
            dict(zip(columns, row, strict=True)), today=today, decimal_comma=None
        )
        external_id = parsed.external_id
        for name, message in parsed.problems:
            run.error(number, name, message, external_id)
        if not parsed.problems:
            run.add(number, parsed.values)


def _numbered(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Rows with the file line they start on (header is line 1), blank lines skipped.

    ``_Unreadable`` (with the line the bad row starts on) when the reader gives up.
    """
    start = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _Unreadable(start, _unreadable_reason(error)) from None
        if row and any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 2


def _width_problem(row: list[str], columns: list[str], delimiter: str, other: str) -> str:
    # "x;2026-11-01;-1,00;EUR" under a ',' header splits on the decimal comma, so count
    # what the other delimiter would make of the whole line.
    if other in "".join(row) and delimiter.join(row).count(other) + 1 == len(columns):
        return (
            f"mixed delimiters: the header separates fields with {delimiter!r} "
            f"but this line uses {other!r}"
        )
    return f"expected {len(columns)} fields, found {len(row)}"


def parse_header(line: str) -> tuple[str, list[str]]:
    """The delimiter and column names from the header line; ``CsvImportError`` if wrong."""
    if not line.strip():
        raise CsvImportError("the file is empty; expected a header line with the column names")
    delimiter = ";" if line.count(";") > line.count(",") else ","
    try:
        names = next(csv.reader([line], delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise CsvImportError(f"wrong header (line 1): {_unreadable_reason(error)}") from None
    columns = [c.strip().lower() for c in names]
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in FIELDS]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(c) for c in unknown)}")
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise CsvImportError(
            f"wrong header (line 1): {'; '.join(problems)}. Columns are: {', '.join(FIELDS)}"
        )
    return delimiter, columns


def _audit(uow: UnitOfWork, run: _Run, actor: str) -> None:
    uow.audit.record(
        action="transaction.csv_imported",
        actor=actor,
        company_id=run.company_id,
        subject_type="transaction_import",
        details={
            "rows": run.result.rows,
            "created": run.result.created,
            "skipped_existing": run.result.skipped_existing,
        },
    )


def import_csv_file(
    uow_factory: UnitOfWorkFactory, path: Path, company_slug: str | None, *, actor: str = "cli"
) -> CsvImportResult:
    """``import_csv`` for a file on disk, company by slug (or the only company)."""
    try:
        company = resolve_company(uow_factory, company_slug, how_to_name="--company SLUG")
    except (UnknownCompany, CompanyNotChosen) as problem:
        raise CsvImportError(_which_company(problem)) from None
    with path.open("rb") as source:
        return import_csv(uow_factory(), company.id, source, actor=actor)


def _which_company(problem: UnknownCompany | CompanyNotChosen) -> str:
    if isinstance(problem, CompanyNotChosen) and problem.count == 0:
        return (
            "there is no company yet: `ledgerbridge run` creates the demo company "
            "(LEDGERBRIDGE_DEMO=true); import into it afterwards"
        )
    return str(problem)
