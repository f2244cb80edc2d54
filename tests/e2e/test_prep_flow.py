"""Prep in a real browser (Debian's chromium): the demo company connects to the sandbox
so the pickers have Exact's synced values; a transaction is coded in the drawer with a
split line (first lines that do not add up: the message beside the amount; then fixed
and saved); the transactions of one merchant get their pre-accounting values in bulk
through "all N matching this filter"; one is marked ready from the keyboard and the
rest with the bulk bar. Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import re

import pytest

from e2e.test_pages import CHROMIUM, app_database, browser, english_page, shot, sign_in, site
from e2e.test_run_command import Run
from exact_sandbox.seed import DEMO_DIVISION

__all__ = ["app_database", "browser", "site"]  # fixtures shared with the other page tests

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium; the page tests run in CI", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.slow
MERCHANT = "Jumbo"  # 4520 Canteen costs, VAT 5 (9 % incl.) in the sandbox's chart


def connect_and_sync(page: Page, base: str) -> None:
    """Connect the demo company to the sandbox and wait for the GL accounts to sync."""
    page.goto(f"{base}/integrations")
    page.get_by_role("button", name="Connect").click()
    if page.get_by_role("button", name="Replace them and connect").count():
        page.get_by_role("button", name="Replace them and connect").click()
    if page.get_by_role("link", name="Continue to Exact Online").count():
        page.get_by_role("link", name="Continue to Exact Online").click()
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Allow access").click()
    picker = page.get_by_role("group", name="Division to book into")
    if picker.count():
        picker.get_by_label(str(DEMO_DIVISION), exact=False).check()
        page.get_by_role("button", name="Use this division").click()
    expect(page.get_by_text("Status: connected")).to_be_visible()
    page.goto(f"{base}/dimensions?kind=gl_account&q=4330")
    for _ in range(90):  # the worker pulls the dimensions in the background
        if page.get_by_role("cell", name="Parking", exact=True).count():
            return
        page.wait_for_timeout(500)
        page.reload()
    raise AssertionError("the GL accounts were not synced")


def choose_export_settings(page: Page, base: str) -> None:
    """The admin chooses how the company is booked: a wrong account is refused beside its
    field, then the settings are saved (receipts optional: some demo purchases have none)."""
    page.goto(f"{base}/settings/export")
    purchase = page.get_by_label("Purchase journal (type 22)")
    expect(purchase.locator("option", has_text="20 — Credit card")).to_have_count(0)
    purchase.select_option("60")
    page.get_by_label("Bank journal (type 12)").select_option("20")
    page.get_by_label("Per merchant: the merchant's own supplier").check()
    page.get_by_label("Generic supplier", exact=True).fill("1")
    page.get_by_label("Merchants and their suppliers").fill("Albert Heijn = 1\nJumbo = 2")
    page.get_by_label("A receipt is optional").check()
    page.get_by_label("Creditors", exact=True).fill("9999")
    page.get_by_label("Card (the bank journal's GL account)").fill("1105")
    page.get_by_label("VAT to claim").fill("1520")
    page.get_by_label("VAT to pay").fill("1510")
    page.get_by_role("button", name="Save export settings").click()
    creditors = page.get_by_label("Creditors", exact=True)
    expect(creditors).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#creditors_account-problem")).to_contain_text(
        "GL account 9999 does not exist in the synced data"
    )
    shot(page, "export-settings-refused")
    creditors.fill("1600")
    page.get_by_role("button", name="Save export settings").click()
    expect(page.get_by_role("status")).to_contain_text("The export settings were saved.")
    shot(page, "export-settings-saved")


def drawer_shot(page: Page, name: str) -> None:
    """A screenshot with the drawer scrolled to its top (its title and summary)."""
    page.locator("#drawer").evaluate("drawer => { drawer.scrollTop = 0; }")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, name)


def count_of(page: Page, tab: str) -> int:
    link = page.get_by_role("navigation", name="Export states").get_by_role("link", name=tab)
    return int(link.locator(".count").inner_text().replace(",", "").rstrip("+"))


def test_code_split_bulk_assign_and_mark_ready(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    page.set_viewport_size({"width": 1600, "height": 1000})
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    connect_and_sync(page, site.base)
    choose_export_settings(page, site.base)

    # -- code one transaction with a split line ------------------------------------------------
    page.goto(f"{site.base}/transactions?merchant=Albert+Heijn")
    page.locator("#transaction-rows a[data-open]").first.click()
    drawer = page.locator("#drawer")
    form = drawer.locator("form[data-coding-form]")
    expect(form).to_be_visible()
    paid = form.get_by_label(re.compile(r"^Amount")).first.input_value()
    total = abs(float(paid))

    gl = form.get_by_label("GL account").first
    gl.fill("Canteen")  # a name: the picker searches Exact's synced values
    expect(form.locator('#dl-gl_account option[value="4520"]')).to_have_count(1)
    gl.fill("4520")
    gl.press("Tab")  # chosen: its default VAT code is proposed
    expect(form.get_by_label("VAT code").first).to_have_value("5")
    form.get_by_label(re.compile(r"^Amount")).first.fill(f"-{total - 1:.2f}")
    form.get_by_role("button", name="Add a line").click()
    line_2 = drawer.locator('fieldset[data-line="2"]')
    expect(line_2).to_be_visible()
    expect(line_2.get_by_label(re.compile(r"^Amount"))).to_have_value("-1.00")  # the rest
    line_2.get_by_label("GL account").fill("4200")
    line_2.get_by_label("VAT code").fill("3")
    line_2.get_by_label(re.compile(r"^Amount")).fill("-0.50")  # does not add up
    drawer.get_by_role("button", name="Save coding").click()

    total_problem = drawer.locator("#coding-total-problem")
    expect(total_problem).to_contain_text("0.50 unassigned")
    amount_2 = drawer.locator('fieldset[data-line="2"]').get_by_label(re.compile(r"^Amount"))
    expect(amount_2).to_have_value("-0.50")  # the input is kept
    expect(amount_2).to_have_attribute("aria-describedby", "coding-total-problem")
    expect(drawer.get_by_role("alert")).to_contain_text("Nothing was saved.")
    drawer_shot(page, "prep-coding-refused")

    amount_2.fill("-1.00")
    drawer.get_by_role("button", name="Save coding").click()
    expect(drawer.get_by_role("status")).to_contain_text("The coding was saved.")
    expect(drawer.locator("#coding-total-problem")).to_have_count(0)
    drawer_shot(page, "prep-coding-saved")
    expect(drawer).not_to_contain_text("Not Found")  # a fragment that fails leaves no trace
    # -- the journal preview: what the export will post, balanced ------------------------------
    preview = drawer.locator("section.journal-preview")
    expect(preview.get_by_role("heading", name="Journal preview")).to_be_visible()
    purchase = preview.get_by_role("table").filter(has_text="Purchase entry").first
    expect(purchase).to_contain_text("4520")
    expect(purchase).to_contain_text("1600 Creditors (Albert Heijn)")
    expect(preview.get_by_role("table").filter(has_text="Bank entry line")).to_contain_text(
        "1105 Credit card"
    )
    expect(preview).not_to_contain_text("does not balance")
    preview.scroll_into_view_if_needed()
    shot(page, "prep-journal-preview")

    # -- bulk assign one merchant's transactions by the filter -----------------------------------
    page.goto(f"{site.base}/transactions?merchant={MERCHANT}")
    matching = count_of(page, "To prepare")
    assert matching >= 20
    bar = page.locator("#bulk")
    expect(bar).to_be_hidden()  # appears once something is selected
    page.get_by_label("Select all on this page").check()
    expect(bar).to_be_visible()
    bar.get_by_label(f"all {matching} matching this filter").check()
    bar.get_by_text("Assign pre-accounting values").click()
    bar.get_by_label("GL account").fill("4520")
    bar.get_by_label("VAT code").fill("5")
    shot(page, "prep-bulk-bar")
    bar.get_by_role("button", name="Assign to the selection").click()
    result = page.locator("#bulk-result")
    expect(result).to_contain_text(f"{matching} transactions assigned.")
    shot(page, "prep-bulk-assigned")

    # -- the keyboard: move to a row, open it, mark it ready -------------------------------------
    page.locator("h1").click()  # nothing focused in a field
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("tr[data-row]").nth(1)
    expect(second).to_have_class(re.compile("focused"))
    page.keyboard.press("x")
    expect(second.locator("input[data-pick]")).to_be_checked()
    page.keyboard.press("x")
    page.keyboard.press("Enter")
    expect(drawer.locator("form[data-coding-form]")).to_be_visible()
    page.locator("h1").click()
    page.keyboard.press("r")
    expect(drawer.get_by_role("status")).to_contain_text("Marked ready")
    expect(page.locator("tr[data-row]")).to_have_count(min(matching, 50) - 1)  # its row left
    expect(page.locator("tr[data-row]").nth(1)).to_have_class(re.compile("focused"))  # the next
    assert count_of(page, "To prepare") == matching - 1
    assert count_of(page, "Ready") >= 1
    drawer_shot(page, "prep-keyboard-ready")
    page.keyboard.press("Escape")
    expect(drawer).to_be_empty()
    page.keyboard.press("?")
    expect(page.locator("details.shortcuts")).to_have_attribute("open", "")
    page.keyboard.press("?")

    # -- the rest ready with the bulk bar --------------------------------------------------------
    page.get_by_label("Select all on this page").check()
    bar.get_by_label(f"all {matching - 1} matching this filter").check()
    bar.get_by_role("button", name="Mark ready").click()
    expect(result).to_contain_text(f"{matching - 1} transactions marked ready.")
    assert count_of(page, "To prepare") == 0
    shot(page, "prep-bulk-ready")
    page.close()
