"""Account pages and the connection's life cycle in a real browser: the company
switcher, the password change, Connect's confirmation before local dimension values
are replaced, Disconnect (saying what is kept) and connecting again through the
sandbox's consent page. A screenshot of each page goes to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from e2e.test_pages import (  # the module's fixtures and helpers
    LEDGERBRIDGE,
    Browser,
    Page,
    Run,
    app_database,
    browser,
    expect,
    shot,
    sign_in,
    site,
)
from ledgerbridge.db.server import libpq_url

__all__ = ["app_database", "browser", "site"]

pytestmark = pytest.mark.slow
ADMIN, ADMIN_PASSWORD = "admin@demo.example", "demo-password"


def cli(site: Run, database: object, *args: str, password: str = "") -> None:
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(site.data_dir),
        "LEDGERBRIDGE_DATABASE_URL": libpq_url(database),  # type: ignore[arg-type]
        "LEDGERBRIDGE_NEW_PASSWORD": password,
    }
    done = subprocess.run([*LEDGERBRIDGE, *args], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def consent(page: Page) -> None:
    """Through the sandbox's consent page (still signed in there the second time)."""
    page.wait_for_load_state()
    if page.get_by_role("link", name="Continue to Exact Online").count():
        page.get_by_role("link", name="Continue to Exact Online").click()
        page.wait_for_load_state()
    if page.get_by_label("Username").count():
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Allow access").click()


def test_a_user_of_two_companies_switches_between_them(
    site: Run, browser: Browser, app_database: object
) -> None:
    cli(site, app_database, "company", "create", "other", "--name", "Other Trading B.V.")
    for company, role in (("demo", "bookkeeper"), ("other", "admin")):
        cli(site, app_database, "user", "create", "two@demo.example", "--company", company,
            "--role", role, password="two-companies-1")  # fmt: skip
    page = browser.new_page()
    sign_in(page, site.base, "two@demo.example", "two-companies-1")
    switcher = page.get_by_label("Company")
    expect(switcher).to_have_value("demo")
    shot(page, "company-switcher-demo")
    switcher.select_option("other")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_label("Company")).to_have_value("other")
    expect(page.get_by_label("Company")).to_contain_text("Other Trading B.V. (admin)")
    # Other's own data: an admin there, so the buttons that change the connection show.
    expect(page.get_by_role("button", name="Connect")).to_be_visible()
    shot(page, "company-switcher-other")
    page.close()


def test_the_password_change_refuses_a_wrong_current_one_then_the_old_one_stops_working(
    site: Run, browser: Browser, app_database: object
) -> None:
    cli(site, app_database, "user", "create", "pw@demo.example", "--company", "demo",
        "--role", "viewer", password="old-password-1")  # fmt: skip
    page = browser.new_page()
    sign_in(page, site.base, "pw@demo.example", "old-password-1")
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password").fill("new-password-22")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert")).to_contain_text("current password is wrong")
    shot(page, "password-wrong-current")
    page.get_by_label("Current password").fill("old-password-1")
    page.get_by_label("New password").fill("new-password-22")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    shot(page, "password-changed")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site.base, "pw@demo.example", "old-password-1")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    sign_in(page, site.base, "pw@demo.example", "new-password-22")
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    page.close()


def test_connect_confirms_replacing_local_values_then_disconnect_and_connect_again(
    site: Run, browser: Browser
) -> None:
    with httpx.Client(base_url=site.base) as api:
        login = api.post("/api/v1/auth/login", json={"email": ADMIN, "password": ADMIN_PASSWORD})
        csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
        local = {"kind": "cost_center", "code": "LOCAL-E2E", "name": "Local before Exact"}
        made = api.post("/api/v1/dimensions", json=local, headers=csrf)
        assert made.status_code in (201, 409), made.text
    page = browser.new_page()
    sign_in(page, site.base, ADMIN, ADMIN_PASSWORD)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", name="Replace the local dimensions?")).to_be_visible()
    expect(page.get_by_role("cell", name="LOCAL-E2E")).to_be_visible()
    shot(page, "connect-confirm-preview")
    page.get_by_role("button", name="Replace them and connect").click()
    consent(page)
    picker = page.get_by_role("group", name="Division to book into")
    if picker.count():
        picker.get_by_role("radio").first.check()
        page.get_by_role("button", name="Use this division").click()
    expect(page.get_by_text("Status: connected")).to_be_visible()

    page.get_by_role("link", name="Disconnect").click()
    expect(page.get_by_text("Kept:")).to_be_visible()
    expect(page.get_by_text("the chosen division, the mappings")).to_be_visible()
    shot(page, "disconnect-confirm-what-is-kept")
    page.get_by_role("button", name="Disconnect").click()
    expect(page.get_by_role("status")).to_contain_text("Disconnected")
    shot(page, "integrations-disconnected")

    again = page.get_by_role("button", name="Renew")
    (again if again.count() else page.get_by_role("button", name="Connect")).click()
    if page.get_by_role("button", name="Replace them and connect").count():
        page.get_by_role("button", name="Replace them and connect").click()
    page.wait_for_load_state()
    shot(page, "sandbox-consent-again")
    consent(page)
    picker = page.get_by_role("group", name="Division to book into")
    if picker.count():
        picker.get_by_role("radio").first.check()
        page.get_by_role("button", name="Use this division").click()
    expect(page.get_by_text("Status: connected")).to_be_visible()
    shot(page, "integrations-connected-again")
    page.close()


def test_a_form_with_a_stale_security_token_gets_a_page_saying_so(
    site: Run, browser: Browser
) -> None:
    page = browser.new_page()
    sign_in(page, site.base, ADMIN, ADMIN_PASSWORD)
    page.evaluate(
        "document.querySelectorAll('input[name=csrf_token]').forEach(i => i.value = 'stale')"
    )
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="That could not be done")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("security token is missing or out of date")
    shot(page, "error-stale-security-token")
    page.get_by_role("link", name="Back to Integrations").click()
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    page.close()
