"""Sign-in, sign-out, password change and the company switcher."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.services.access import signin
from ledgerbridge.services.errors import NotAuthenticated, ServiceError, SignInLocked
from ledgerbridge.web.deps import SESSION_COOKIE
from ledgerbridge.web.pages.common import (
    SignInFirst,
    back_to,
    check_csrf,
    container,
    render,
    viewer,
)

router = APIRouter()


@router.get("/")
def home(request: Request) -> RedirectResponse:
    try:
        viewer(request)
    except SignInFirst:
        return back_to("/login")
    return back_to("/integrations")


@router.get("/login", response_model=None)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", None, email="", problem=None)


@router.post("/login", response_model=None)
def login(request: Request, email: str = Form(""), password: str = Form("")) -> Response:
    app = container(request)
    try:
        client = request.client.host if request.client else None
        done = signin.sign_in(app.uow, app.now, email, password, client)
    except SignInLocked as error:
        return render(request, "login.html", None, 429, email=email, problem=str(error))
    except NotAuthenticated:
        problem = "Wrong email or password. Check both and try again."
        return render(request, "login.html", None, 401, email=email, problem=problem)
    answer = back_to("/integrations")
    secure = request.url.scheme == "https" or app.settings.public_url.startswith("https://")
    answer.set_cookie(
        SESSION_COOKIE,
        done.token,
        httponly=True,
        samesite="lax",
        secure=secure,
        expires=done.expires_at,
        path="/",
    )
    return answer


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> RedirectResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    signin.sign_out(container(request).uow, request.cookies.get(SESSION_COOKIE, ""))
    answer = back_to("/login")
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer


@router.get("/password", response_model=None)
def password_page(request: Request) -> HTMLResponse:
    return render(request, "password.html", viewer(request), problem=None, done=False)


@router.post("/password", response_model=None)
def change_password(
    request: Request,
    csrf_token: str = Form(""),
    current_password: str = Form(""),
    new_password: str = Form(""),
) -> HTMLResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    try:
        signin.change_password(
            container(request).uow,
            who.principal,
            current_password,
            new_password,
        )
    except ServiceError as error:
        return render(request, "password.html", who, 400, problem=str(error), done=False)
    return render(request, "password.html", who, problem=None, done=True)


@router.post("/company")
def switch_company(
    request: Request, csrf_token: str = Form(""), company: str = Form("")
) -> RedirectResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    signin.switch_company(container(request).uow, who.principal, company)
    return back_to("/integrations")
