"""The page an invitation's link opens: a new user chooses a password and is signed in;
someone with an account already joins and signs in as usual. An expired, withdrawn
or used link says so."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from ledgerbridge.services.access import admin, signin
from ledgerbridge.services.errors import Gone, NotFoundError, ServiceError
from ledgerbridge.web.pages.account import start_session
from ledgerbridge.web.pages.common import back_to, container, render

router = APIRouter()


def _unusable(request: Request, token: str, error: ServiceError) -> HTMLResponse:
    reason = (
        "expired"
        if isinstance(error, admin.InvitationExpired)
        else "used"
        if isinstance(error, admin.InvitationUsed)
        else "unusable"
    )
    status = 404 if isinstance(error, NotFoundError) else 410
    return render(
        request, "invitation_accept.html", None, status, token=token, found=None, reason=reason
    )


@router.get("/invitations/accept", response_model=None)
def accept_page(request: Request, token: str = "") -> HTMLResponse:
    app = container(request)
    try:
        found = admin.pending_invitation(app.uow, app.now, token)
    except (NotFoundError, Gone) as error:
        return _unusable(request, token, error)
    return render(request, "invitation_accept.html", None, token=token, found=found, problem=None)


@router.post("/invitations/accept", response_model=None)
def accept(request: Request, token: str = Form(""), password: str = Form("")) -> Response:
    """No CSRF token: nobody is signed in yet; the invitation's token is the secret."""
    app = container(request)
    try:
        found = admin.pending_invitation(app.uow, app.now, token)
    except (NotFoundError, Gone) as error:
        return _unusable(request, token, error)
    try:
        admin.accept_invitation(app.uow, app.now, token, password if found.new_user else None)
        if not found.new_user:
            return render(
                request, "invitation_accept.html", None, token=token, found=found, joined=True
            )
        done = signin.sign_in(app.uow, app.now, found.email, password)
    except ServiceError as error:
        return render(
            request, "invitation_accept.html", None, 400, token=token, found=found,
            problem=str(error),
        )  # fmt: skip
    return start_session(request, done, back_to("/integrations"))
