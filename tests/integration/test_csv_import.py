"""CSV import: dialects, every bad row named by line, all-or-nothing, duplicates skipped."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ledgerbridge import bootstrap as bootstrap_module
from ledgerbridge.bootstrap import Container
from ledgerbridge.cli import app
from ledgerbridge.config import get_settings
from ledgerbridge.db.repositories import (
    CompanyRepository,
    TransactionFilter,
    TransactionRepository,
    bulk,
)
from ledgerbridge.db.uow import UnitOfWork
from ledgerbridge.services.transactions.csv_import import (
    CsvImportError,
    CsvImportResult,
    import_csv,
)
from ledgerbridge.services.transactions.input import parse_transaction

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


@pytest.mark.parametrize(
    "data",
    [
        "external_id;booking_date;amount;currency\nx;2026-11-01;-1,00;EUR\ny,2026-11-01,-1.00,EUR\n",
        # A decimal comma in the odd line must not hide what is wrong with it.
        "external_id,booking_date,amount,currency\nx,2026-11-01,-1.00,EUR\ny;2026-11-01;-1,00;EUR\n",
    ],
)
def test_mixed_delimiters_are_refused_naming_the_line(
    session_factory: sessionmaker[Session], company_id: uuid.UUID, data: str
) -> None:
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


@pytest.fixture
def cli_env(
    database_url: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Container]]:
    """The real ``ledgerbridge`` command on the test database; its engines are closed after."""
    monkeypatch.setenv("LEDGERBRIDGE_DATABASE_URL", database_url.render_as_string(False))
    monkeypatch.setenv("LEDGERBRIDGE_DATA_DIR", str(tmp_path))
    built: list[Container] = []
    real = bootstrap_module.bootstrap

    def bootstrap(*args: Any, **kwargs: Any) -> Container:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(bootstrap_module, "bootstrap", bootstrap)
    get_settings.cache_clear()
    yield built
    get_settings.cache_clear()
    for container in built:
        container.engine.dispose()


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, ["import", "transactions", *args], terminal_width=200)


def test_the_import_command_imports_a_file_into_the_only_company(
    session_factory: sessionmaker[Session], cli_env: list[Container], tmp_path: Path
) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(
        "external_id;booking_date;amount;currency\nc1;2026-11-01;-1.234,56;EUR\n", "utf-8"
    )
    none_yet = cli(str(path))
    assert none_yet.exit_code == 1
    assert "there is no company yet: `ledgerbridge run` creates the demo company" in (
        none_yet.output
    )
    with UnitOfWork(session_factory) as uow:
        company = CompanyRepository(uow.session).add("acme", "Acme B.V.")
        uow.commit()
    first = cli(str(path))
    assert first.exit_code == 0, first.output
    assert "Imported 1 transaction(s) from 1 row(s); 0 already known and skipped." in first.output
    again = cli(str(path), "--company", "acme")
    assert "Imported 0 transaction(s) from 1 row(s); 1 already known and skipped." in again.output
    assert amounts(session_factory, company.id) == {"c1": "-1234.56"}


def test_the_import_command_lists_every_bad_line_and_fails(
    session_factory: sessionmaker[Session],
    company_id: uuid.UUID,
    cli_env: list[Container],
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "x,2026-13-01,abc,EUR,AH,\ny,2026-11-01,-1.00,EUR,AH,\n", "utf-8")
    result = cli(str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "2 problem(s) in 1 bad row(s); nothing was imported",
        "  line 2: booking_date: '2026-13-01' is not a date (expected YYYY-MM-DD)",
        "  line 2: amount: amount 'abc' is not a number such as 1234.56 or 1.234,56",
    ]
    assert amounts(session_factory, company_id) == {}
    unknown = cli(str(path), "--company", "nope")
    assert "no company 'nope'; name an existing one with --company SLUG" in unknown.output


def test_the_bulk_insert_writes_every_column_intake_produces() -> None:
    values = parse_transaction(
        {"external_id": "x", "booking_date": "2026-11-01", "amount": "-1", "currency": "EUR"},
        today=TODAY,
    ).values
    assert set(bulk.COLUMNS) == set(values)


GOOD = "a1,2026-11-01,-1.00,EUR,AH,\n"
UNREADABLE = {
    "a field over the csv field limit": (
        HEADER + GOOD + 'a2,2026-11-01,-1.00,EUR,"' + "x" * 200_000 + '",\n',
        3,
        "longer than 131,072 characters",
    ),
    "an unterminated quote": (
        HEADER + GOOD + 'a2,2026-11-01,-1.00,EUR,"Albert Heijn,\na3,2026-11-01,-1.00,EUR,AH,\n',
        3,
        "a quoted field is never closed",
    ),
}


@pytest.mark.parametrize("case", UNREADABLE)
def test_an_unreadable_csv_line_is_refused_naming_the_line(
    session_factory: sessionmaker[Session], company_id: uuid.UUID, case: str
) -> None:
    data, line, reason = UNREADABLE[case]
    with pytest.raises(CsvImportError) as caught:
        run(session_factory, company_id, data)
    [error] = caught.value.errors
    assert error.line == line
    assert reason in error.message
    assert amounts(session_factory, company_id) == {}


def test_a_header_over_the_csv_field_limit_is_refused_naming_line_1(
    session_factory: sessionmaker[Session], company_id: uuid.UUID
) -> None:
    with pytest.raises(CsvImportError, match="line 1") as caught:
        run(session_factory, company_id, "x" * 200_000 + "\n" + GOOD)
    assert "longer than 131,072 characters" in str(caught.value)


def test_the_import_command_names_the_unreadable_line(
    company_id: uuid.UUID, cli_env: list[Container], tmp_path: Path
) -> None:
    path = tmp_path / "open-quote.csv"
    path.write_text(UNREADABLE["an unterminated quote"][0], "utf-8")
    result = cli(str(path))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "line 3: line: a quoted field is never closed" in result.output
