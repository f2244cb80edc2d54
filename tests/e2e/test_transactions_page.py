"""Bookkeeping › Prep & Export in a real browser (Debian's chromium): import a CSV with a
bad line (every error shown, nothing saved) and then a good one, filter, open a
transaction, upload a receipt and see its preview; a viewer cannot upload; a user of
another company cannot open it by its URL. Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess

import pytest
from PIL import Image
from sqlalchemy.engine import URL

from e2e.test_pages import (
    CHROMIUM,
    LEDGERBRIDGE,
    VIEWER,
    VIEWER_PASSWORD,
    app_database,
    browser,
    english_page,
    shot,
    sign_in,
    site,
)
from e2e.test_run_command import Run
from ledgerbridge.db.server import libpq_url

__all__ = ["app_database", "browser", "site"]  # fixtures shared with the other page tests

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium; the page tests run in CI", allow_module_level=True)

from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.slow
OTHER, OTHER_PASSWORD = "olga@other.example", "other-password-1"
HEADER = "external_id,booking_date,amount,currency,merchant_name,cardholder\n"
BAD = HEADER + (
    "e2e-1,2026-11-02,-121.00,EUR,Coolblue,Anna de Vries\n"
    "e2e-2,2026-11-31,-8.00,EUR,Bol.com,Piet Jansen\n"
)
GOOD = HEADER + (
    "e2e-1,2026-11-02,-121.00,EUR,Coolblue,Anna de Vries\n"
    "e2e-2,2026-11-30,-8.00,EUR,Bol.com,Piet Jansen\n"
)


def receipt_png() -> bytes:
    picture = Image.new("RGB", (240, 320), "white")
    for x in range(20, 220):
        picture.putpixel((x, 40), (0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def cli(site: Run, database: URL, *args: str, password: str | None = None) -> None:
    env = {
        **os.environ,
        "LEDGERBRIDGE_DATA_DIR": str(site.data_dir),
        "LEDGERBRIDGE_DATABASE_URL": libpq_url(database),
    }
    if password:
        env["LEDGERBRIDGE_NEW_PASSWORD"] = password
    made = subprocess.run([*LEDGERBRIDGE, *args], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr


def test_import_filter_open_and_attach_a_receipt(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transactions").click()
    expect(page.get_by_role("heading", name="Bookkeeping › Prep & Export")).to_be_visible()
    expect(page.get_by_role("navigation", name="Export states")).to_contain_text("To prepare")
    shot(page, "transactions-list")

    page.get_by_role("link", name="Import a CSV file").click()
    page.get_by_label(re.compile("CSV file")).set_input_files(
        {"name": "november.csv", "mimeType": "text/csv", "buffer": BAD.encode()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was saved")
    errors = page.locator("table.import-errors")
    expect(errors).to_contain_text("booking_date")
    expect(errors.get_by_role("cell", name="3", exact=True)).to_be_visible()
    shot(page, "transactions-import-errors")

    page.get_by_label(re.compile("CSV file")).set_input_files(
        {"name": "november.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("2 new")
    shot(page, "transactions-import-done")

    page.get_by_role("link", name="See them in the list").click()
    page.get_by_label("Merchant").fill("coolblue")
    page.get_by_label("Search", exact=True).fill("e2e-")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#transaction-rows tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Coolblue").click()
    drawer = page.locator("#drawer")
    expect(drawer.get_by_role("heading", name="Coolblue")).to_be_visible()
    expect(drawer).to_contain_text("e2e-1")
    shot(page, "transactions-drawer")

    drawer.get_by_label(re.compile("Add a receipt")).set_input_files(
        {"name": "coolblue.png", "mimeType": "image/png", "buffer": receipt_png()}
    )
    drawer.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("The receipt was added.")
    preview = page.get_by_role("img", name="Receipt coolblue.png")
    expect(preview).to_be_visible()
    assert preview.evaluate("img => img.naturalWidth") == 240  # the image really loaded
    shot(page, "transaction-receipt-preview")
    page.close()


def test_a_viewer_reads_a_transaction_without_upload(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    sign_in(page, site.base, VIEWER, VIEWER_PASSWORD)
    page.goto(f"{site.base}/transactions")
    assert page.get_by_role("link", name="Import a CSV file").count() == 0
    page.locator("#transaction-rows a").first.click()
    expect(page.locator("#drawer h2")).to_be_visible()
    assert page.locator("[data-dropzone]").count() == 0
    shot(page, "transactions-viewer")
    page.close()


def test_a_user_of_another_company_cannot_open_it_by_url(
    site: Run, browser: Browser, app_database: URL
) -> None:
    page = english_page(browser)
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    page.goto(f"{site.base}/transactions")
    href = page.locator("#transaction-rows a").first.get_attribute("href")
    assert href and href.startswith("/transactions/")
    page.close()
    cli(site, app_database, "company", "create", "other", "--name", "Other B.V.")
    cli(site, app_database, "user", "create", OTHER, "--company", "other", "--role", "admin",
        password=OTHER_PASSWORD)  # fmt: skip

    other = english_page(browser)
    sign_in(other, site.base, OTHER, OTHER_PASSWORD)
    answer = other.goto(f"{site.base}{href}")
    assert answer is not None and answer.status == 404
    assert "e2e-" not in other.content()
    shot(other, "transactions-other-company-404")
    other.close()
