"""Bookkeeping › Rules in a real browser (Debian's chromium): add a rule in plain words,
see it explained with its matches, apply it to the transactions still to prepare.
Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import re

import pytest

from e2e.test_pages import CHROMIUM, app_database, browser, english_page, shot, sign_in, site
from e2e.test_run_command import Run

__all__ = ["app_database", "browser", "site"]  # fixtures shared with the other page tests

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium; the page tests run in CI", allow_module_level=True)

from playwright.sync_api import Browser, expect

pytestmark = pytest.mark.slow


def test_create_a_rule_and_apply_it(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    csrf = page.request.get(f"{site.base}/api/v1/me").json()["csrf_token"]
    local = {"kind": "gl_account", "code": "4230", "name": "Office supplies"}
    made = page.request.post(
        f"{site.base}/api/v1/dimensions", data=local, headers={"X-CSRF-Token": csrf}
    )
    assert made.status in (201, 409), made.text()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Rules").click()
    expect(page.get_by_role("heading", name="Rules", exact=True)).to_be_visible()
    form = page.get_by_role("region", name="Add a rule")
    form.get_by_label("Name").fill("Coolblue is office supplies")
    form.get_by_label("How merchant matches").select_option("contains")
    form.get_by_label("Merchant", exact=True).fill("coolblue")
    form.get_by_label("GL account", exact=True).fill("4230")
    shot(page, "rules-add")
    form.get_by_role("button", name="Add rule").click()

    expect(page.get_by_role("status")).to_contain_text("The rule was added.")
    row = page.locator("table.rules tbody tr", has_text="Coolblue is office supplies")
    expect(row).to_contain_text('When the merchant contains "coolblue", assign GL account 4230')
    shot(page, "rules-list")

    page.get_by_role("button", name="Apply to transactions still to prepare").click()
    result = page.get_by_role("status")
    expect(result).to_contain_text(re.compile(r"Applied to transactions still to prepare: \d+"))
    expect(result).to_contain_text("Coolblue is office supplies:")
    shot(page, "rules-applied")
    page.close()
