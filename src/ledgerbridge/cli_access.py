"""``ledgerbridge company|user|api-key …``: start an installation without the demo.

Thin: parse input, call a service in ``services.access``, print the result. A
password is asked for (hidden, twice) unless ``LEDGERBRIDGE_NEW_PASSWORD`` holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

company_app = typer.Typer(help="Companies (the tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles per company.", no_args_is_help=True)
key_app = typer.Typer(help="API keys of a company.", no_args_is_help=True)
console = Console()
T = TypeVar("T")
ROLE_HELP = "admin, bookkeeper or viewer."


def _password() -> str:
    return typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="LEDGERBRIDGE_NEW_PASSWORD",
        help="At least 10 characters (asked for when not given).",
    )


def _run(call: Callable[[], T]) -> T:
    """The call's result; a service error is printed in red and exits 1."""
    from ledgerbridge.services.errors import ServiceError

    try:
        return call()
    except ServiceError as error:
        console.print(f"[red]{error}[/]", highlight=False)
        raise typer.Exit(1) from None


@company_app.command("create")
def create_company(
    slug: str = typer.Argument(..., help="Short name: lower-case letters, digits, dashes."),
    name: str = typer.Option("", help="The company's name (default: the slug)."),
    currency: str = typer.Option("EUR", help="Base currency (ISO 4217)."),
) -> None:
    """Create a company."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.access.setup import create_company as create

    made = _run(lambda: create(bootstrap().uow, slug, name, currency))
    console.print(f"[green]Company {made.slug!r} created[/] ({made.name}, {made.base_currency}).")


@user_app.command("create")
def create_user(
    email: str = typer.Argument(...),
    company: str = typer.Option(..., help="Company slug."),
    role: str = typer.Option("admin", help=ROLE_HELP),
    password: str = _password(),
) -> None:
    """Create a user with a password and make it a member of the company."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.access.setup import add_user

    _run(lambda: add_user(bootstrap().uow, company, email, role, password))
    console.print(f"[green]{email} is {role} of {company!r}[/]; sign in with that password.")


@user_app.command("invite")
def invite_user(
    email: str = typer.Argument(...),
    company: str = typer.Option(..., help="Company slug."),
    role: str = typer.Option("bookkeeper", help=ROLE_HELP),
) -> None:
    """Invite a user: prints the invitation link to hand over (valid 7 days)."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.access.admin import invitation_link, invite
    from ledgerbridge.services.companies import resolve_company

    c = bootstrap()
    found = _run(lambda: resolve_company(c.uow, company, how_to_name="--company SLUG"))
    made = _run(lambda: invite(c.uow, c.now, found.id, email, role, actor="cli"))
    console.print(f"Invitation for {made.email} as {made.role} (until {made.expires_at:%Y-%m-%d}):")
    console.print(invitation_link(c.settings.public_url, made.token), soft_wrap=True)


@user_app.command("reset-password")
def reset_password(email: str = typer.Argument(...), password: str = _password()) -> None:
    """Set a new password; ends the user's lock-out and sessions."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.access.setup import reset_password as reset

    _run(lambda: reset(bootstrap().uow, email, password))
    console.print(f"[green]Password of {email} reset[/]; its sessions ended.")


@key_app.command("create")
def create_api_key(
    company: str = typer.Option(..., help="Company slug."),
    name: str = typer.Option(..., help="What the key is for (shown in the list)."),
    role: str = typer.Option("bookkeeper", help=ROLE_HELP),
) -> None:
    """Create an API key; it is printed once and stored only hashed."""
    from ledgerbridge.bootstrap import bootstrap
    from ledgerbridge.services.access.admin import create_api_key as create
    from ledgerbridge.services.companies import resolve_company

    c = bootstrap()
    found = _run(lambda: resolve_company(c.uow, company, how_to_name="--company SLUG"))
    made = _run(lambda: create(c.uow, c.now, found.id, name, role, actor="cli"))
    console.print(f"API key {made.name!r} ({made.role} of {found.slug!r}); shown only now:")
    console.print(made.key, highlight=False, soft_wrap=True)
