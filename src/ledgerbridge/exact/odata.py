"""OData v2 as Exact speaks it: paging, response shapes, literals and field parsing.

Callers of ``api`` never see any of this. Parsers are tolerant: a missing or oddly
typed field yields ``None`` (or the given default) rather than an exception; the
record builders in ``models`` decide what is unusable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ledgerbridge.exact.errors import ExactError, ExactRecordInvalid

if TYPE_CHECKING:
    from ledgerbridge.exact.http import ExactHttp

MAX_PAGES = 10_000
_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CENT = Decimal("0.01")

Row = dict[str, Any]


def rows(body: Mapping[str, Any]) -> list[Row]:
    """The records of a response: ``{"d": [...]}``, ``{"d": {...}}`` or ``{"d": {"results"}}``."""
    data = body.get("d", body)
    if isinstance(data, dict):
        results = data.get("results")
        if isinstance(results, list):
            return [r for r in results if isinstance(r, dict)]
        # a single entity; a dict of only paging fields is an empty page
        return [data] if data.keys() - {"__next", "__count"} else []
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    return []


def next_link(body: Mapping[str, Any]) -> str | None:
    """The absolute ``__next`` URL of a page, or ``None`` on the last page."""
    data = body.get("d")
    link = data.get("__next") if isinstance(data, dict) else None
    return link if isinstance(link, str) and link else None


def iterate(
    http: ExactHttp, path: str, params: Mapping[str, object], max_pages: int = MAX_PAGES
) -> Iterator[Row]:
    """Every record of a collection, following ``__next`` verbatim, page by page.

    Raises ``ExactError`` when paging does not end after ``max_pages`` or a link repeats
    (a server that keeps handing out the same page would otherwise loop forever).
    """
    body = http.get(path, params)
    seen: set[str] = set()
    for _page in range(max_pages):
        yield from rows(body)
        link = next_link(body)
        if link is None:
            return
        if link in seen:
            raise ExactError(f"Exact repeated a page link while paging {path}: {link}")
        seen.add(link)
        body = http.get_url(link)
    raise ExactError(f"paging {path} did not end after {max_pages} pages")


# --- literals for $filter -------------------------------------------------------------------


def string_literal(value: str) -> str:
    """``'value'`` with embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def guid_literal(value: str) -> str:
    return f"guid'{value}'"


def datetime_literal(value: datetime | date) -> str:
    """``datetime'YYYY-MM-DDTHH:MM:SS'`` in UTC, always with the time part."""
    if isinstance(value, datetime):
        instant = value.astimezone(UTC) if value.tzinfo else value
        text = instant.replace(tzinfo=None, microsecond=0).isoformat()
    else:
        text = f"{value.isoformat()}T00:00:00"
    return f"datetime'{text}'"


# --- field parsing --------------------------------------------------------------------------


def parse_datetime(value: object) -> datetime | None:
    """``/Date(ms)/`` (or an ISO string) as an aware UTC datetime; ``None`` if unparsable."""
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            return _EPOCH + timedelta(milliseconds=int(match.group(1)))
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_date(value: object) -> date | None:
    """A date-only field: the calendar date of the epoch value interpreted as UTC."""
    parsed = parse_datetime(value)
    return parsed.astimezone(UTC).date() if parsed else None


def parse_decimal(value: object, places: Decimal | None = CENT) -> Decimal | None:
    """A number as Decimal, rounded half-up to ``places`` (cents; ``None`` keeps all digits).

    Doubles go through ``str`` first so binary noise (12.339999…) never leaks in.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP) if places is not None else number


def parse_int(value: object, default: int | None = None) -> int | None:
    if isinstance(value, bool) or value is None:
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def parse_bool(value: object, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "false", "0"}:
        return value.strip().lower() in {"true", "1"}
    return default


def parse_text(value: object) -> str | None:
    """A trimmed string (Exact pads codes with spaces); ``None`` for empty or missing."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def parse_guid(value: object) -> str | None:
    """A GUID as lower-case text without braces; ``None`` for empty or the all-zero GUID."""
    text = parse_text(value)
    if not text:
        return None
    text = text.strip("{}").lower()
    return None if set(text) <= {"0", "-"} else text


def deferred_rows(value: object) -> list[Row]:
    """An expanded child collection (``{"results": [...]}`` or a list); ``[]`` if deferred."""
    if isinstance(value, dict):
        value = value.get("results", [])
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def required(row: Row, resource: str, field: str, value: Any, key_field: str = "ID") -> Any:
    """``value`` if it is not ``None``; otherwise ``ExactRecordInvalid`` naming ``field``."""
    if value is None:
        key = parse_text(row.get(key_field)) or ""
        raise ExactRecordInvalid(resource, key, f"{field} is missing or unreadable")
    return value
