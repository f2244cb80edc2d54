"""CSV import: dialects, every bad row named by line, all-or-nothing, duplicates skipped."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ledgerbridge.db.repositories import CompanyRepository, TransactionFilter, TransactionRepository
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.csv_import import CsvImportError, CsvImportResult, import_csv

TODAY = date(2026, 11, 25)
HEADER = "external_id,booking_date,amount,currency,merchant_name,description\n"


@pytest.fixture
def company_id(session_factory: sessionmaker[Session]) -> uuid.UUID:
    with UnitOfWork(session_factory) as uow:
        company = CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    return company.id


def run(
    session_factory: sessionmaker[Session], company_id: uuid.UUID, data: bytes | str
) -> CsvImportResult:
    raw = data.encode() if isinstance(data, str) else data
    return import_csv(
        UnitOfWork(session_factory), company_id, io.BytesIO(raw), actor="test", today=TODAY
    )


def amounts(session_factory: sessionmaker[Session], company_id: uuid.UUID) -> dict[str, str]:
    with session_factory() as session:
        rows = TransactionRepository(session).page(company_id, TransactionFilter(), limit=100)
        return {r.external_id: f"{r.amount:.2f}" for r in rows}


def test_a_plain_comma_file_is_imported(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    data = HEADER + 'a,2026-11-01,-12.50,EUR,"Jumbo, Amsterdam",lunch\nb,2026-11-02,-1.00,EUR,NS,\n'
    result = run(session_factory, company_id, data)
    assert (result.rows, result.created, result.skipped_existing) == (2, 2, 0)
    assert amounts(session_factory, company_id) == {"a": "-12.50", "b": "-1.00"}


def test_a_dutch_bank_export_with_bom_semicolons_and_decimal_commas_is_imported(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    data = (
        "\ufeffexternal_id;booking_date;amount;currency;merchant_name\r\n"
        "nl-1;2026-11-03;-1.234,56;EUR;Coolblue\r\n"
        "nl-2;2026-11-04;-7,95;EUR;Q-Park\r\n"
    )
    result = run(session_factory, company_id, data.encode("utf-8"))
    assert result.created == 2
    assert amounts(session_factory, company_id) == {"nl-1": "-1234.56", "nl-2": "-7.95"}


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_saved(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    data = (
        HEADER
        + "ok,2026-11-01,-1.00,EUR,AH,\n"
        + "bad-amount,2026-11-01,twelve,EUR,AH,\n"
        + "ok-2,2026-11-01,-1.00,EUR,AH,\n"
        + "bad-currency,2026-11-01,-1.00,EURO,AH,\n"
        + "bad-date,2099-11-01,-1.00,EUR,AH,\n"
    )
    with pytest.raises(CsvImportError) as caught:
        run(session_factory, company_id, data)
    found = [(e.line, e.field, e.external_id) for e in caught.value.errors]
    assert found == [
        (3, "amount", "bad-amount"),
        (5, "currency", "bad-currency"),
        (6, "booking_date", "bad-date"),
    ]
    assert "3 bad row(s); nothing was imported" in str(caught.value)
    assert amounts(session_factory, company_id) == {}


def test_a_bad_row_after_many_good_chunks_still_saves_nothing(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    good = "".join(f"g{n},2026-11-01,-1.00,EUR,AH,\n" for n in range(4500))
    with pytest.raises(CsvImportError) as caught:
        run(session_factory, company_id, HEADER + good + "last,2026-11-01,0,EUR,AH,\n")
    assert [(e.line, e.message) for e in caught.value.errors] == [
        (4502, "EUR 0.00 is zero; a transaction must move money")
    ]
    assert amounts(session_factory, company_id) == {}


def test_existing_external_ids_are_skipped_and_counted(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    run(session_factory, company_id, HEADER + "a,2026-11-01,-1.00,EUR,AH,\n")
    result = run(
        session_factory,
        company_id,
        HEADER + "a,2026-11-01,-1.00,EUR,AH,\nb,2026-11-01,-2.00,EUR,AH,\n",
    )
    assert (result.rows, result.created, result.skipped_existing) == (2, 1, 1)


def test_the_same_external_id_twice_in_one_file_is_refused_by_line(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    rows = "".join(f"r{n},2026-11-01,-1.00,EUR,AH,\n" for n in range(2500))
    data = (
        HEADER
        + rows
        + "r5,2026-11-01,-1.00,EUR,AH,\nx,2026-11-01,-1.00,EUR,AH,\nx,2026-11-01,-1.00,EUR,AH,\n"
    )
    with pytest.raises(CsvImportError) as caught:
        run(session_factory, company_id, data)
    found = sorted((e.line, e.message) for e in caught.value.errors)
    assert found == [
        (2502, "duplicate of an earlier line in this file"),
        (2504, "duplicate of line 2503 in this file"),
    ]


def test_a_wrong_header_names_the_missing_column(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    with pytest.raises(CsvImportError, match="missing column\\(s\\): currency"):
        run(session_factory, company_id, "external_id,booking_date,amount\n")


def test_mixed_delimiters_are_refused_naming_the_line(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    data = (
        "external_id;booking_date;amount;currency\nx;2026-11-01;-1,00;EUR\ny,2026-11-01,-1.00,EUR\n"
    )
    with pytest.raises(CsvImportError) as caught:
        run(session_factory, company_id, data)
    [error] = caught.value.errors
    assert error.line == 3
    assert "mixed delimiters" in error.message


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_file_that_is_not_utf8_is_refused_clearly(
    session_factory: sessionmaker[Session], company_id: uuid.UUID, encoding: str
) -> None:
    data = (HEADER + "é,2026-11-01,-1.00,EUR,Café Blauw,\n").encode(encoding)
    with pytest.raises(CsvImportError, match="not UTF-8"):
        run(session_factory, company_id, data)
    assert amounts(session_factory, company_id) == {}
