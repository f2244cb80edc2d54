"""Admin of the caller's company: members and roles, invitations, API keys.

Every route needs the admin role in the caller's company (403 otherwise) and acts
only on that company: another company's ids answer 404.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from ledgerbridge.bootstrap import Container
from ledgerbridge.services.access import admin
from ledgerbridge.services.access.principal import Principal
from ledgerbridge.web.deps import CurrentCompany, container, current_principal, require_role
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], route_class=StrictJsonRoute)
Role = Literal["admin", "bookkeeper", "viewer"]
admin_company = require_role("admin")


class RoleIn(BaseModel):
    role: Role


class InvitationIn(BaseModel):
    email: str = Field(max_length=320)
    role: Role


class ApiKeyIn(BaseModel):
    name: str = Field(max_length=255)
    role: Role


def _json(value: Any) -> dict[str, Any]:
    return {
        k: (str(v) if isinstance(v, uuid.UUID) else v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in dataclasses.asdict(value).items()
    }


@router.get("/members")
def list_members(
    company: CurrentCompany = Depends(admin_company), app: Container = Depends(container)
) -> dict[str, Any]:
    return {"items": [_json(m) for m in admin.members(app.uow, company.id)]}


@router.put("/members/{user_id}")
def change_role(
    user_id: uuid.UUID,
    body: RoleIn,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """409 when it would leave the company without an admin."""
    admin.set_role(app.uow, company.id, user_id, body.role, actor=principal.actor)
    return {"user_id": str(user_id), "role": body.role}


@router.delete("/members/{user_id}", status_code=204)
def remove_member(
    user_id: uuid.UUID,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> Response:
    """The user's sessions lose this company at once; 409 for the last admin."""
    admin.remove_member(app.uow, company.id, user_id, actor=principal.actor)
    return Response(status_code=204)


@router.get("/invitations")
def list_invitations(
    company: CurrentCompany = Depends(admin_company), app: Container = Depends(container)
) -> dict[str, Any]:
    return {"items": [_json(i) for i in admin.invitations(app.uow, company.id)]}


@router.post("/invitations", status_code=201)
def invite(
    body: InvitationIn,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """An invitation link to copy (shown once), also e-mailed when SMTP is set up;
    409 for a member already."""
    made = admin.invite(app.uow, app.now, company.id, body.email, body.role, actor=principal.actor)
    link = admin.invitation_link(app.settings.public_url, made.token)
    answer = {**_json(made), "link": link, "emailed": False}
    if app.mailer is not None:
        problem = admin.email_invitation(app.mailer, made, link, company.name)
        answer |= {"emailed": problem is None, "email_problem": problem}
    return answer


@router.delete("/invitations/{invitation_id}", status_code=204)
def revoke_invitation(
    invitation_id: uuid.UUID,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> Response:
    admin.revoke_invitation(app.uow, app.now, company.id, invitation_id, actor=principal.actor)
    return Response(status_code=204)


@router.get("/api-keys")
def list_api_keys(
    company: CurrentCompany = Depends(admin_company), app: Container = Depends(container)
) -> dict[str, Any]:
    """Keys with their first characters, role and last use; never the key."""
    return {"items": [_json(k) for k in admin.api_keys(app.uow, company.id)]}


@router.post("/api-keys", status_code=201)
def create_api_key(
    body: ApiKeyIn,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """The new ``key`` is in this answer only; it is stored hashed."""
    made = admin.create_api_key(
        app.uow, app.now, company.id, body.name, body.role, actor=principal.actor
    )
    return _json(made)


@router.delete("/api-keys/{key_id}", status_code=204)
def revoke_api_key(
    key_id: uuid.UUID,
    company: CurrentCompany = Depends(admin_company),
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> Response:
    """Revoked at once (idempotent); 404 for another company's key."""
    admin.revoke_api_key(app.uow, app.now, company.id, key_id, actor=principal.actor)
    return Response(status_code=204)
