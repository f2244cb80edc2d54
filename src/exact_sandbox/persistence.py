"""Write-through copy of the sandbox's store in PostgreSQL (``exact_sandbox.records``).

One JSONB row per entity; values that JSON lacks are tagged (``{"$dec": "1.10"}``
for ``Decimal``, ``{"$dt": …}`` for datetimes, ``{"$b64": …}`` for bytes) so a
reload gives back exactly what was stored. Opening a ``Persistence`` creates or
migrates the schema first (``schema.ensure_schema``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, create_engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from exact_sandbox.schema import SandboxRecord, ensure_schema, sqlalchemy_url, table

Row = dict[str, Any]
#: Rows per INSERT: five parameters a row, PostgreSQL allows 65,535 per statement.
CHUNK_ROWS = 5_000
#: A queued change: ("write", division, resource, key field, rows) or
#: ("delete", division, resource, key, None).
Change = tuple[str, int, str, str, list[Row] | None]


class Persistence:
    """The persisted rows at ``url`` (a ``postgresql://`` or SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(sqlalchemy_url(url), pool_pre_ping=True)
        ensure_schema(self.engine)

    def write_many(self, division: int, resource: str, key: str, rows: list[Row]) -> None:
        """Insert or replace rows (by division, resource and ``row[key]``), in chunks of
        ``CHUNK_ROWS``, all in one transaction."""
        self.apply([("write", division, resource, key, rows)])

    def apply(self, changes: Sequence[Change]) -> None:
        """Apply queued writes and deletes in one transaction: all or nothing."""
        with self.engine.begin() as conn:
            for action, division, resource, key, rows in changes:
                if action == "delete":
                    self._delete(conn, division, resource, key)
                    continue
                rows = rows or []
                for start in range(0, len(rows), CHUNK_ROWS):
                    chunk = rows[start : start + CHUNK_ROWS]
                    self._write(conn, division, resource, key, chunk)

    def _write(
        self, conn: Connection, division: int, resource: str, key: str, rows: list[Row]
    ) -> None:
        if not rows:
            return
        values = [
            {
                "division": division,
                "resource": resource,
                "key": str(row[key]),
                "data": _encode(row),
                "timestamp": row.get("Timestamp") or 0,
            }
            for row in rows
        ]
        statement = pg_insert(SandboxRecord).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["division", "resource", "key"],
            set_={"data": statement.excluded.data, "timestamp": statement.excluded.timestamp},
        )
        conn.execute(statement)

    def delete(self, division: int, resource: str, key: str) -> None:
        self.apply([("delete", division, resource, key, None)])

    def _delete(self, conn: Connection, division: int, resource: str, key: str) -> None:
        records = table(SandboxRecord)
        conn.execute(
            records.delete().where(
                records.c.division == division,
                records.c.resource == resource,
                records.c.key == key,
            )
        )

    def clear(self) -> None:
        """Delete every persisted row (the schema and its version stay)."""
        with self.engine.begin() as conn:
            conn.execute(table(SandboxRecord).delete())

    def load(self) -> Iterator[tuple[int, str, Row]]:
        """Every persisted row, per division in the order they were last written."""
        records = table(SandboxRecord)
        query = select(records.c.division, records.c.resource, records.c.data).order_by(
            records.c.division, records.c.timestamp
        )
        with self.engine.connect() as conn:
            for division, resource, data in conn.execute(query):
                yield division, resource, _decode(data)

    def close(self) -> None:
        self.engine.dispose()


def clear_persisted(url: str) -> None:
    """Forget every sandbox row persisted at ``url`` (tests start from an empty store).

    Creates the schema when it is missing; leaves the tables and their version.
    """
    persistence = Persistence(url)
    try:
        persistence.clear()
    finally:
        persistence.close()


def _encode(row: Row) -> dict[str, Any]:
    return {name: _encode_value(value) for name, value in row.items()}


def _encode_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    return value


def _decode(data: dict[str, Any]) -> Row:
    return {name: _decode_value(value) for name, value in data.items()}


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dec" in value:
            return Decimal(value["$dec"])
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$b64" in value:
            return base64.b64decode(value["$b64"])
    return value
