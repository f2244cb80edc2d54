"""Texts a person reads, marked for translation without translating them here (pure).

``N_("text")`` marks a constant text; ``N_("%(code)s is blocked", code=c)`` a text with
values. Both return a ``Phrase``: a ``str`` holding the English text (so logs, the API
and the CLI read it as before) that also remembers its msgid and values, so that a page
can translate it into its reader's language (``ledgerbridge.i18n.translate``).
The domain may not import ``ledgerbridge.i18n`` (Babel, catalogues); it uses this module.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


class Phrase(str):
    """The English text of ``msgid % values``, remembering both for translation."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, values: dict[str, Any] | None = None) -> Phrase:
        values = dict(values or {})
        english = {name: _plain(value) for name, value in values.items()}
        made = super().__new__(cls, msgid % english if values else msgid)
        made.msgid = msgid
        made.values = values
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (Phrase, (self.msgid, self.values))


def N_(message: str, /, **values: Any) -> Phrase:
    """Mark ``message`` for extraction (``pybabel extract -k N_``); translated when shown."""
    return Phrase(message, values)


def _plain(value: Any) -> Any:
    """A value as the English text shows it (a time in UTC, as the logs and API do)."""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(text: Any) -> Any:
    """``text`` as JSON that stays translatable once stored: a ``Phrase`` as its msgid and
    values (``from_json`` makes it a ``Phrase`` again), any other text as it is."""
    if isinstance(text, Phrase):
        return {
            "msgid": str(text.msgid),
            "values": {k: _json_value(v) for k, v in text.values.items()},
        }
    return text


def _json_value(value: Any) -> Any:
    if isinstance(value, Phrase):
        return as_json(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return {"date": value.isoformat()}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    return value


def from_json(data: Any) -> Any:
    """The text ``as_json`` stored (a ``Phrase`` again, or the text as it was)."""
    if isinstance(data, dict):
        if "msgid" in data:
            values = {k: from_json(v) for k, v in (data.get("values") or {}).items()}
            return Phrase(str(data["msgid"]), values)
        if "date" in data:
            return date.fromisoformat(data["date"])
        if "datetime" in data:
            return datetime.fromisoformat(data["datetime"])
    return data
