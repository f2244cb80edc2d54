"""Export to Exact Online in a real browser (Debian's chromium), against the sandbox that
``ledgerbridge run`` serves: the demo company connects, its export settings are chosen,
one merchant's transactions are coded and marked ready; three of them are ticked on the
Ready tab and exported (the confirmation says what will be posted; the progress page
follows the run live until it is done, Exact answering slowly; the history shows their
entry numbers and match status). A closed period makes Exact refuse one: it waits in the
export queue with its reason and Exact's message; once the period is reopened (the
sandbox's control API), Retry exports it. Last, a GL account blocked in Exact is never
posted and says why (see the test). Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from e2e.test_pages import CHROMIUM, app_database, browser, english_page, shot, sign_in, site
from e2e.test_prep_flow import MERCHANT, choose_export_settings, connect_and_sync, count_of
from e2e.test_run_command import Run
from exact_sandbox.seed import DEMO_DIVISION

__all__ = ["app_database", "browser", "site"]  # fixtures shared with the other page tests

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip("no /usr/bin/chromium; the page tests run in CI", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.slow
GL = "4520"  # Canteen costs: what the merchant's transactions are coded with
ENTRIES = "purchaseentry/PurchaseEntries"
RUN_URL = re.compile(r".*/exports/[0-9a-f-]{36}$")


def control(page: Page, base: str, path: str, body: dict[str, object]) -> None:
    """The sandbox's control API (served by ``ledgerbridge run`` under /sandbox)."""
    answer = page.request.post(f"{base}/sandbox/_sandbox/{path}", data=body)
    assert answer.ok, answer.text()


def prepare(page: Page, base: str) -> int:
    """Code the merchant's transactions in bulk and mark them ready; how many are ready."""
    page.goto(f"{base}/transactions?merchant={MERCHANT}")
    matching = count_of(page, "To prepare")
    bar = page.locator("#bulk")
    page.get_by_label("Select all on this page").check()
    bar.get_by_label(f"all {matching} matching this filter").check()
    bar.get_by_text("Assign pre-accounting values").click()
    bar.get_by_label("GL account").fill(GL)
    bar.get_by_label("VAT code").fill("5")
    bar.get_by_role("button", name="Assign to the selection").click()
    expect(page.locator("#bulk-result")).to_contain_text(f"{matching} transactions assigned.")
    page.get_by_label("Select all on this page").check()
    bar.get_by_label(f"all {matching} matching this filter").check()
    bar.get_by_role("button", name="Mark ready").click()
    expect(page.locator("#bulk-result")).to_contain_text(f"{matching} transactions marked ready.")
    return matching


def ready_rows(page: Page, base: str) -> list[str]:
    page.goto(f"{base}/transactions?status=ready&merchant={MERCHANT}")
    return page.locator("tr[data-row]").evaluate_all("rows => rows.map(r => r.dataset.row)")


def export_ticked(page: Page, base: str, ids: list[str], name: str | None = None) -> None:
    """Tick ``ids`` on the Ready tab, Export to Exact Online, confirm; on the run's page."""
    page.goto(f"{base}/transactions?status=ready&merchant={MERCHANT}")
    for txn_id in ids:
        page.locator(f"#pick-{txn_id}").check()
    page.locator("#bulk").get_by_role("button", name="Export to Exact Online").click()
    confirm = page.locator("section.export-confirm")
    expect(confirm).to_contain_text(f"Export {len(ids)} transaction")
    expect(confirm.locator('[data-summary="purchase_entries"]')).to_have_text(str(len(ids)))
    expect(confirm.locator('[data-summary="bank_lines"]')).to_have_text(str(len(ids)))
    expect(confirm.get_by_role("link", name="Open the journal preview")).to_be_visible()
    if name:
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, name)
    confirm.get_by_role("button", name="Confirm and export").click()
    expect(page).to_have_url(RUN_URL)


def wait_until_finished(page: Page) -> None:
    """The progress fragment updates itself (htmx, every 2 s) until the run is finished."""
    expect(page.locator("#run-progress")).to_have_attribute(
        "data-state", "finished", timeout=180_000
    )


def booking_date(page: Page, base: str, txn_id: str) -> date:
    answer = page.request.get(f"{base}/api/v1/transactions/{txn_id}")
    assert answer.ok, answer.text()
    return date.fromisoformat(answer.json()["booking_date"])


def test_export_progress_history_and_the_queue(site: Run, browser: Browser) -> None:
    page = english_page(browser)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, site.base, "admin@demo.example", "demo-password")
    connect_and_sync(page, site.base)
    choose_export_settings(page, site.base)
    assert prepare(page, site.base) >= 6

    # -- three ticked on the Ready tab: confirm, progress, history -----------------------------
    first = ready_rows(page, site.base)[:3]
    # Exact answers each purchase entry 3 s late: the run is seen running, and followed live.
    slow = {"kind": "latency", "endpoint": ENTRIES, "method": "POST", "seconds": 3, "real": True}
    control(page, site.base, "faults", {**slow, "count": 3})
    export_ticked(page, site.base, first, "export-confirmation")
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("of 3 exported")
    expect(progress).not_to_have_attribute("data-state", "finished")
    page.evaluate("window.notReloaded = true")
    shot(page, "export-progress-running")
    wait_until_finished(page)
    assert page.evaluate("window.notReloaded === true")  # htmx updated it in place
    expect(progress).to_contain_text("3 of 3 exported")
    expect(progress.locator("[data-failed]")).to_have_count(0)
    shot(page, "export-progress-finished")
    page.get_by_role("link", name="See the entry numbers in the export history").click()
    for txn_id in first:
        row = page.locator(f'tr[data-history-row="{txn_id}"]')
        expect(row.locator("[data-entry]")).to_have_text(re.compile(r"^\d+$"))
        expect(row.locator("[data-match]")).to_have_text("matched")
        expect(row.get_by_role("link", name="Open in Exact Online")).to_have_count(1)
    assert count_of_history(page) == 3

    # -- a closed period: Exact refuses it, the queue says why; reopened, Retry exports it ----
    (refused,) = ready_rows(page, site.base)[:1]
    day = booking_date(page, site.base, refused)
    period = f"divisions/{DEMO_DIVISION}/periods/{day.year}/{day.month}"
    control(page, site.base, period, {"closed": True})
    export_ticked(page, site.base, [refused])
    wait_until_finished(page)
    expect(page.locator("#run-progress [data-failed]")).to_contain_text("1 failed")
    page.locator("#run-progress").get_by_role("link", name="Open the export queue").click()
    row = page.locator(f'tr[data-queue-row="{refused}"]')
    expect(row).to_contain_text("The period of this date is closed in Exact Online")
    expect(row).to_contain_text("Reopen the period in Exact Online")
    row.get_by_text("Exact Online's message").click()
    expect(row.locator(".exact-message pre")).not_to_be_empty()
    tabs = page.get_by_role("navigation", name="Export states")
    expect(tabs.get_by_role("link", name=re.compile("^Export queue"))).to_have_attribute(
        "aria-current", "page"
    )
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "export-queue")

    control(page, site.base, period, {"closed": False})
    row.get_by_role("button", name=re.compile(r"^Retry ")).click()
    expect(page).to_have_url(RUN_URL)
    wait_until_finished(page)
    expect(page.locator("#run-progress")).to_contain_text("1 of 1 exported")
    page.goto(f"{site.base}/exports/queue")
    expect(page.get_by_text("The export queue is empty")).to_be_visible()

    page.goto(f"{site.base}/exports/history")
    row = page.locator(f'tr[data-history-row="{refused}"]')
    expect(row.locator("[data-entry]")).to_have_text(re.compile(r"^\d+$"))
    expect(row.locator("[data-match]")).to_have_text("matched")
    assert count_of_history(page) == 4
    shot(page, "export-history")
    download = page.get_by_role("link", name="Download CSV")
    with page.expect_download() as got:
        download.click()
    lines = Path(got.value.path()).read_text(encoding="utf-8").strip().splitlines()
    assert len(lines) == 5 and lines[0].startswith("transaction,")

    # -- a GL account blocked in Exact after mark-ready: never posted, and it says why --------
    # The run's fresh sync reads the GL accounts when they were read over a minute ago: then
    # it finds the block and sends the transaction (every ready one coded with it: that is
    # why this comes last) back to To prepare with the reason. Read more recently, Exact
    # refuses the entry and it waits in the export queue with the same reason.
    control(page, site.base, f"divisions/{DEMO_DIVISION}/gl-accounts/{GL}", {"blocked": True})
    (blocked,) = ready_rows(page, site.base)[:1]
    export_ticked(page, site.base, [blocked])
    wait_until_finished(page)
    expect(page.locator("#run-progress")).to_contain_text("0 of 1 exported")
    status = page.request.get(f"{site.base}/api/v1/transactions/{blocked}").json()["status"]
    if status == "failed":
        page.goto(f"{site.base}/exports/queue")
        row = page.locator(f'tr[data-queue-row="{blocked}"]')
        expect(row).to_contain_text("The GL account is blocked in Exact Online")
    else:
        assert status == "to_prepare", status
        page.goto(f"{site.base}/transactions?status=to_prepare&merchant={MERCHANT}")
        row = page.locator(f'tr[data-row="{blocked}"]')
        expect(row).to_contain_text("blocked")
    shot(page, "export-blocked-gl-account")
    control(page, site.base, f"divisions/{DEMO_DIVISION}/gl-accounts/{GL}", {"blocked": False})
    page.close()


def count_of_history(page: Page) -> int:
    return page.locator("tr[data-history-row]").count()
