"""A problem the rule engine found, and the English sentences it is told in.

Every message is built from a module-level template with %-style named placeholders, so
the sentence is stable (a translation catalogue keys on the template) and the values are
at hand (``CodingProblem.params``) for a page to format them in the reader's locale.
Each sentence names the field and says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import StrEnum

from ledgerbridge.domain.dimensions import DimensionKind
from ledgerbridge.domain.wording import N_, Phrase

Key = tuple[DimensionKind, str]

# -- a value of a line ----------------------------------------------------------------------
UNKNOWN_VALUE = N_("unknown %(what)s %(code)s: it does not exist (any more) in the administration")
BLOCKED_IN_EXACT = N_("%(what)s %(code)s is blocked in Exact Online")
BLOCKED_LOCALLY = N_("%(what)s %(code)s is blocked")
PROJECT_OUTSIDE_DATES = N_(
    "%(what)s %(code)s runs from %(start)s to %(end)s, outside the transaction date %(day)s"
)
VALUE_ENDED = N_("%(what)s %(code)s ended on %(end)s")
VALUE_NOT_YET_VALID = N_("%(what)s %(code)s starts on %(start)s, after the transaction date")
GL_NOT_FOR_PURCHASES = N_(
    "GL account %(code)s is a %(type_name)s account and cannot be used on a purchase "
    "line; choose a cost account (or an asset account for an investment)"
)
VAT_CODE_FOR_SALES = N_("VAT code %(code)s is for sales, not for purchases")
VAT_CODE_WITHOUT_RATE = N_("VAT code %(code)s has no percentage valid on %(day)s")
COST_REQUIRED = N_("GL account %(gl_account)s requires a %(label)s")
COST_NOT_ALLOWED = N_("GL account %(gl_account)s does not allow a %(label)s; remove %(code)s")

# -- the VAT amount of a line ---------------------------------------------------------------
VAT_AMOUNT_WITHOUT_VAT_CODE = N_(
    "VAT amount: %(vat)s is entered without a VAT code; choose the receipt's VAT code "
    "or remove the VAT amount"
)
VAT_AMOUNT_ON_CODE_WITHOUT_VAT = N_(
    "VAT amount: VAT code %(code)s is %(kind)s and carries no VAT amount; remove the "
    "VAT amount %(vat)s or choose a VAT code with the receipt's rate"
)
VAT_AMOUNT_OPPOSITE_SIGN = N_(
    "VAT amount: %(vat)s has the opposite sign of the line amount %(amount)s; enter the "
    "VAT with the same sign as the line"
)
VAT_AMOUNT_EXCEEDS_LINE = N_(
    "VAT amount: %(vat)s is more than the line amount %(amount)s, which includes the VAT; "
    "correct the VAT amount"
)
VAT_AMOUNT_ON_GROSS = N_(
    "VAT amount: %(vat)s is %(rate)s%% on top of the line amount %(amount)s, but line "
    "amounts include VAT; with VAT code %(code)s the VAT in %(amount)s is %(expected)s"
)
VAT_AMOUNT_MISMATCH = N_(
    "VAT amount: %(vat)s does not match VAT code %(code)s (%(rate)s%%), which gives "
    "%(expected)s on %(amount)s; correct the VAT amount or choose the receipt's VAT code"
)

# -- the transaction as a whole -------------------------------------------------------------
LINES_IN_OTHER_CURRENCY = N_(
    "lines: they are in %(currency)s, the card was charged in %(charged_currency)s; "
    "code the amount the card was charged"
)
LINES_DO_NOT_ADD_UP = N_(
    "lines: they add up to %(total)s, the transaction is %(paid)s (%(gap)s %(what)s); "
    "change the line amounts until they add up"
)
PERIOD_MISSING = N_(
    "entry date: Exact Online has no financial period for %(day)s; ask your accountant "
    "to create the period in Exact Online"
)
PERIOD_CLOSED = N_(
    "entry date: period %(period)s of %(day)s is closed in Exact Online; ask your "
    "accountant to reopen it, or choose to post in the first open period (%(open_period)s)"
)
PERIOD_CLOSED_NONE_OPEN = N_(
    "entry date: period %(period)s of %(day)s is closed in Exact Online and no later "
    "period is open; ask your accountant to reopen it"
)
RECEIPT_REQUIRED = N_(
    "receipt: the export settings require a receipt; attach the receipt before marking "
    "the transaction ready"
)
SETTING_MISSING = N_(
    "%(setting)s: the export settings have no %(setting)s; choose one in the export settings"
)
SUPPLIER_MISSING = N_(
    "supplier: no supplier is mapped to merchant %(merchant)s and the export settings "
    "have no generic supplier; map the merchant or choose a generic supplier"
)


class Rule(StrEnum):
    """Which rule a problem breaks; lets a caller word it for its context."""

    UNKNOWN = "unknown"
    BLOCKED = "blocked"
    NOT_YET_VALID = "not_yet_valid"
    ENDED = "ended"
    OUTSIDE_PERIOD = "outside_period"
    NOT_FOR_PURCHASES = "not_for_purchases"
    NO_VAT_RATE = "no_vat_rate"
    REQUIRED = "required"
    NOT_ALLOWED = "not_allowed"
    VAT_AMOUNT = "vat_amount"
    LINES_TOTAL = "lines_total"
    PERIOD_MISSING = "period_missing"
    PERIOD_CLOSED = "period_closed"
    RECEIPT_REQUIRED = "receipt_required"
    SETTINGS_INCOMPLETE = "settings_incomplete"


@dataclass(frozen=True, slots=True)
class CodingProblem:
    """One problem of one line (``line_index`` 0-based), or of the whole transaction
    (``line_index`` None), in the ``field`` it concerns.

    ``code`` is the field's value ("" when a required value is missing); ``reason`` is
    the English sentence (also ``message``), ``template`` % ``params``; ``concerns`` is
    the value whose facts cause it (the GL account for a missing cost centre), None for a
    problem of the transaction, its period or the settings.
    """

    line_index: int | None
    field: str
    code: str
    reason: str
    rule: Rule
    concerns: Key | None = None
    template: str = ""
    params: Mapping[str, object] = dataclass_field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(
        cls,
        line_index: int | None,
        field_name: str,
        value: str,
        rule: Rule,
        concerns: Key | None,
        template: str,
        /,
        **params: object,
    ) -> CodingProblem:
        """A problem whose reason is ``template % params``."""
        reason = Phrase(str(template), dict(params))  # English now, translatable when shown
        return cls(line_index, field_name, value, reason, rule, concerns, str(template),
                   params)  # fmt: skip

    @property
    def message(self) -> str:
        return self.reason

    def __str__(self) -> str:
        if self.line_index is None:
            return self.reason
        return f"line {self.line_index + 1}: {self.reason}"
