"""Sign-in, sign-out, password change, who am I, company switch, invitation acceptance.

``POST /api/v1/auth/login`` sets the session cookie (HttpOnly, SameSite=Lax,
Secure over HTTPS) and answers the CSRF token that every cookie-authenticated
change must send back in ``X-CSRF-Token`` (``GET /api/v1/me`` repeats it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from ledgerbridge.bootstrap import Container
from ledgerbridge.services.access import admin, signin
from ledgerbridge.services.access.principal import Principal
from ledgerbridge.services.companies import CompanyRef
from ledgerbridge.services.errors import Forbidden
from ledgerbridge.web.deps import SESSION_COOKIE, container, current_principal
from ledgerbridge.web.text_input import StrictJsonRoute

router = APIRouter(prefix="/api/v1", tags=["access"], route_class=StrictJsonRoute)


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class PasswordIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class CompanyIn(BaseModel):
    company: str = Field(max_length=63, description="The slug of a company you belong to.")


class AcceptIn(BaseModel):
    token: str = Field(max_length=200)
    password: str | None = Field(
        default=None, max_length=1024, description="Needed when you have no account yet."
    )


def _secure(request: Request, app: Container) -> bool:
    return request.url.scheme == "https" or app.settings.public_url.startswith("https://")


@router.post("/auth/login")
def login(
    body: LoginIn, request: Request, response: Response, app: Container = Depends(container)
) -> dict[str, Any]:
    """Sign in; 401 for a wrong email or password, 429 while locked out."""
    client = request.client.host if request.client else None
    done = signin.sign_in(app.uow, app.now, body.email, body.password, client)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request, app),
        expires=done.expires_at,
        path="/",
    )
    return {"csrf_token": done.csrf_token, "expires_at": done.expires_at.isoformat()}


@router.post("/auth/logout", status_code=204)
def logout(
    request: Request,
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> Response:
    """End this session (an API key has none: 403)."""
    token = request.cookies.get(SESSION_COOKIE)
    if principal.via != "session" or not token:
        raise Forbidden("an API key does not sign out; revoke it instead")
    signin.sign_out(app.uow, token)
    answer = Response(status_code=204)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.post("/auth/password", status_code=204)
def change_password(
    body: PasswordIn,
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> Response:
    """Change your password; your other sessions end."""
    signin.change_password(app.uow, principal, body.current_password, body.new_password)
    return Response(status_code=204)


def _company(ref: CompanyRef | None) -> dict[str, str] | None:
    return None if ref is None else {"id": str(ref.id), "slug": ref.slug, "name": ref.name}


@router.get("/me")
def me(
    principal: Principal = Depends(current_principal), app: Container = Depends(container)
) -> dict[str, Any]:
    """You (or the API key), your companies with your role in each, the chosen one."""
    found = signin.me(app.uow, principal)
    return {
        "email": found.email,
        "via": found.via,
        "company": _company(found.company),
        "role": found.role,
        "memberships": [{**(_company(c) or {}), "role": role} for c, role in found.memberships],
        "csrf_token": principal.csrf_token,
        "language": found.language,
    }


class MeIn(BaseModel):
    """``language``: "en", "nl", or null to follow the browser's Accept-Language."""

    language: str | None


@router.patch("/me")
def update_me(
    body: MeIn,
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Change your own settings: the page language (null follows the browser)."""
    signin.set_language(app.uow, principal, body.language)
    return me(principal, app)


@router.put("/me/company")
def switch_company(
    body: CompanyIn,
    principal: Principal = Depends(current_principal),
    app: Container = Depends(container),
) -> dict[str, Any]:
    """Choose the company this session acts for; 404 for one you are no member of."""
    signin.switch_company(app.uow, principal, body.company)
    return {"company": body.company}


@router.post("/invitations/accept")
def accept_invitation(body: AcceptIn, app: Container = Depends(container)) -> dict[str, Any]:
    """Join a company with an invitation's token (a new account sets its password);
    404 unknown, 410 expired/withdrawn/used. Sign in afterwards."""
    slug = admin.accept_invitation(app.uow, app.now, body.token, body.password)
    return {"company": slug, "next": "sign in: POST /api/v1/auth/login"}
