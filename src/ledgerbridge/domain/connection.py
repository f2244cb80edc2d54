"""The lifecycle of a company's Exact Online connection, as a state machine.

    pending ──consent──▶ connected ◀──renew── needs_reauth
                          │  ▲  ▲                 ▲
             403 refusal  ▼  │  └─ a call gets    │ chain dead (from connected or error)
                         error      through
    any but disconnected ──disconnect──▶ disconnected ──connect again──▶ pending / connected

- *pending*: a consent was started and no tokens were accepted yet.
- *connected*: tokens are held; calls to Exact are made (once a division is chosen).
- *needs_reauth*: Exact ended the token chain (old refresh token used, expired,
  consent revoked, the same Exact user consented for another company); nothing is
  called until a person renews.
- *error*: the tokens work but Exact refuses the user, licence or administration
  (a 403 ``Reason``); the next call that gets through moves it back to *connected*.
- *disconnected*: a person disconnected; the tokens are forgotten, history kept.

Every allowed move is in ``ALLOWED``; ``move`` refuses anything else, naming both
states. ``ConnectionState`` derives every field an answer shows from one status,
so an answer can never say two things at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledgerbridge.domain.errors import InvalidTransition
from ledgerbridge.domain.wording import N_


class ConnectionStatus(StrEnum):
    PENDING = "pending"
    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"
    ERROR = "error"
    DISCONNECTED = "disconnected"

    @property
    def holds_tokens(self) -> bool:
        """Tokens are stored and may be used (a 403 refusal does not void them)."""
        return self in (ConnectionStatus.CONNECTED, ConnectionStatus.ERROR)


C = ConnectionStatus

ALLOWED: frozenset[tuple[ConnectionStatus, ConnectionStatus]] = frozenset(
    {
        (C.PENDING, C.CONNECTED),
        (C.PENDING, C.DISCONNECTED),
        (C.CONNECTED, C.NEEDS_REAUTH),
        (C.CONNECTED, C.ERROR),
        (C.CONNECTED, C.DISCONNECTED),
        # A renewed consent replaces the tokens of a working connection.
        (C.CONNECTED, C.CONNECTED),
        (C.ERROR, C.CONNECTED),
        (C.ERROR, C.NEEDS_REAUTH),
        (C.ERROR, C.DISCONNECTED),
        (C.NEEDS_REAUTH, C.CONNECTED),
        (C.NEEDS_REAUTH, C.DISCONNECTED),
        (C.DISCONNECTED, C.PENDING),
        (C.DISCONNECTED, C.CONNECTED),
    }
)


def can_move(current: ConnectionStatus, target: ConnectionStatus) -> bool:
    return (current, target) in ALLOWED


def move(current: ConnectionStatus, target: ConnectionStatus) -> ConnectionStatus:
    """``target`` when the move is allowed; ``InvalidTransition`` otherwise."""
    if not can_move(current, target):
        raise InvalidTransition(current, target, "not a move of an Exact Online connection")
    return target


@dataclass(frozen=True)
class ConnectionState:
    """What is known about one connection; every shown field is derived from it.

    ``None`` as a whole (no connection row) is shown as ``not_connected`` by callers.
    """

    status: ConnectionStatus
    reason: str | None
    division: int | None

    @property
    def needs_division(self) -> bool:
        """Tokens work but no administration was chosen yet."""
        return self.status is ConnectionStatus.CONNECTED and self.division is None

    @property
    def usable(self) -> bool:
        """Exact may be called for the chosen division (exports, syncs)."""
        return self.status is ConnectionStatus.CONNECTED and self.division is not None

    @property
    def next_step(self) -> str:
        """What a person does next, in plain words."""
        match self.status:
            case ConnectionStatus.PENDING:
                return N_("finish the sign-in at Exact Online")
            case ConnectionStatus.CONNECTED if self.division is None:
                return N_("choose the Exact Online administration (division)")
            case ConnectionStatus.CONNECTED:
                return N_("nothing: the connection works")
            case ConnectionStatus.ERROR:
                return N_("fix the access problem in Exact Online, or renew with another user")
            case ConnectionStatus.NEEDS_REAUTH:
                return N_("renew the connection (sign in at Exact Online again)")
        return N_("connect to Exact Online")
