"""Team (admins only): members and their roles, invitations, API keys.

The same use cases as ``web/api/admin.py``; the rules (last admin, a member invited
twice, a key shown once) live in ``services.access.admin``. Removing a member and
revoking a key ask first on a page of their own, so they work without JavaScript.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ledgerbridge.services.access import admin
from ledgerbridge.services.access.principal import ROLES
from ledgerbridge.services.errors import ConflictError, InvalidRequest, NotFoundError, ServiceError
from ledgerbridge.web.errors import status_for
from ledgerbridge.web.pages.common import (
    Viewer,
    back_to,
    check_csrf,
    container,
    language,
    page_gettext,
    render,
)
from ledgerbridge.web.pages.guard import admin_viewer

router = APIRouter(prefix="/team")
ROLE_CHOICES = tuple(reversed(ROLES))  # admin first
DONE = {
    "role": "The role is changed.",
    "removed": "The member is removed; their sessions lost this company at once.",
    "revoked": "The invitation is withdrawn; its link no longer works.",
    "key_revoked": "The key is revoked; it no longer works.",
}


def _text(request: Request, who: Viewer, message: str, **values: object) -> str:
    gettext, _ = page_gettext(language(request, who))
    return str(gettext(message, **values))


def _problem(request: Request, who: Viewer, error: ServiceError) -> str:
    if isinstance(error, admin.LastAdmin):
        return _text(
            request, who, "The company's last admin cannot go; make someone else admin first."
        )
    return str(error)


def _notice(request: Request, who: Viewer) -> str | None:
    found = DONE.get(request.query_params.get("done", ""))
    return _text(request, who, found) if found else None


def _members_page(
    request: Request, who: Viewer, status: int = 200, problem: str | None = None
) -> HTMLResponse:
    company = who.principal.company
    assert company is not None  # admin_viewer checked it
    members = admin.members(container(request).uow, company.id)
    return render(
        request,
        "team_members.html",
        who,
        status,
        tab="members",
        members=members,
        roles=ROLE_CHOICES,
        notice=None if problem else _notice(request, who),
        problem=problem,
    )


@router.get("", response_model=None)
def team(request: Request) -> RedirectResponse:
    admin_viewer(request)
    return back_to("/team/members")


@router.get("/members", response_model=None)
def members_page(request: Request) -> HTMLResponse:
    who, _ = admin_viewer(request)
    return _members_page(request, who)


@router.post("/members/{user_id}/role", response_model=None)
def change_role(
    request: Request, user_id: uuid.UUID, csrf_token: str = Form(""), role: str = Form("")
) -> HTMLResponse | RedirectResponse:
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    try:
        admin.set_role(container(request).uow, company.id, user_id, role, actor=who.principal.actor)
    except (ConflictError, InvalidRequest) as error:
        return _members_page(request, who, status_for(error), _problem(request, who, error))
    return back_to("/team/members?done=role")


def _member(request: Request, company_id: uuid.UUID, user_id: uuid.UUID) -> admin.Member:
    found = [m for m in admin.members(container(request).uow, company_id) if m.user_id == user_id]
    if not found:
        raise NotFoundError(f"no member {user_id}")
    return found[0]


@router.get("/members/{user_id}/remove", response_model=None)
def confirm_remove(request: Request, user_id: uuid.UUID) -> HTMLResponse:
    who, company = admin_viewer(request)
    member = _member(request, company.id, user_id)
    return render(request, "team_confirm.html", who, tab="members", member=member, key=None)


@router.post("/members/{user_id}/remove", response_model=None)
def remove_member(
    request: Request, user_id: uuid.UUID, csrf_token: str = Form("")
) -> HTMLResponse | RedirectResponse:
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    try:
        admin.remove_member(container(request).uow, company.id, user_id, actor=who.principal.actor)
    except (ConflictError, InvalidRequest) as error:
        return _members_page(request, who, status_for(error), _problem(request, who, error))
    return back_to("/team/members?done=removed")


def _invitations_page(
    request: Request, who: Viewer, status: int = 200, **extra: object
) -> HTMLResponse:
    company = who.principal.company
    assert company is not None
    extra.setdefault("problem", None)
    return render(
        request,
        "team_invitations.html",
        who,
        status,
        tab="invitations",
        invitations=admin.invitations(container(request).uow, company.id),
        roles=ROLE_CHOICES,
        now=container(request).now(),
        notice=_notice(request, who),
        **extra,
    )


@router.get("/invitations", response_model=None)
def invitations_page(request: Request) -> HTMLResponse:
    who, _ = admin_viewer(request)
    return _invitations_page(request, who, made=None)


@router.post("/invitations", response_model=None)
def invite(
    request: Request, csrf_token: str = Form(""), email: str = Form(""), role: str = Form("")
) -> HTMLResponse:
    """The link is shown on the answer; it is also e-mailed when SMTP is set up."""
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        made = admin.invite(app.uow, app.now, company.id, email, role, actor=who.principal.actor)
    except ServiceError as error:
        return _invitations_page(request, who, 400, made=None, problem=str(error), email=email)
    link = admin.invitation_link(app.settings.public_url, made.token)
    mail_problem = None
    if app.mailer is not None:
        mail_problem = admin.email_invitation(app.mailer, made, link, company.name)
    return _invitations_page(
        request,
        who,
        made=made,
        link=link,
        emailed=app.mailer is not None and mail_problem is None,
        mail_problem=mail_problem,
        mail_set_up=app.mailer is not None,
    )


@router.post("/invitations/{invitation_id}/revoke", response_model=None)
def revoke_invitation(
    request: Request, invitation_id: uuid.UUID, csrf_token: str = Form("")
) -> RedirectResponse:
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    admin.revoke_invitation(app.uow, app.now, company.id, invitation_id, actor=who.principal.actor)
    return back_to("/team/invitations?done=revoked")


def _keys_page(request: Request, who: Viewer, status: int = 200, **extra: object) -> HTMLResponse:
    company = who.principal.company
    assert company is not None
    extra.setdefault("problem", None)
    extra.setdefault("made", None)
    return render(
        request,
        "team_api_keys.html",
        who,
        status,
        tab="api_keys",
        keys=admin.api_keys(container(request).uow, company.id),
        roles=ROLE_CHOICES,
        notice=_notice(request, who),
        **extra,
    )


@router.get("/api-keys", response_model=None)
def keys_page(request: Request) -> HTMLResponse:
    who, _ = admin_viewer(request)
    return _keys_page(request, who)


@router.post("/api-keys", response_model=None)
def create_key(
    request: Request, csrf_token: str = Form(""), name: str = Form(""), role: str = Form("")
) -> HTMLResponse:
    """The new key is in this answer only (it is stored hashed): never a redirect."""
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    try:
        made = admin.create_api_key(
            app.uow, app.now, company.id, name, role, actor=who.principal.actor
        )
    except ServiceError as error:
        return _keys_page(request, who, 400, problem=str(error), name=name)
    answer = _keys_page(request, who, made=made)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _key(request: Request, company_id: uuid.UUID, key_id: uuid.UUID) -> admin.KeyInfo:
    found = [k for k in admin.api_keys(container(request).uow, company_id) if k.id == key_id]
    if not found:
        raise NotFoundError(f"no API key {key_id}")
    return found[0]


@router.get("/api-keys/{key_id}/revoke", response_model=None)
def confirm_revoke_key(request: Request, key_id: uuid.UUID) -> HTMLResponse:
    who, company = admin_viewer(request)
    key = _key(request, company.id, key_id)
    return render(request, "team_confirm.html", who, tab="api_keys", member=None, key=key)


@router.post("/api-keys/{key_id}/revoke", response_model=None)
def revoke_key(request: Request, key_id: uuid.UUID, csrf_token: str = Form("")) -> RedirectResponse:
    who, company = admin_viewer(request)
    check_csrf(request, who, csrf_token)
    app = container(request)
    admin.revoke_api_key(app.uow, app.now, company.id, key_id, actor=who.principal.actor)
    return back_to("/team/api-keys?done=key_revoked")
