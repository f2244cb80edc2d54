"""Use cases: sign in and out, who a session or an API key is, password change,
company switch.

Everything lives in PostgreSQL (sessions, CSRF secrets, failed sign-ins,
lock-outs), so any app node answers the same. Each function is one unit of
work; a refusal changes nothing but the failure count it reports.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledgerbridge.db.models.accounts import SignInThrottle, User
from ledgerbridge.db.models.core import Company
from ledgerbridge.domain.wording import N_
from ledgerbridge.services.access import secrets as tokens
from ledgerbridge.services.access.principal import Principal
from ledgerbridge.services.companies import CompanyRef
from ledgerbridge.services.errors import (
    Forbidden,
    InvalidRequest,
    NotAuthenticated,
    NotFoundError,
    SignInLocked,
)
from ledgerbridge.services.ports import Clock, UnitOfWork, UnitOfWorkFactory

SESSION_LIFETIME = timedelta(days=14)
MAX_FAILED_SIGN_INS = 5
MAX_FAILED_PER_ADDRESS = 20
LOCK_OUT = timedelta(minutes=15)
WRONG = N_("wrong email or password")
Counted = User | SignInThrottle  # what carries ``failed_sign_ins`` and ``locked_until``


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: ``token`` goes in the cookie, ``csrf_token`` in unsafe requests."""

    token: str
    csrf_token: str
    expires_at: datetime


def sign_in(
    uow_factory: UnitOfWorkFactory,
    now: Clock,
    email: str,
    password: str,
    client: str | None = None,
) -> SignedIn:
    """Open a session for the user, its first company chosen. Commits.

    Raises ``NotAuthenticated`` (same message for an unknown email and a wrong
    password) and ``SignInLocked`` after ``MAX_FAILED_SIGN_INS`` failures in a row,
    for ``LOCK_OUT``; a failure is counted (committed) even though it raises. An
    email without an account is counted and locked out exactly like a known one
    (in ``sign_in_throttles``), so the answers tell nobody which emails exist; so
    is the ``client`` address, after ``MAX_FAILED_PER_ADDRESS`` failures whatever
    the emails.
    """
    at = now()
    with uow_factory() as uow:
        user = uow.users.by_email(email, for_update=True)
        own: Counted = user if user is not None else _throttle(uow, f"email:{email}", at)
        address = _throttle(uow, f"client:{client}", at) if client else None
        locks = [c.locked_until for c in (own, address) if c is not None and c.locked_until]
        if any(until > at for until in locks):
            raise _locked(max(locks))
        # An unknown email is verified against a dummy hash: both answers take as long.
        if not tokens.password_matches(user.password_hash if user else None, password):
            _count_failure(uow, at, (own, MAX_FAILED_SIGN_INS), (address, MAX_FAILED_PER_ADDRESS))
            raise NotAuthenticated(WRONG)
        assert user is not None  # a match needs a stored hash
        user.failed_sign_ins, user.locked_until = 0, None
        memberships = uow.users.memberships(user.id)
        first = memberships[0][0].id if memberships else None
        uow.sessions.forget_expired(at)
        uow.users.forget_throttles(at - LOCK_OUT)
        token, csrf = tokens.new_token(), tokens.new_token()
        expires = at + SESSION_LIFETIME
        uow.sessions.open(user.id, tokens.token_hash(token), csrf, first, at, expires)
        uow.audit.record(first, action="user.signed_in", actor=user.email)
        uow.commit()
    return SignedIn(token, csrf, expires)


def _throttle(uow: UnitOfWork, key: str, at: datetime) -> SignInThrottle:
    """The count under ``key`` (an email normalised like ``users.by_email``); a count
    whose last failure is older than ``LOCK_OUT`` starts again."""
    kind, _, value = key.partition(":")
    found = uow.users.throttle(f"{kind}:{value.strip().lower()}"[:400], at)
    if found.last_failed_at < at - LOCK_OUT:
        found.failed_sign_ins = 0
    return found


def _count_failure(uow: UnitOfWork, at: datetime, *counted: tuple[Counted | None, int]) -> None:
    """Commit one more failure on each count; reaching its limit locks that count
    for ``LOCK_OUT`` (and says so)."""
    locked = False
    for count, limit in counted:
        if count is None:
            continue
        count.failed_sign_ins += 1
        if isinstance(count, SignInThrottle):
            count.last_failed_at = at
        if count.failed_sign_ins >= limit:
            count.failed_sign_ins, count.locked_until = 0, at + LOCK_OUT
            locked = True
    uow.commit()
    if locked:
        raise _locked(at + LOCK_OUT)


def _locked(until: datetime) -> SignInLocked:
    return SignInLocked(
        N_(
            "too many failed sign-ins; try again after %(time)s UTC "
            "(or ask an admin to reset the password)",
            time=f"{until:%H:%M}",
        ),
        until,
    )


def sign_out(uow_factory: UnitOfWorkFactory, token: str) -> None:
    """End the session (idempotent). Commits."""
    with uow_factory() as uow:
        uow.sessions.close(tokens.token_hash(token))
        uow.commit()


def session_principal(uow_factory: UnitOfWorkFactory, now: Clock, token: str) -> Principal:
    """Who the session cookie ``token`` is. Read-only.

    Raises ``NotAuthenticated`` for an unknown or expired session. A chosen company
    the user is no longer a member of is dropped (``company`` is then ``None``).
    """
    hashed = tokens.token_hash(token)
    with uow_factory() as uow:
        found = uow.sessions.by_token_hash(hashed)
        if found is None or found.expires_at <= now():
            raise NotAuthenticated("not signed in (or the session expired); sign in again")
        user = uow.users.get(found.user_id)
        if user is None:
            raise NotAuthenticated("not signed in; sign in again")
        company, role = None, None
        if found.company_id is not None:
            role = uow.members.role_of(found.company_id, user.id)
            row = uow.companies.get(found.company_id) if role is not None else None
            company = _ref(row) if row is not None else None
        return Principal(
            via="session",
            actor=user.email,
            user_id=user.id,
            key_id=None,
            company=company,
            role=role if company is not None else None,
            csrf_token=found.csrf_token,
            session_hash=hashed,
            company_lost=found.company_id is not None and company is None,
        )


def key_principal(uow_factory: UnitOfWorkFactory, now: Clock, key: str) -> Principal:
    """Who the API ``key`` is; notes its use. Commits.

    Raises ``NotAuthenticated`` for an unknown or revoked key (the same answer).
    """
    with uow_factory() as uow:
        found = uow.api_keys.by_hash(tokens.token_hash(key))
        if found is None or found.revoked_at is not None:
            raise NotAuthenticated("the API key is unknown or was revoked")
        company = uow.companies.get(found.company_id)
        if company is None:
            raise NotAuthenticated("the API key is unknown or was revoked")
        uow.api_keys.note_use(found.company_id, found.id, now())
        principal = Principal(
            via="key",
            actor=f"api-key:{found.name}",
            user_id=None,
            key_id=found.id,
            company=_ref(company),
            role=found.role,
        )
        uow.commit()
    return principal


def change_password(
    uow_factory: UnitOfWorkFactory, principal: Principal, current: str, new: str
) -> None:
    """Set a new password; the user's other sessions end. Commits.

    Raises ``Forbidden`` for an API key, ``NotAuthenticated`` for a wrong current
    password, ``InvalidRequest`` for a too short new one.
    """
    if principal.user_id is None:
        raise Forbidden(N_("an API key has no password; sign in as a user"))
    with uow_factory() as uow:
        user = uow.users.get(principal.user_id)
        if user is None or not tokens.password_matches(user.password_hash, current):
            raise NotAuthenticated(N_("the current password is wrong; nothing changed"))
        user.password_hash = tokens.hash_password(new)
        uow.sessions.close_all_of_user(user.id, except_hash=principal.session_hash)
        company = principal.company.id if principal.company else None
        uow.audit.record(company, action="user.password_changed", actor=user.email)
        uow.commit()


def switch_company(uow_factory: UnitOfWorkFactory, principal: Principal, slug: str) -> None:
    """Choose the session's company. Commits.

    Raises ``Forbidden`` for an API key (its company is fixed) and ``NotFoundError``
    for a company the user is no member of (another's is the same answer).
    """
    if principal.session_hash is None or principal.user_id is None:
        raise Forbidden("an API key acts for its own company; it cannot switch")
    with uow_factory() as uow:
        company = uow.companies.by_slug(slug)
        if company is None or uow.members.role_of(company.id, principal.user_id) is None:
            raise NotFoundError(N_("you are no member of a company %(slug)s", slug=repr(slug)))
        uow.sessions.choose_company(principal.session_hash, company.id)
        uow.commit()


@dataclass(frozen=True, slots=True)
class Me:
    email: str | None
    via: str
    company: CompanyRef | None
    role: str | None
    memberships: list[tuple[CompanyRef, str]]
    language: str | None = None


def me(uow_factory: UnitOfWorkFactory, principal: Principal) -> Me:
    """The caller, its memberships and chosen company. Read-only."""
    if principal.user_id is None:
        own = [(principal.company, principal.role or "")] if principal.company else []
        return Me(None, principal.via, principal.company, principal.role, own)
    with uow_factory() as uow:
        listed = [(_ref(c), role) for c, role in uow.users.memberships(principal.user_id)]
        user = uow.users.get(principal.user_id)
        language = user.language if user is not None else None
    return Me(principal.actor, principal.via, principal.company, principal.role, listed, language)


LANGUAGE_CODES = ("en", "nl")


def set_language(
    uow_factory: UnitOfWorkFactory, principal: Principal, language: str | None
) -> None:
    """Store the user's page language (``None``: follow the browser's Accept-Language)."""
    if principal.user_id is None:
        raise Forbidden(N_("an API key has no language; sign in as a user"))
    if language is not None and language not in LANGUAGE_CODES:
        raise InvalidRequest(
            N_(
                "unknown language %(language)s; choose one of: %(choices)s",
                language=repr(language),
                choices=", ".join(LANGUAGE_CODES),
            )
        )
    with uow_factory() as uow:
        user = uow.users.get(principal.user_id)
        if user is None:
            raise NotAuthenticated(N_("not signed in; sign in again"))
        user.language = language
        uow.commit()


def visible_companies(uow_factory: UnitOfWorkFactory, principal: Principal) -> frozenset[uuid.UUID]:
    """The companies whose names the caller may see: its memberships (a key: its company)."""
    return frozenset(company.id for company, _ in me(uow_factory, principal).memberships)


def _ref(company: Company) -> CompanyRef:
    return CompanyRef(company.id, company.slug, company.name, company.base_currency)
