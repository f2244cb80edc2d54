"""Users, memberships, sign-in sessions, invitations and API keys.

Users and sessions belong to the installation: their methods are marked
``installation_wide`` (a user signs in before any company is known). Memberships,
invitations and API keys are a company's: every method takes the company first
and touches only its rows, except the lookups by a secret's hash (an invitation
link, an API key), which are how the company is learnt in the first place.
Secrets arrive here already hashed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from ledgerbridge.db.models.accounts import (
    ApiKey,
    Invitation,
    Membership,
    SignInSession,
    SignInThrottle,
    User,
)
from ledgerbridge.db.models.core import ROLES, Company
from ledgerbridge.db.repositories.connections import installation_wide
from ledgerbridge.db.repositories.errors import NotFound


def _known_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (expected one of {sorted(ROLES)})")
    return role


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @installation_wide
    def get(self, user_id: uuid.UUID) -> User | None:
        return self.session.get(User, user_id)

    @installation_wide
    def by_email(self, email: str, *, for_update: bool = False) -> User | None:
        query = select(User).where(User.email == email.strip().lower())
        return self.session.scalar(query.with_for_update() if for_update else query)

    @installation_wide
    def add(self, email: str, password_hash: str | None = None) -> User:
        user = User(id=uuid.uuid4(), email=email.strip().lower(), password_hash=password_hash)
        self.session.add(user)
        self.session.flush()
        return user

    @installation_wide
    def throttle(self, key: str, at: datetime) -> SignInThrottle:
        """The failure count under ``key``, locked for update (made if new)."""
        self.session.execute(
            pg_insert(SignInThrottle)
            .values(key=key, failed_sign_ins=0, last_failed_at=at)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        found = self.session.scalar(query)
        assert found is not None
        self.session.refresh(found)
        return found

    @installation_wide
    def forget_throttles(self, before: datetime) -> None:
        """Drop the counts whose last failure and lock-out are both before ``before``."""
        self.session.execute(
            delete(SignInThrottle).where(
                SignInThrottle.last_failed_at < before,
                (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < before),
            )
        )

    @installation_wide
    def memberships(self, user_id: uuid.UUID) -> list[tuple[Company, str]]:
        """The companies the user belongs to with its role in each, by slug."""
        query = (
            select(Company, Membership.role)
            .join(Membership, Membership.company_id == Company.id)
            .where(Membership.user_id == user_id)
            .order_by(Company.slug)
        )
        return [(company, role) for company, role in self.session.execute(query)]


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @installation_wide
    def open(
        self,
        user_id: uuid.UUID,
        token_hash: str,
        csrf_token: str,
        company_id: uuid.UUID | None,
        at: datetime,
        expires_at: datetime,
    ) -> SignInSession:
        row = SignInSession(
            id=uuid.uuid4(),
            user_id=user_id,
            token_hash=token_hash,
            csrf_token=csrf_token,
            company_id=company_id,
            created_at=at,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    @installation_wide
    def by_token_hash(self, token_hash: str) -> SignInSession | None:
        return self.session.scalar(
            select(SignInSession).where(SignInSession.token_hash == token_hash)
        )

    @installation_wide
    def close(self, token_hash: str) -> bool:
        done = self.session.execute(
            delete(SignInSession).where(SignInSession.token_hash == token_hash)
        )
        return bool(getattr(done, "rowcount", 0))

    @installation_wide
    def close_all_of_user(self, user_id: uuid.UUID, *, except_hash: str | None = None) -> None:
        query = delete(SignInSession).where(SignInSession.user_id == user_id)
        if except_hash is not None:
            query = query.where(SignInSession.token_hash != except_hash)
        self.session.execute(query)

    @installation_wide
    def forget_expired(self, at: datetime) -> None:
        """Delete every session expired by ``at`` (any user's: they are useless)."""
        self.session.execute(delete(SignInSession).where(SignInSession.expires_at <= at))

    @installation_wide
    def choose_company(self, token_hash: str, company_id: uuid.UUID | None) -> None:
        self.session.execute(
            update(SignInSession)
            .where(SignInSession.token_hash == token_hash)
            .values(company_id=company_id)
        )


class MembershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def members(self, company_id: uuid.UUID) -> list[tuple[User, str]]:
        query = (
            select(User, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.company_id == company_id)
            .order_by(User.email)
        )
        return [(user, role) for user, role in self.session.execute(query)]

    def role_of(self, company_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
        return self.session.scalar(
            select(Membership.role).where(
                Membership.company_id == company_id, Membership.user_id == user_id
            )
        )

    def add(self, company_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Membership:
        row = Membership(
            id=uuid.uuid4(), company_id=company_id, user_id=user_id, role=_known_role(role)
        )
        self.session.add(row)
        self.session.flush()
        return row

    def set_role(self, company_id: uuid.UUID, user_id: uuid.UUID, role: str) -> None:
        """Raises ``NotFound`` when the user is no member of this company."""
        done = self.session.execute(
            update(Membership)
            .where(Membership.company_id == company_id, Membership.user_id == user_id)
            .values(role=_known_role(role))
        )
        if not getattr(done, "rowcount", 0):
            raise NotFound(f"no member {user_id}")

    def remove(self, company_id: uuid.UUID, user_id: uuid.UUID) -> None:
        """Raises ``NotFound`` when the user is no member of this company."""
        done = self.session.execute(
            delete(Membership).where(
                Membership.company_id == company_id, Membership.user_id == user_id
            )
        )
        if not getattr(done, "rowcount", 0):
            raise NotFound(f"no member {user_id}")

    def count_admins(self, company_id: uuid.UUID) -> int:
        return len(
            list(
                self.session.scalars(
                    select(Membership.id).where(
                        Membership.company_id == company_id, Membership.role == "admin"
                    )
                )
            )
        )


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        company_id: uuid.UUID,
        *,
        email: str,
        role: str,
        token_hash: str,
        invited_by: str,
        at: datetime,
        expires_at: datetime,
    ) -> Invitation:
        row = Invitation(
            id=uuid.uuid4(),
            company_id=company_id,
            email=email.strip().lower(),
            role=_known_role(role),
            token_hash=token_hash,
            invited_by=invited_by,
            created_at=at,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def open(self, company_id: uuid.UUID) -> list[Invitation]:
        """Invitations neither accepted nor revoked (expired ones included), newest first."""
        query = (
            select(Invitation)
            .where(
                Invitation.company_id == company_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .order_by(Invitation.created_at.desc())
        )
        return list(self.session.scalars(query))

    def revoke(self, company_id: uuid.UUID, invitation_id: uuid.UUID, at: datetime) -> None:
        """Raises ``NotFound`` for another company's or an already used invitation."""
        done = self.session.execute(
            update(Invitation)
            .where(
                Invitation.company_id == company_id,
                Invitation.id == invitation_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        if not getattr(done, "rowcount", 0):
            raise NotFound(f"no open invitation {invitation_id}")

    @installation_wide
    def by_token_hash(self, token_hash: str) -> Invitation | None:
        query = select(Invitation).where(Invitation.token_hash == token_hash).with_for_update()
        return self.session.scalar(query)


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        company_id: uuid.UUID,
        *,
        name: str,
        role: str,
        prefix: str,
        key_hash: str,
        created_by: str,
        at: datetime,
    ) -> ApiKey:
        row = ApiKey(
            id=uuid.uuid4(),
            company_id=company_id,
            name=name,
            role=_known_role(role),
            prefix=prefix,
            key_hash=key_hash,
            created_by=created_by,
            created_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def all(self, company_id: uuid.UUID) -> list[ApiKey]:
        query = select(ApiKey).where(ApiKey.company_id == company_id).order_by(ApiKey.created_at)
        return list(self.session.scalars(query))

    def revoke(self, company_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> None:
        """Raises ``NotFound`` for another company's key; revoking twice is a no-op."""
        row = self.session.scalar(
            select(ApiKey).where(ApiKey.company_id == company_id, ApiKey.id == key_id)
        )
        if row is None:
            raise NotFound(f"no API key {key_id}")
        if row.revoked_at is None:
            row.revoked_at = at
            self.session.flush()

    @installation_wide
    def by_hash(self, key_hash: str) -> ApiKey | None:
        return self.session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))

    def note_use(self, company_id: uuid.UUID, key_id: uuid.UUID, at: datetime) -> None:
        self.session.execute(
            update(ApiKey)
            .where(ApiKey.company_id == company_id, ApiKey.id == key_id)
            .values(last_used_at=at)
        )
