"""Export settings in a real browser (Debian's chromium): the demo company connects to the
sandbox so the selects offer Exact's synced journals; an admin saves settings with a GL
account that does not exist, sees the error beside that field and that nothing was saved,
fixes it and saves. Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os

import pytest

from e2e.test_pages import CHROMIUM, app_database, browser, english_page, shot, sign_in, site
from e2e.test_prep_flow import connect_and_sync
from e2e.test_run_command import Run

__all__ = ["app_database", "browser", "site"]  # fixtures shared with the other page tests

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium; the page tests run in CI", allow_module_level=True)

from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.slow


def test_an_admin_saves_export_settings_and_sees_an_error_beside_its_field(
    site: Run, browser: Browser
) -> None:
    page = english_page(browser)
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    connect_and_sync(page, site.base)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Export settings").click()
    expect(page.get_by_role("heading", name="Export settings")).to_be_visible()
    purchase = page.get_by_label("Purchase journal (type 22)")
    for _ in range(60):  # the journals sync with the rest of the dimensions
        if purchase.locator("option", has_text="Purchases").count():
            break
        page.wait_for_timeout(500)
        page.reload()
    # Only fitting journals are offered: the bank journal 10 is no purchase journal.
    assert purchase.locator("option", has_text="10 — Bank").count() == 0
    assert (
        page.get_by_label("Bank journal (type 12)")
        .locator("option", has_text="60 — Purchases")
        .count()
        == 0
    )

    purchase.select_option("60")
    page.get_by_label("Bank journal (type 12)").select_option("20")
    page.get_by_label("One generic supplier for every purchase").check()
    page.get_by_label("Generic supplier", exact=True).fill("1")
    page.get_by_label("Creditors", exact=True).fill("1600")
    page.get_by_label("Card (the bank journal's GL account)").fill("1105")
    page.get_by_label("VAT to claim", exact=True).fill("1520")
    page.get_by_label("VAT to pay", exact=True).fill("zzzz")
    page.get_by_role("button", name="Save export settings").click()

    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved.")
    problem = page.locator("#vat_to_pay_account-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("zzzz")
    expect(page.get_by_label("VAT to pay", exact=True)).to_have_attribute("aria-invalid", "true")
    shot(page, "export-settings-error")
    stored = page.request.get(f"{site.base}/api/v1/export-settings").json()
    assert stored["purchase_journal"] is None, "nothing is saved when a field is refused"

    page.get_by_label("VAT to pay", exact=True).fill("1510")
    page.get_by_role("button", name="Save export settings").click()
    expect(page.get_by_role("status")).to_contain_text("The export settings were saved.")
    expect(page.get_by_label("Purchase journal (type 22)")).to_have_value("60")
    expect(page.get_by_label("VAT to pay", exact=True)).to_have_value("1510")
    shot(page, "export-settings-saved")
    stored = page.request.get(f"{site.base}/api/v1/export-settings").json()
    assert (stored["purchase_journal"], stored["bank_journal"], stored["vat_to_pay_account"]) == (
        "60",
        "20",
        "1510",
    )
    page.close()
