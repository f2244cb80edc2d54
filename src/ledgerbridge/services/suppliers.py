"""Which Exact supplier a merchant is: by VAT number, then chamber of commerce number, then name.

The export settings' per-merchant strategy (prep issue §5) books a transaction on the
supplier Exact already knows for that merchant, else on the generic supplier. Numbers
are validated and normalised with ``python-stdnum`` (never by hand):

- VAT numbers: any EU VAT number (``stdnum.eu.vat``), compacted with its country prefix
  (``NL 8596.96.394.B01`` → ``NL859696394B01``); an invalid one is ignored for matching.
- Chamber of commerce numbers: a Belgian enterprise number (KBO/BCE, the VAT number's
  ten digits, checked by ``stdnum.be.vat``) or a Dutch KvK number (eight digits; KvK
  numbers carry no check digit, so only their form can be checked).
- IBANs (``stdnum.iban``) for supplier bank accounts the export may create.
- Names: case, accents, punctuation and legal forms (B.V., N.V., VOF, BVBA, GmbH, Ltd …)
  ignored, so "Coolblue B.V." and "COOLBLUE" are one merchant.

A blocked supplier never matches. Several suppliers sharing a number or name make the
match ambiguous: the generic supplier is used and the reason says which codes collided.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from stdnum import iban as stdnum_iban
from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.util import clean

from ledgerbridge.domain.dimension_facts import SupplierFacts
from ledgerbridge.domain.dimensions import Dimension
from ledgerbridge.domain.wording import N_, Phrase

LEGAL_FORMS = frozenset(
    "bv nv vof cv bvba sprl srl sa ltd limited llc inc gmbh ag ug sarl sas spa plc ab oy".split()
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class MatchedBy(StrEnum):
    VAT_NUMBER = "vat_number"
    COC_NUMBER = "coc_number"
    NAME = "name"
    GENERIC = "generic"


@dataclass(frozen=True, slots=True)
class Merchant:
    """What we know of a merchant: its name and, when the card feed or a user gave them,
    its VAT and chamber of commerce numbers and country (ISO 3166-1 alpha-2)."""

    name: str
    vat_number: str | None = None
    coc_number: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class SupplierMatch:
    code: str | None  # None: no generic supplier configured and nothing matched
    by: MatchedBy
    reason: Phrase


def normal_vat(number: str | None, country: str | None = None) -> str | None:
    """The compact EU VAT number (``NL859696394B01``), or None when it is not valid.

    A number without its country prefix takes ``country``'s (``859696394B01`` + NL).
    """
    if not number or not number.strip():
        return None
    compact = clean(number, " -./,").upper().strip()
    if country and compact[:2].isdigit():
        prefix = "EL" if country.upper() == "GR" else country.upper()
        compact = prefix + compact
    try:
        return str(eu_vat.validate(compact))
    except ValidationError:
        return None


def normal_coc(number: str | None, country: str | None = None) -> str | None:
    """A chamber of commerce number in one form: KBO/BCE ``0403170701`` or KvK ``34197976``."""
    if not number or not number.strip():
        return None
    compact = clean(number, " -./").upper().removeprefix("BE").removeprefix("NL")
    if not compact.isdigit():
        return None
    if country in (None, "BE") and len(compact) in (9, 10):
        try:
            return str(be_vat.validate(compact))
        except ValidationError:
            return None
    if country in (None, "NL") and len(compact) == 8:
        return compact
    return None


def normal_iban(number: str | None) -> str | None:
    """The compact IBAN (``NL91ABNA0417164300``), or None when it is not valid."""
    if not number or not number.strip():
        return None
    try:
        return str(stdnum_iban.validate(number))
    except ValidationError:
        return None


def normal_name(name: str) -> str:
    """Lower case, no accents or punctuation, no legal form: "Café Noir B.V." → "cafe noir"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    joined = re.sub(r"\b(\w)\.(?=\w\.)", r"\1", plain.casefold())  # b.v. → bv.
    words = [w for w in _WORD.findall(joined.replace(".", "")) if w not in LEGAL_FORMS]
    return " ".join(words) or " ".join(_WORD.findall(plain.casefold()))


class SupplierDirectory:
    """The synced suppliers indexed by VAT number, chamber of commerce number and name."""

    def __init__(self, suppliers: Iterable[Dimension]) -> None:
        self._by: dict[MatchedBy, dict[str, list[str]]] = {
            kind: defaultdict(list)
            for kind in (MatchedBy.VAT_NUMBER, MatchedBy.COC_NUMBER, MatchedBy.NAME)
        }
        for supplier in suppliers:
            if supplier.blocked:
                continue
            facts = supplier.facts if isinstance(supplier.facts, SupplierFacts) else None
            country = facts.country if facts else None
            keys = {
                MatchedBy.VAT_NUMBER: normal_vat(facts.vat_number, country) if facts else None,
                MatchedBy.COC_NUMBER: normal_coc(facts.coc_number, country) if facts else None,
                MatchedBy.NAME: normal_name(supplier.name) if supplier.name else None,
            }
            for kind, key in keys.items():
                if key:
                    self._by[kind][key].append(supplier.code)

    def match(self, merchant: Merchant, generic: str | None) -> SupplierMatch:
        """The supplier for ``merchant``; the generic one (with the reason) when none fits."""
        country = merchant.country
        tried = (
            (MatchedBy.VAT_NUMBER, normal_vat(merchant.vat_number, country)),
            (MatchedBy.COC_NUMBER, normal_coc(merchant.coc_number, country)),
            (MatchedBy.NAME, normal_name(merchant.name) if merchant.name else None),
        )
        shared: list[tuple[MatchedBy, str, list[str]]] = []
        for kind, key in tried:
            codes = self._by[kind].get(key, []) if key else []
            if len(codes) == 1:
                return SupplierMatch(codes[0], kind, _MATCHED[kind](codes[0]))
            if key and codes:
                shared.append((kind, key, sorted(codes)))
        if shared:
            kind, key, codes = shared[0]
            why = N_(
                "%(what)s %(key)s belongs to several suppliers in Exact Online (%(codes)s)",
                what=_LABEL[kind],
                key=key,
                codes=", ".join(codes),
            )
        else:
            why = N_("no supplier in Exact Online matches %(merchant)s", merchant=merchant.name)
        if generic is None:
            reason = N_("%(why)s, and no generic supplier is set", why=why)
            return SupplierMatch(None, MatchedBy.GENERIC, reason)
        reason = N_("%(why)s: booked on the generic supplier %(code)s", why=why, code=generic)
        return SupplierMatch(generic, MatchedBy.GENERIC, reason)


_LABEL = {
    MatchedBy.VAT_NUMBER: N_("VAT number"),
    MatchedBy.COC_NUMBER: N_("chamber of commerce number"),
    MatchedBy.NAME: N_("name"),
}
_MATCHED = {
    MatchedBy.VAT_NUMBER: lambda code: N_("same VAT number as supplier %(code)s", code=code),
    MatchedBy.COC_NUMBER: lambda code: N_(
        "same chamber of commerce number as supplier %(code)s", code=code
    ),
    MatchedBy.NAME: lambda code: N_("same name as supplier %(code)s", code=code),
}
