"""Who a request acts as, for which company and with which role, and the role rule.

Roles rank admin > bookkeeper > viewer: admin (integration, settings, users,
keys), bookkeeper (prep and export), viewer (read only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ledgerbridge.db.models.core import ROLES as db_roles
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.companies import CompanyRef
from ledgerbridge.services.errors import Forbidden, InvalidRequest

ROLES = tuple(reversed(db_roles))  # weakest first


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in user (``via="session"``) or an API key (``via="key"``).

    ``company`` and ``role`` are the chosen company and the role there (``None``
    when a signed-in user has not chosen one or belongs to none).
    """

    via: str
    actor: str  # the user's email, or "api-key:<name>"
    user_id: uuid.UUID | None
    key_id: uuid.UUID | None
    company: CompanyRef | None
    role: str | None
    csrf_token: str | None = None
    session_hash: str | None = None
    # The session had chosen a company the user was since removed from.
    company_lost: bool = False


def at_least(role: str | None, needed: str) -> bool:
    return role is not None and ROLES.index(role) >= ROLES.index(needed)


def require_role(principal: Principal, needed: str) -> CompanyRef:
    """The principal's company when its role there is ``needed`` or stronger.

    Raises ``InvalidRequest`` when no company is chosen, ``Forbidden`` for a weaker role.
    """
    if principal.company is None and principal.company_lost:
        raise Forbidden(
            N_(
                "you are no longer a member of the company this session had chosen; "
                "choose another (PUT /api/v1/me/company)"
            )
        )
    if principal.company is None:
        raise InvalidRequest(N_("no company is chosen; choose one first (PUT /api/v1/me/company)"))
    if not at_least(principal.role, needed):
        raise Forbidden(
            N_(
                "your role in %(company)s is %(role)s; this needs %(needed)s or more",
                company=repr(principal.company.slug),
                role=principal.role,
                needed=needed,
            )
        )
    return principal.company
