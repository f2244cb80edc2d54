"""The Dutch catalogue is complete and compiled: a text added to a template, a page or a
service (marked with ``_``/``N_``) without a Dutch translation fails here, listing it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from ledgerbridge.domain.wording import N_, as_json, from_json
from ledgerbridge.i18n import LOCALE_DIR, Formats, translate

ROOT = Path(__file__).resolve().parents[2]
PO = LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.po"
MO = LOCALE_DIR / "nl" / "LC_MESSAGES" / "messages.mo"


def pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    pybabel("extract", "-F", "babel.cfg", "-k", "N_", "-o", str(pot), "src")
    with pot.open("rb") as found:
        return read_po(found)


def dutch() -> Catalog:
    with PO.open("rb") as found:
        return read_po(found, locale="nl")


def test_every_extracted_text_has_a_dutch_translation(extracted: Catalog) -> None:
    po = dutch()
    missing = [m.id for m in extracted if m.id and m.id not in po]
    assert not missing, f"not in nl/messages.po (run the pybabel commands): {missing}"


def test_no_dutch_translation_is_empty_or_fuzzy() -> None:
    unfinished = []
    for m in dutch():
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.fuzzy or not all(strings):
            unfinished.append(m.id)
    assert not unfinished, f"empty or fuzzy in nl/messages.po: {unfinished}"


def test_the_committed_mo_is_compiled_from_the_po(tmp_path: Path) -> None:
    target = tmp_path / "nl" / "LC_MESSAGES"
    target.mkdir(parents=True)
    fresh = target / "messages.mo"
    pybabel("compile", "-i", str(PO), "-o", str(fresh), "-l", "nl")

    def pairs(path: Path) -> dict[object, object]:
        with path.open("rb") as found:
            return {_key(m.id): _key(m.string) for m in read_mo(found) if m.id}

    assert pairs(MO) == pairs(fresh), "messages.mo is out of date: run pybabel compile"


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, (list, tuple)) else value


def test_amounts_are_formatted_for_the_readers_locale() -> None:
    # "€ 1.234,56", the space a no-break space (the sign never wraps from the amount)
    assert Formats("nl").money(Decimal("1234.56"), "EUR") == "€\u00a01.234,56"
    assert Formats("en").money(Decimal("1234.56"), "EUR") == "€1,234.56"
    assert Formats("nl").number(Decimal("1234.5"), 2) == "1.234,50"
    assert Formats("nl").percent(Decimal("0.21")) == "21%"


def test_dates_are_written_in_dutch_for_a_dutch_reader() -> None:
    assert Formats("nl").date(date(2026, 3, 5), "long") == "5 maart 2026"
    assert Formats("en").date(date(2026, 3, 5), "long") == "5 March 2026"
    assert "mrt" in Formats("nl").datetime(datetime(2026, 3, 5, 14, 30))


def test_a_service_text_with_values_is_translated_and_exacts_words_stay_as_sent() -> None:
    text = N_("Exact refused the access token: %(reason)s", reason="Forbidden by Exact")
    assert text == "Exact refused the access token: Forbidden by Exact"  # English for API/logs
    assert translate(text, "nl") == "Exact weigerde het toegangstoken: Forbidden by Exact"
    # a text stored as plain English (a status reason) is read back into its template
    stored = str(text)
    assert translate(stored, "nl") == "Exact weigerde het toegangstoken: Forbidden by Exact"
    assert translate("not connected to Exact Online", "nl") == "niet verbonden met Exact Online"
    assert translate("something Exact said", "nl") == "something Exact said"
    assert translate(None, "nl") == ""


def test_every_dutch_translation_keeps_the_placeholders_of_its_msgid() -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in dutch().check()]
    assert not problems, f"translations whose %(name)s placeholders differ: {problems}"


def test_a_stored_sync_summary_line_is_read_back_translatable() -> None:
    line = N_(
        "%(thing)s ended (end date %(date)s)",
        thing=N_("%(kind)s %(code)s", kind=N_("project"), code="P-104"),
        date=date(2026, 11, 1),
    )
    assert line == "project P-104 ended (end date 2026-11-01)"  # the English stays as it was
    stored = json.loads(json.dumps(as_json(line)))
    assert translate(from_json(stored), "nl") == "project P-104 beëindigd (einddatum 1 nov 2026)"
    counted = N_("%(count)s %(things)s added", count=1234, things=N_("GL accounts"))
    assert translate(counted, "nl") == "1.234 grootboekrekeningen toegevoegd"
    # an older summary, stored as plain English, is read back through the msgid
    assert translate("3 GL accounts added", "nl") == "3 grootboekrekeningen toegevoegd"
