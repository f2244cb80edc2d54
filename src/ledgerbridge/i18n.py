"""Languages and locale formats: every text a user reads goes through these catalogues.

English is the source language (the msgids); Dutch is ``locale/nl/LC_MESSAGES/messages.po``.
Amounts, dates and numbers are formatted by Babel for the reader's locale
(``€ 1.234,56`` in Dutch), never by hand. Exact's own messages are not translated:
they are shown as Exact sent them, beside our explanation.

Texts from services and the domain (errors, advice, health problems, reasons) are
marked where they are defined with ``N_`` from ``ledgerbridge.domain.wording`` — a
small pure helper, because the domain may not import this module (Babel, files).
``N_("%(code)s is blocked", code=c)`` returns a ``Phrase``: a ``str`` holding the English
text (so the API, logs and CLI are unchanged) that remembers its msgid and values.
Pages translate at the boundary with ``translate(text, language)``: a ``Phrase`` by its
msgid (its values are put in afterwards, untranslated unless they are Phrases
themselves: Exact's own words stay as Exact sent them); a plain ``str`` (a text that was
stored, e.g. a connection's status reason) by looking it up as a msgid, else by matching
it against the catalogue's msgids with values (``%(name)s``); anything else is shown as is.
Texts kept in JSON to be shown later (a sync's summary lines) are stored with
``domain.wording.as_json`` beside the English and read back with ``from_json``.

Catalogue upkeep (see README › Languages)::

    uv run pybabel extract -F babel.cfg -k N_ -o src/ledgerbridge/locale/messages.pot src
    uv run pybabel update -i src/ledgerbridge/locale/messages.pot -d src/ledgerbridge/locale
    uv run pybabel compile -d src/ledgerbridge/locale
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError, dates, numbers
from babel.support import NullTranslations, Translations

from ledgerbridge.domain.wording import N_, Phrase

__all__ = ["N_", "Formats", "Phrase", "choose_language", "translate", "translations"]

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"en": "English", "nl": "Nederlands"}
DEFAULT_LANGUAGE = "en"
# The locale whose formats a language's readers expect (nl → nl_NL: "€ 1.234,56").
FORMAT_LOCALES: dict[str, str] = {"en": "en_GB", "nl": "nl_NL"}


@cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language`` (English, the source language, when there is none)."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALE_DIR), [language], domain=DOMAIN)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MIN_FIXED_TEXT = 5  # letters and digits a msgid must fix to be used to read a stored text


@cache
def _templates(language: str) -> list[tuple[re.Pattern[str], str]]:
    """The catalogue's msgids with values, as patterns that read a stored English text.

    Most specific first (the longest fixed text); a msgid with little fixed text of its
    own ("%(kind)s %(code)s") is left out, as it would match almost any text.
    """
    catalogue = translations(language)
    found = getattr(catalogue, "_catalog", {})
    patterns: list[tuple[int, re.Pattern[str], str]] = []
    for msgid in found:
        if not isinstance(msgid, str) or not _PLACEHOLDER.search(msgid):
            continue
        parts = _PLACEHOLDER.split(msgid)
        fixed = "".join(parts[::2])
        if sum(c.isalnum() for c in fixed) < MIN_FIXED_TEXT:
            continue
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        try:
            patterns.append((len(fixed), re.compile(regex + r"\Z", re.DOTALL), msgid))
        except re.error:  # pragma: no cover - a placeholder used twice
            continue
    patterns.sort(key=lambda found: -found[0])
    return [(pattern, msgid) for _, pattern, msgid in patterns]


def message_of(error: Exception) -> str:
    """An error's own message, kept translatable (a ``Phrase`` stays one; ``str(error)``
    would make it plain English)."""
    return error.args[0] if error.args and isinstance(error.args[0], str) else str(error)


def translate(text: Any, language: str) -> str:
    """``text`` (a ``Phrase``, a stored English ``str`` or None) in ``language``."""
    if text is None or text == "":
        return ""
    catalogue = translations(language)
    if isinstance(text, Phrase):
        values = {name: _value(value, language) for name, value in text.values.items()}
        return catalogue.gettext(text.msgid) % values if values else catalogue.gettext(text.msgid)
    text = str(text)
    translated = catalogue.gettext(text)
    if translated != text or language == DEFAULT_LANGUAGE:
        return translated
    for pattern, msgid in _templates(language):
        matched = pattern.match(text)
        if matched:
            # Only an exact msgid is translated inside: the rest (Exact's words) stays.
            values = {k: catalogue.gettext(v) for k, v in matched.groupdict().items()}
            return catalogue.gettext(msgid) % values
    return text


def _value(value: Any, language: str) -> Any:
    if isinstance(value, Phrase):
        return translate(value, language)
    if isinstance(value, datetime):
        return Formats(language).datetime(value)
    if isinstance(value, date):
        return Formats(language).date(value)
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Formats(language).number(value)
    return value


def choose_language(preferred: str | None, accept_language: str | None) -> str:
    """The user's own choice, else the best match of the browser's Accept-Language."""
    if preferred in LANGUAGES:
        return preferred
    for tag in _accepted(accept_language or ""):
        base = tag.replace("-", "_").split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def _accepted(header: str) -> list[str]:
    """Accept-Language tags, best first (``q`` weights honoured, malformed parts skipped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            weighted.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


class Formats:
    """Locale formats for one reader: ``Formats("nl").money(Decimal("-1234.5"), "EUR")``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        try:
            self.locale = Locale.parse(FORMAT_LOCALES[self.language])
        except (UnknownLocaleError, ValueError):  # pragma: no cover - Babel ships both
            self.locale = Locale.parse("en_GB")

    def money(self, amount: Decimal | int | None, currency: str) -> str:
        if amount is None:
            return ""
        return numbers.format_currency(amount, currency, locale=self.locale)

    def number(self, value: Decimal | int | float | None, digits: int | None = None) -> str:
        if value is None:
            return ""
        if digits is None:
            return numbers.format_decimal(value, locale=self.locale)
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return numbers.format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: Decimal | float | None) -> str:
        """``value`` as a fraction (0.21 → "21%")."""
        if value is None:
            return ""
        return numbers.format_percent(value, format="#,##0.##%", locale=self.locale)

    def date(self, value: date | None, form: str = "medium") -> str:
        if value is None:
            return ""
        return dates.format_date(value, format=form, locale=self.locale)

    def datetime(self, value: datetime | None, form: str = "medium") -> str:
        if value is None:
            return ""
        return dates.format_datetime(value, format=form, locale=self.locale)
