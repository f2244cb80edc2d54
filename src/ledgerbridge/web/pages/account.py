"""Sign-in, sign-out, password change, the language choice and the company switcher."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ledgerbridge.i18n import LANGUAGES, N_
from ledgerbridge.services.access import signin
from ledgerbridge.services.errors import NotAuthenticated, ServiceError, SignInLocked
from ledgerbridge.web.deps import SESSION_COOKIE
from ledgerbridge.web.pages.common import (
    SignInFirst,
    back_to,
    check_csrf,
    container,
    problem_of,
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
        return render(request, "login.html", None, 429, email=email, problem=problem_of(error))
    except NotAuthenticated:
        problem = N_("Wrong email or password. Check both and try again.")
        return render(request, "login.html", None, 401, email=email, problem=problem)
    return start_session(request, done, back_to("/integrations"))


def start_session(request: Request, done: signin.SignedIn, answer: Response) -> Response:
    """``answer`` carrying the new session's cookie (the invitation page signs in too)."""
    settings = container(request).settings
    secure = request.url.scheme == "https" or settings.public_url.startswith("https://")
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
        return render(request, "password.html", who, 400, problem=problem_of(error), done=False)
    return render(request, "password.html", who, problem=None, done=True)


@router.post("/company")
def switch_company(
    request: Request, csrf_token: str = Form(""), company: str = Form("")
) -> RedirectResponse:
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    signin.switch_company(container(request).uow, who.principal, company)
    return back_to("/integrations")


@router.get("/account", response_model=None)
def account_page(request: Request) -> HTMLResponse:
    who = viewer(request)
    done = request.query_params.get("done") == "language"
    return render(request, "account.html", who, languages=LANGUAGES, problem=None, done=done)


@router.post("/account/language", response_model=None)
def choose_language(
    request: Request, csrf_token: str = Form(""), language: str = Form("")
) -> Response:
    """Store the page language ("" follows the browser); the next page is in it."""
    who = viewer(request)
    check_csrf(request, who, csrf_token)
    try:
        signin.set_language(container(request).uow, who.principal, language or None)
    except ServiceError as error:
        return render(
            request,
            "account.html",
            who,
            400,
            languages=LANGUAGES,
            problem=problem_of(error),
            done=False,
        )
    return back_to("/account?done=language")
