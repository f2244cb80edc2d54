"""Use cases of a company's admin: invitations, members and roles, API keys.

Each takes the company it acts for (from the caller's principal, never from
input), is one unit of work, commits once and leaves an audit row. Another
company's invitation, member or key is reported as not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from ledgerbridge.db.models.accounts import ApiKey, Invitation
from ledgerbridge.db.repositories.errors import NotFound
from ledgerbridge.services.access import secrets as tokens
from ledgerbridge.services.access.principal import ROLES
from ledgerbridge.services.errors import (
    ConflictError,
    Gone,
    InvalidRequest,
    NotFoundError,
)
from ledgerbridge.services.ports import Clock, Mailer, UnitOfWork, UnitOfWorkFactory

INVITATION_LIFETIME = timedelta(days=7)


class LastAdmin(ConflictError):
    """The change would leave the company without an admin."""


class InvitationUsed(Gone):
    """The invitation was accepted already."""


class InvitationExpired(Gone):
    """The invitation's time ran out."""


# The page that takes an invitation's token (it calls POST /api/v1/invitations/accept).
INVITATION_PATH = "/invitations/accept?token="


def invitation_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{INVITATION_PATH}{token}"


def known_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidRequest(f"unknown role {role!r}; one of admin, bookkeeper, viewer")
    return role


def clean_email(email: str) -> str:
    cleaned = email.strip().lower()
    if "@" not in cleaned or len(cleaned) > 320 or cleaned.startswith("@"):
        raise InvalidRequest(f"{email!r} is not an email address")
    return cleaned


@dataclass(frozen=True, slots=True)
class Invited:
    """A new invitation; ``token`` is shown once (it goes into the link)."""

    id: uuid.UUID
    email: str
    role: str
    token: str
    expires_at: datetime


def invite(
    uow_factory: UnitOfWorkFactory,
    now: Clock,
    company_id: uuid.UUID,
    email: str,
    role: str,
    *,
    actor: str,
) -> Invited:
    """Invite ``email`` as ``role``. Commits. Raises ``ConflictError`` for a member."""
    email, role, at = clean_email(email), known_role(role), now()
    token = tokens.new_token()
    with uow_factory() as uow:
        user = uow.users.by_email(email)
        if user is not None and uow.members.role_of(company_id, user.id) is not None:
            raise ConflictError(f"{email} is already a member; change the role instead")
        row = uow.invitations.add(
            company_id,
            email=email,
            role=role,
            token_hash=tokens.token_hash(token),
            invited_by=actor,
            at=at,
            expires_at=at + INVITATION_LIFETIME,
        )
        uow.audit.record(
            company_id,
            action="user.invited",
            actor=actor,
            subject_type="invitation",
            subject_id=row.id,
            details={"email": email, "role": role},
        )
        uow.commit()
        return Invited(row.id, email, role, token, row.expires_at)


@dataclass(frozen=True, slots=True)
class OpenInvitation:
    id: uuid.UUID
    email: str
    role: str
    invited_by: str
    created_at: datetime
    expires_at: datetime


def email_invitation(mailer: Mailer, invited: Invited, link: str, company: str) -> str | None:
    """E-mail the link; ``None`` when sent, else why not (the link still works)."""
    body = (
        f"You are invited to {company} in LedgerBridge as {invited.role}.\n\n"
        f"Open this link to join (valid until {invited.expires_at:%Y-%m-%d %H:%M} UTC):\n"
        f"{link}\n\nIf you did not expect this, ignore this e-mail."
    )
    try:
        mailer.send(invited.email, f"Invitation to {company} in LedgerBridge", body)
    except OSError as error:
        return f"the mail server did not take the e-mail ({error}); copy the link instead"
    return None


def invitations(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[OpenInvitation]:
    """Open invitations (expired ones too, so they can be revoked), newest first."""
    with uow_factory() as uow:
        return [
            OpenInvitation(i.id, i.email, i.role, i.invited_by, i.created_at, i.expires_at)
            for i in uow.invitations.open(company_id)
        ]


def revoke_invitation(
    uow_factory: UnitOfWorkFactory,
    now: Clock,
    company_id: uuid.UUID,
    invitation_id: uuid.UUID,
    *,
    actor: str,
) -> None:
    """Commits. Raises ``NotFoundError`` for another company's or a used invitation."""
    with uow_factory() as uow:
        try:
            uow.invitations.revoke(company_id, invitation_id, now())
        except NotFound:
            raise NotFoundError(f"no open invitation {invitation_id}") from None
        uow.audit.record(
            company_id,
            action="invitation.revoked",
            actor=actor,
            subject_type="invitation",
            subject_id=invitation_id,
        )
        uow.commit()


def accept_invitation(
    uow_factory: UnitOfWorkFactory, now: Clock, token: str, password: str | None
) -> str:
    """Join the invitation's company; a new user sets ``password``. Commits.

    The company's slug is returned. Raises ``NotFoundError`` for an unknown token,
    ``Gone`` for an expired, revoked or used one, ``InvalidRequest`` when a new
    user gives no (or too short a) password, ``ConflictError`` for a member.
    """
    at = now()
    with uow_factory() as uow:
        found = uow.invitations.by_token_hash(tokens.token_hash(token))
        if found is None:
            raise NotFoundError("no such invitation; ask an admin for a new link")
        _usable(found, at)
        user = uow.users.by_email(found.email)
        if user is None:
            if not password:
                raise InvalidRequest("choose a password to create your account")
            user = uow.users.add(found.email, tokens.hash_password(password))
        elif user.password_hash is None and password:
            user.password_hash = tokens.hash_password(password)
        if uow.members.role_of(found.company_id, user.id) is not None:
            raise ConflictError(f"{found.email} is already a member")
        uow.members.add(found.company_id, user.id, found.role)
        found.accepted_at = at
        _audit_member(uow, found.company_id, "user.joined", found.email, user.id, found.role)
        company = uow.companies.get(found.company_id)
        uow.commit()
        return company.slug if company else ""


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    """What an invitation's page shows before it is accepted."""

    email: str
    role: str
    company_name: str
    new_user: bool  # no account yet: accepting sets a password


def pending_invitation(uow_factory: UnitOfWorkFactory, now: Clock, token: str) -> PendingInvitation:
    """Read only. Raises like ``accept_invitation`` (``NotFoundError``, ``Gone``)."""
    with uow_factory() as uow:
        found = uow.invitations.by_token_hash(tokens.token_hash(token))
        if found is None:
            raise NotFoundError("no such invitation; ask an admin for a new link")
        _usable(found, now())
        user = uow.users.by_email(found.email)
        company = uow.companies.get(found.company_id)
        return PendingInvitation(
            found.email,
            found.role,
            company.name if company else "",
            user is None or user.password_hash is None,
        )


def _usable(found: Invitation, at: datetime) -> None:
    if found.accepted_at is not None:
        raise InvitationUsed("this invitation was already used; sign in instead")
    if found.revoked_at is not None:
        raise Gone("this invitation was withdrawn; ask an admin for a new one")
    if found.expires_at <= at:
        raise InvitationExpired(
            f"this invitation expired on {found.expires_at:%Y-%m-%d}; ask an admin for a new one"
        )


@dataclass(frozen=True, slots=True)
class Member:
    user_id: uuid.UUID
    email: str
    role: str


def members(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[Member]:
    with uow_factory() as uow:
        return [Member(u.id, u.email, role) for u, role in uow.members.members(company_id)]


def set_role(
    uow_factory: UnitOfWorkFactory,
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    *,
    actor: str,
) -> None:
    """Commits. Raises ``NotFoundError`` for a non-member, ``ConflictError`` when it
    would leave the company without an admin."""
    role = known_role(role)
    with uow_factory() as uow:
        current = uow.members.role_of(company_id, user_id)
        if current is None:
            raise NotFoundError(f"no member {user_id}")
        if current == "admin" and role != "admin":
            _keep_an_admin(uow, company_id)
        uow.members.set_role(company_id, user_id, role)
        _audit_member(uow, company_id, "member.role_changed", actor, user_id, role)
        uow.commit()


def remove_member(
    uow_factory: UnitOfWorkFactory, company_id: uuid.UUID, user_id: uuid.UUID, *, actor: str
) -> None:
    """Commits; the user's sessions lose this company at once. Raises like ``set_role``."""
    with uow_factory() as uow:
        current = uow.members.role_of(company_id, user_id)
        if current is None:
            raise NotFoundError(f"no member {user_id}")
        if current == "admin":
            _keep_an_admin(uow, company_id)
        uow.members.remove(company_id, user_id)
        _audit_member(uow, company_id, "member.removed", actor, user_id, current)
        uow.commit()


def _keep_an_admin(uow: UnitOfWork, company_id: uuid.UUID) -> None:
    if uow.members.count_admins(company_id) <= 1:
        raise LastAdmin("the company's last admin cannot go; make someone else admin first")


def _audit_member(
    uow: UnitOfWork, company_id: uuid.UUID, action: str, actor: str, user_id: object, role: str
) -> None:
    uow.audit.record(
        company_id,
        action=action,
        actor=actor,
        subject_type="user",
        subject_id=user_id,
        details={"role": role},
    )


@dataclass(frozen=True, slots=True)
class NewKey:
    """A new API key; ``key`` is shown once and stored only as a hash."""

    id: uuid.UUID
    name: str
    role: str
    key: str


def create_api_key(
    uow_factory: UnitOfWorkFactory,
    now: Clock,
    company_id: uuid.UUID,
    name: str,
    role: str,
    *,
    actor: str,
) -> NewKey:
    """Commits."""
    name, role = name.strip(), known_role(role)
    if not name or len(name) > 255:
        raise InvalidRequest("give the key a name of 1 to 255 characters")
    key = tokens.new_token(tokens.API_KEY_PREFIX)
    with uow_factory() as uow:
        row = uow.api_keys.add(
            company_id,
            name=name,
            role=role,
            prefix=key[:10],
            key_hash=tokens.token_hash(key),
            created_by=actor,
            at=now(),
        )
        uow.audit.record(
            company_id,
            action="api_key.created",
            actor=actor,
            subject_type="api_key",
            subject_id=row.id,
            details={"name": name, "role": role},
        )
        uow.commit()
        return NewKey(row.id, name, role, key)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as listed: never the key itself, only its first characters."""

    id: uuid.UUID
    name: str
    role: str
    prefix: str
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _info(k: ApiKey) -> KeyInfo:
    return KeyInfo(
        k.id, k.name, k.role, k.prefix, k.created_by, k.created_at, k.last_used_at, k.revoked_at
    )


def api_keys(uow_factory: UnitOfWorkFactory, company_id: uuid.UUID) -> list[KeyInfo]:
    with uow_factory() as uow:
        return [_info(k) for k in uow.api_keys.all(company_id)]


def revoke_api_key(
    uow_factory: UnitOfWorkFactory,
    now: Clock,
    company_id: uuid.UUID,
    key_id: uuid.UUID,
    *,
    actor: str,
) -> None:
    """Idempotent; commits. Raises ``NotFoundError`` for another company's key."""
    with uow_factory() as uow:
        try:
            uow.api_keys.revoke(company_id, key_id, now())
        except NotFound:
            raise NotFoundError(f"no API key {key_id}") from None
        uow.audit.record(
            company_id,
            action="api_key.revoked",
            actor=actor,
            subject_type="api_key",
            subject_id=key_id,
        )
        uow.commit()
