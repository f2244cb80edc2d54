"""Exact's 403 ``Reason`` values that refuse a whole connection, and what a person can do."""

from __future__ import annotations

from ledgerbridge.domain.wording import N_

ACCESS_ADVICE = {
    "BlockedUser": N_(
        "the Exact user who connected is blocked in Exact; unblock the user or "
        "renew the connection with another user"
    ),
    "InactiveUser": N_(
        "the Exact user who connected is inactive in Exact; reactivate the user "
        "or renew the connection with another user"
    ),
    "NoDivisionAccess": N_(
        "the Exact user has no access to this administration (or did not "
        "select it when consenting); grant access in Exact or renew the connection"
    ),
    "DivisionBlocked": N_("this administration is blocked in Exact"),
    "BlockedCustomer": N_("the Exact Online customer account is blocked; contact Exact"),
    "LicenseExpired": N_("the Exact Online licence has expired; renew it with Exact"),
}
