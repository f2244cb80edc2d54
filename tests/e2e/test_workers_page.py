"""Administration › Workers in a real browser (Debian's chromium): ``ledgerbridge run``'s
own worker thread is seen alive by its heartbeat, with the job queue's figures. The
screenshot goes to ``tests/e2e/screenshots/workers.png`` (``docs/screenshots/`` has a copy).
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


def test_the_apps_own_worker_is_seen_alive_on_the_workers_page(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("group", name="Administration").get_by_role("link", name="Workers").click()
    expect(page.get_by_role("heading", name="Workers", exact=True)).to_be_visible()
    expect(page.locator('dd[data-fact="alive"]')).to_have_text("1 of 1 seen")
    workers = page.get_by_role("table", name="Workers seen")
    expect(workers.get_by_role("row").nth(1)).to_contain_text(re.compile(r"UTC[\s\S]*alive"))
    expect(page.locator("#no-worker")).to_have_count(0)
    shot(page, "workers")
    page.close()
