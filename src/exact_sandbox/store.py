"""The sandbox's entity store: dicts in memory, optionally written through to PostgreSQL
(``exact_sandbox.persistence``, schema ``exact_sandbox``).

Rows are plain dicts of Python values (GUIDs as lower-case strings, ``Decimal``
amounts, aware UTC datetimes), one table per stored resource per division.
Every insert/update stamps the row with the division's next ``Timestamp`` (the
Int64 row version the sync endpoints expose) and ``Modified``; deleting a row
of a resource listed in ``resources.DELETED_ENTITY_TYPES`` records it in
``sync/Deleted``. Keys named in a resource's ``indexes`` are looked up in O(1).
Fields whose name starts with ``_`` are internal (never served).
Each single insert, update and delete is told to the ``listeners`` (the webhook
outbox); bulk inserts for seeding and reloads are not changes a bookkeeper made.

Not thread-safe by itself: the ASGI app serialises writes (Exact itself asks
for sequential calls). ``atomic()`` groups changes (seeding): the database gets
them in one transaction at the end, and on any failure memory is put back.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from exact_sandbox.clock import Clock
from exact_sandbox.persistence import Change, Persistence
from exact_sandbox.resources import DELETED_ENTITY_TYPES, table_definition

Row = dict[str, Any]
#: ``listener(action, division, table, row)`` with action "Create", "Update" or "Delete".
Listener = Callable[[str, int, str, Row], None]


class Table:
    """One resource's rows in one division, in insertion order, with field indexes."""

    def __init__(self, key: str, indexes: Iterable[str]) -> None:
        self.key = key
        self.rows: dict[Any, Row] = {}
        self.indexes: dict[str, dict[Any, dict[Any, None]]] = {name: {} for name in indexes}

    def put(self, row: Row) -> None:
        key = row[self.key]
        old = self.rows.get(key)
        for name, index in self.indexes.items():
            if old is not None:
                index.get(_norm(old.get(name)), {}).pop(key, None)
            index.setdefault(_norm(row.get(name)), {})[key] = None
        self.rows[key] = row

    def remove(self, key: Any) -> Row | None:
        row = self.rows.pop(key, None)
        if row is not None:
            for name, index in self.indexes.items():
                index.get(_norm(row.get(name)), {}).pop(key, None)
        return row

    def copy(self) -> Table:
        """A copy of the rows and indexes (the row dicts themselves are shared)."""
        twin = Table(self.key, ())
        twin.rows = dict(self.rows)
        twin.indexes = {
            name: {value: dict(keys) for value, keys in index.items()}
            for name, index in self.indexes.items()
        }
        return twin

    def find(self, name: str, value: Any) -> list[Row]:
        if name in self.indexes:
            return [self.rows[k] for k in self.indexes[name].get(_norm(value), {})]
        return [row for row in self.rows.values() if _norm(row.get(name)) == _norm(value)]


def _norm(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


class Store:
    """All divisions' data. Public methods take the division and the store table name
    (a regular resource path such as ``financial/GLAccounts``)."""

    def __init__(self, clock: Clock, *, persist_url: str | None = None) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self._tables: dict[tuple[int, str], Table] = {}
        self._timestamps: dict[int, int] = {}
        self._persist = Persistence(persist_url) if persist_url else None
        self._pending: list[Change] | None = None  # changes queued inside ``atomic``
        self.listeners: list[Listener] = []

    # --- reading ---------------------------------------------------------------------------

    def table(self, division: int, resource: str) -> Table:
        found = self._tables.get((division, resource))
        if found is None:
            definition = table_definition(resource)
            found = Table(definition.key, definition.indexes)
            self._tables[(division, resource)] = found
        return found

    def rows(self, division: int, resource: str) -> list[Row]:
        """All rows in insertion order (a new list; the rows themselves are live)."""
        return list(self.table(division, resource).rows.values())

    def get(self, division: int, resource: str, key: Any) -> Row | None:
        return self.table(division, resource).rows.get(key)

    def find(self, division: int, resource: str, field: str, value: Any) -> list[Row]:
        """Rows whose ``field`` equals ``value`` (strings compared trimmed, case-insensitive)."""
        return self.table(division, resource).find(field, value)

    def find_one(self, division: int, resource: str, field: str, value: Any) -> Row | None:
        found = self.find(division, resource, field, value)
        return found[0] if found else None

    def key_of(self, resource: str, row: Row) -> Any:
        return row[table_definition(resource).key]

    def timestamp(self, division: int) -> int:
        """The division's current row version (0 before any change)."""
        return self._timestamps.get(division, 0)

    def divisions(self) -> Iterator[int]:
        return iter(sorted({division for division, _ in self._tables}))

    # --- writing ---------------------------------------------------------------------------

    def insert(self, division: int, resource: str, row: Row) -> Row:
        """Add a row (a GUID key is generated when absent); returns the stored row."""
        with self.lock:
            definition = table_definition(resource)
            stored = dict(row)
            if stored.get(definition.key) is None and definition.key_type == "G":
                stored[definition.key] = str(uuid.uuid4())
            now = self.clock.now()
            stored.setdefault("Created", now)
            stored["Division"] = division
            self._stamp(division, stored, now)
            self.table(division, resource).put(stored)
            self._write(division, resource, stored)
            self._notify("Create", division, resource, stored)
            return stored

    def insert_many(self, division: int, resource: str, rows: Iterable[Row]) -> int:
        """Bulk insert for seeding (one persistence round trip); returns the count."""
        with self.lock:
            definition = table_definition(resource)
            table = self.table(division, resource)
            now = self.clock.now()
            batch = []
            for row in rows:
                stored = dict(row)
                if stored.get(definition.key) is None and definition.key_type == "G":
                    stored[definition.key] = str(uuid.uuid4())
                stored.setdefault("Created", now)
                stored["Division"] = division
                self._stamp(division, stored, now)
                table.put(stored)
                batch.append(stored)
            self._queue(("write", division, resource, definition.key, batch))
            return len(batch)

    def update(self, division: int, resource: str, key: Any, **fields: Any) -> Row:
        """Change fields of a row as a bookkeeper would; KeyError when the row is unknown."""
        with self.lock:
            table = self.table(division, resource)
            if key not in table.rows:
                raise KeyError(f"{resource}({key}) not found in division {division}")
            stored = {**table.rows[key], **fields}
            self._stamp(division, stored, self.clock.now())
            table.put(stored)
            self._write(division, resource, stored)
            self._notify("Update", division, resource, stored)
            return stored

    def delete(
        self, division: int, resource: str, key: Any, *, deleted_by: str | None = None
    ) -> Row:
        """Remove a row; resources with a sync EntityType are recorded in sync/Deleted."""
        with self.lock:
            row = self.table(division, resource).remove(key)
            if row is None:
                raise KeyError(f"{resource}({key}) not found in division {division}")
            self._queue(("delete", division, resource, str(key), None))
            entity_type = DELETED_ENTITY_TYPES.get(resource)
            if entity_type is not None:
                record = {"EntityType": entity_type, "EntityKey": str(key), "DeletedBy": deleted_by}
                self.insert(division, "sync/Deleted", {**record, "DeletedDate": self.clock.now()})
            self._notify("Delete", division, resource, row)
            return row

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """All or nothing: changes made inside reach the database in one transaction when
        the block ends; if the block or that transaction fails, memory is restored too."""
        with self.lock:
            if self._pending is not None:  # nested: the outer block decides
                yield
                return
            tables = {place: table.copy() for place, table in self._tables.items()}
            timestamps = dict(self._timestamps)
            self._pending = []
            try:
                yield
                if self._persist:
                    self._persist.apply(self._pending)
            except BaseException:
                self._tables, self._timestamps = tables, timestamps
                raise
            finally:
                self._pending = None

    def close(self) -> None:
        """Release the persistence connections (the in-memory data stays usable)."""
        if self._persist:
            self._persist.close()

    def clear(self) -> None:
        """Forget everything, persisted rows included."""
        with self.lock:
            self._tables.clear()
            self._timestamps.clear()
            if self._persist:
                self._persist.clear()

    def load(self) -> bool:
        """Reload persisted rows; False when there is no persistence or nothing persisted."""
        if not self._persist:
            return False
        loaded = False
        for division, resource, row in self._persist.load():
            self.table(division, resource).put(row)
            stamp = row.get("Timestamp") or 0
            self._timestamps[division] = max(self._timestamps.get(division, 0), stamp)
            loaded = True
        return loaded

    def _notify(self, action: str, division: int, resource: str, row: Row) -> None:
        for listener in self.listeners:
            listener(action, division, resource, row)

    def _stamp(self, division: int, row: Row, now: datetime) -> None:
        self._timestamps[division] = self._timestamps.get(division, 0) + 1
        row["Timestamp"] = self._timestamps[division]
        row["Modified"] = now

    def _write(self, division: int, resource: str, row: Row) -> None:
        self._queue(("write", division, resource, table_definition(resource).key, [row]))

    def _queue(self, change: Change) -> None:
        if self._pending is not None:
            self._pending.append(change)
        elif self._persist:
            self._persist.apply([change])
