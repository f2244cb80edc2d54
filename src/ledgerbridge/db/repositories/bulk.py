"""Fast bulk inserts: transactions by COPY into a staging table, then one INSERT … SELECT;
rows that cannot conflict by COPY straight into their table (``copy_rows``).

COPY avoids building huge parameterised statements (the slow part of a
multi-row INSERT in Python); the INSERT keeps ``ON CONFLICT DO NOTHING`` so
known external ids are skipped. Runs inside the caller's database
transaction; the staging table is temporary and dropped at commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy.orm import Session

STAGE = "transaction_intake_stage"
COLUMNS = (
    "external_id",
    "kind",
    "booking_date",
    "settlement_date",
    "merchant_name",
    "merchant_country",
    "mcc",
    "cardholder",
    "card_last4",
    "description",
    "amount",
    "currency",
    "original_amount",
    "original_currency",
    "fx_rate",
)
DEFAULTS = {"kind": "card_payment", "merchant_name": "", "cardholder": "", "description": ""}
_LIST = ", ".join(COLUMNS)


def copy_insert_new(
    session: Session, company_id: uuid.UUID, rows: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Insert ``rows`` for the company; existing external ids are skipped.

    Returns the external ids actually inserted. Missing optional columns take
    their defaults.
    """
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ON COMMIT DROP AS "
        f"SELECT {_LIST} FROM transactions WITH NO DATA"
    )
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {STAGE} ({_LIST}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row.get(name, DEFAULTS.get(name)) for name in COLUMNS])
        cursor.execute(
            f"INSERT INTO transactions (id, company_id, {_LIST}) "
            f"SELECT gen_random_uuid(), %s, {_LIST} FROM {STAGE} "
            "ON CONFLICT (company_id, external_id) DO NOTHING RETURNING external_id",
            (company_id,),
        )
        inserted = [found[0] for found in cursor.fetchall()]
        cursor.execute(f"TRUNCATE {STAGE}")
    return inserted


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """COPY ``rows`` (values in ``columns`` order) straight into ``table``, inside the
    caller's database transaction: for rows that cannot conflict (new coding lines,
    audit rows of a bulk action), 10,000 of them in tens of milliseconds. A dict or
    list value goes in as JSON (``jsonb`` columns)."""
    if not rows:
        return
    session.flush()
    driver: Any = session.connection().connection.driver_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, dict | list) else v for v in row])
