"""The HTML pages in a real browser (Debian's chromium, never a downloaded one).

``ledgerbridge run`` serves the demo company, the sandbox and the worker on a
free port against a scratch database; Playwright signs in, connects Exact
Online through the sandbox's consent page, picks the division, reads the
locked dimensions, and a viewer sees the connection without the buttons that
change it. A screenshot of each page goes to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from e2e.test_run_command import Run, app_database, free_port, wait_until_up
from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.db.server import libpq_url

__all__ = ["app_database"]  # the scratch-database fixture, used by `site` below

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(
        "no /usr/bin/chromium (apt-get install chromium); the page tests run in CI",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow
LEDGERBRIDGE = (sys.executable, "-m", "ledgerbridge")
VIEWER, VIEWER_PASSWORD = "viewer@demo.example", "viewer-password-1"
# The texts asserted below are English: the browser says so (its Accept-Language), since
# the pages follow the browser's language unless the user chose one.
LOCALE = "en-US"


@pytest.fixture(scope="module")
def site(app_database: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    port = free_port()
    data_dir = tmp_path_factory.mktemp("pages")
    stdout, stderr = data_dir / "stdout.txt", data_dir / "stderr.txt"
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(data_dir),
        "LEDGERBRIDGE_DATABASE_URL": libpq_url(app_database),  # type: ignore[arg-type]
    }
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*LEDGERBRIDGE, "run", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=err,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, stderr)
        made = subprocess.run(
            [*LEDGERBRIDGE, "user", "create", VIEWER, "--company", "demo", "--role", "viewer"],
            env={**env, "LEDGERBRIDGE_NEW_PASSWORD": VIEWER_PASSWORD},
            capture_output=True,
            text=True,
            check=False,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        yield Run(base, process, data_dir, stdout, stderr, [])
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def english_page(browser: Browser) -> Page:
    return browser.new_page(locale=LOCALE)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_dutch_browser_gets_the_sign_in_page_in_dutch(site: Run, browser: Browser) -> None:
    page = browser.new_page(locale="nl-NL")
    page.goto(f"{site.base}/login")
    expect(page.get_by_role("heading", name="Aanmelden")).to_be_visible()
    expect(page.get_by_label("Wachtwoord")).to_be_visible()
    page.close()


def test_pages_ask_to_sign_in_and_say_why_a_sign_in_failed(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    page.goto(f"{site.base}/dimensions")
    assert page.url == f"{site.base}/login"
    sign_in(page, site.base, "admin@demo.example", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
    shot(page, "login-wrong-password")
    page.close()


def test_an_admin_connects_exact_and_reads_the_locked_dimensions(
    site: Run, browser: Browser
) -> None:
    page = english_page(browser)
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    shot(page, "integrations-not-connected")

    page.get_by_role("button", name="Connect").click()
    if page.get_by_role("button", name="Replace them and connect").count():
        shot(page, "connect-confirm")
        page.get_by_role("button", name="Replace them and connect").click()
    if page.get_by_role("link", name="Continue to Exact Online").count():
        page.get_by_role("link", name="Continue to Exact Online").click()
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo")
    shot(page, "sandbox-consent")
    page.get_by_role("button", name="Allow access").click()

    expect(page.get_by_role("heading", name="Exact Online", exact=True)).to_be_visible()
    picker = page.get_by_role("group", name="Division to book into")
    if picker.count():
        shot(page, "integrations-division-picker")
        picker.get_by_label(str(DEMO_DIVISION), exact=False).check()
        page.get_by_role("button", name="Use this division").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_text("Status: connected")).to_be_visible()
    expect(page.get_by_role("button", name="Renew")).to_be_visible()
    shot(page, "integrations-connected")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dimensions").click()
    page.get_by_role("link", name="VAT code").click()
    locked = page.get_by_role("cell", name="managed in Exact Online")
    for _ in range(60):  # the worker pulls the dimensions in the background
        if locked.count():
            break
        page.wait_for_timeout(500)
        page.reload()
    expect(locked.first).to_be_visible()
    expect(page.get_by_text("Last sync:")).to_be_visible()
    shot(page, "dimensions-vat-codes")

    page.get_by_role("link", name="GL account").click()
    page.get_by_label("Search GL accounts by code or name").fill("zzz-no-such-account")
    expect(page.get_by_text("No GL accounts match")).to_be_visible()
    shot(page, "dimensions-search")

    page.goto(f"{site.base}/integrations/disconnect")
    expect(page.get_by_text("Kept:")).to_be_visible()
    shot(page, "disconnect-confirm")
    page.close()


def test_a_viewer_sees_the_connection_but_no_button_to_change_it(
    site: Run, browser: Browser
) -> None:
    page = english_page(browser)
    sign_in(page, site.base, VIEWER, VIEWER_PASSWORD)
    expect(page.get_by_role("heading", name="Exact Online", exact=True)).to_be_visible()
    expect(page.get_by_text("Read only")).to_be_visible()
    assert page.get_by_role("link", name="Disconnect").count() == 0
    assert page.get_by_role("button", name="Disconnect").count() == 0
    assert page.get_by_role("button", name="Connect").count() == 0
    shot(page, "integrations-viewer")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.close()
