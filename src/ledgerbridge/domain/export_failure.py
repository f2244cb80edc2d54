"""Why an export failed, in plain words, and what the user can do about it. Pure.

Failures come in four classes (STYLE.md, after pretix's export errors):

- ``transient`` — Exact unreachable, a 5xx whose write turned out not to exist, a rate
  limit: retried automatically with backoff; the user only sees it as "waiting";
- ``person`` — Exact refused the content (a blocked account, a closed period, a wrong
  journal): the transaction waits in the export queue with the reason, the action and
  Exact's own message;
- ``auth`` — the connection lost its authorisation: the division's work pauses until the
  connection is renewed, then resumes; nothing is lost;
- ``internal`` — a fault of ours: the export queue, with the trace in the log.

Exact's messages are in the Exact user's language (EXACT_API.md §2.6); the patterns below
recognise the common English and Dutch ones to name the action. Whatever the pattern, the
original message is kept and shown beside our words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ledgerbridge.domain.wording import N_


class FailureClass(StrEnum):
    TRANSIENT = "transient"
    PERSON = "person"
    AUTH = "auth"
    INTERNAL = "internal"


class Action(StrEnum):
    """What a person does about a failure (the queue's button row follows from it)."""

    FIX_CODING = "fix_coding"
    REOPEN_PERIOD = "reopen_period"
    CHOOSE_JOURNAL = "choose_journal"
    CHECK_SUPPLIER = "check_supplier"
    RECONNECT = "reconnect"
    RETRY = "retry"
    CONTACT_SUPPORT = "contact_support"


ACTION_WORDS: dict[Action, str] = {
    Action.FIX_CODING: N_("Fix the coding (reopen it for editing), then mark it ready again."),
    Action.REOPEN_PERIOD: N_(
        "Reopen the period in Exact Online, or choose to post in the first open period, then retry."
    ),
    Action.CHOOSE_JOURNAL: N_("Choose another journal in the export settings, then retry."),
    Action.CHECK_SUPPLIER: N_(
        "Check the supplier in Exact Online or in the export settings, then retry."
    ),
    Action.RECONNECT: N_("Renew the Exact Online connection; the export resumes by itself."),
    Action.RETRY: N_("Retry; if it fails again, check the message from Exact Online."),
    Action.CONTACT_SUPPORT: N_("Retry; if it fails again, contact support with this message."),
}


@dataclass(frozen=True, slots=True)
class Failure:
    """One failure as the export queue shows it."""

    failure_class: FailureClass
    reason: str
    action: Action
    exact_message: str | None = None

    @property
    def action_words(self) -> str:
        return ACTION_WORDS[self.action]


# (pattern, reason, action); the first match wins. Case-insensitive, English and Dutch.
_PATTERNS: tuple[tuple[str, str, Action], ...] = (
    (r"period is closed|periode is afgesloten",
     N_("the period of this date is closed in Exact Online"), Action.REOPEN_PERIOD),
    (r"fiscal year|boekjaar|period - date table|periodetabel",
     N_("Exact Online has no financial period for this date"), Action.REOPEN_PERIOD),
    (r"journal|dagboek",
     N_("Exact Online refused the journal"), Action.CHOOSE_JOURNAL),
    (r"(blocked|geblokkeerd|inactive|niet actief).*(g/l|grootboek)|(g/l|grootboek).*"
     r"(blocked|geblokkeerd)",
     N_("the GL account is blocked in Exact Online"), Action.FIX_CODING),
    (r"vat|btw",
     N_("Exact Online refused the VAT code or VAT amount"), Action.FIX_CODING),
    (r"cost ?cent|kostenplaats|cost ?unit|kostendrager|project",
     N_("Exact Online refused a cost centre, cost unit or project"), Action.FIX_CODING),
    (r"g/l|grootboek",
     N_("Exact Online refused the GL account"), Action.FIX_CODING),
    (r"supplier|leverancier|relatie|relationship|account",
     N_("Exact Online refused the supplier"), Action.CHECK_SUPPLIER),
    (r"evenwicht|balance",
     N_("the entry does not balance in Exact Online (a rounding difference)"),
     Action.FIX_CODING),
    (r"too large|te groot|size",
     N_("the receipt is larger than Exact Online accepts"), Action.FIX_CODING),
)  # fmt: skip


def rejected(message: str) -> Failure:
    """Exact refused the content: a person must act (the export queue)."""
    text = message.strip()
    for pattern, reason, action in _PATTERNS:
        if re.search(pattern, text, re.IGNORECASE):
            return Failure(FailureClass.PERSON, reason, action, text)
    return Failure(
        FailureClass.PERSON,
        N_("Exact Online refused the entry"),
        Action.RETRY,
        text,
    )


def auth_lost(message: str) -> Failure:
    return Failure(
        FailureClass.AUTH,
        N_("the Exact Online connection lost its authorisation"),
        Action.RECONNECT,
        message,
    )


def internal(message: str) -> Failure:
    return Failure(
        FailureClass.INTERNAL,
        N_("LedgerBridge could not complete the export (an internal error)"),
        Action.CONTACT_SUPPORT,
        message,
    )


def coding_refused(reason: str) -> Failure:
    """The fresh sync before the run made the coding unusable (back to *to prepare*)."""
    return Failure(FailureClass.PERSON, reason, Action.FIX_CODING)
