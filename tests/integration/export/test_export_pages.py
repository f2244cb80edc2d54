"""The export screens through a browser's requests, against the sandbox: the Ready tab's
Export to Exact Online with its confirmation of what will be posted, the run's progress
(polled while it runs, not once it is finished), the export queue (reason, action and
Exact's message; retry, reopen, booked manually) and the export history with its CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from datetime import date
from html import unescape
from typing import Any

import pytest
from export_world import Exporting
from fastapi.testclient import TestClient

from exact_sandbox.control import SandboxControl
from exact_sandbox.seed import DEMO_DIVISION
from ledgerbridge.services.access import setup
from ledgerbridge.services.export.saga import run_export
from ledgerbridge.web.app import create_app

ADMIN, VIEWER, PASSWORD = "anna@acme.example", "vera@acme.example", "correct horse battery"
READY_LIST = "/transactions?status=ready"
ENTRIES = "purchaseentry/PurchaseEntries"


@pytest.fixture
def site(exporting: Exporting) -> Iterator[Exporting]:
    setup.add_user(exporting.c.uow, "acme", ADMIN, "admin", PASSWORD)
    setup.add_user(exporting.c.uow, "acme", VIEWER, "viewer", PASSWORD)
    yield exporting


def signed_in(site: Exporting, email: str = ADMIN) -> tuple[TestClient, str]:
    client = TestClient(create_app(site.c), follow_redirects=False)
    answer = client.post("/login", data={"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    # The cookie expires by the sandbox's FakeClock, which may be behind the real date the
    # client judges expiry by: carry it as a plain cookie.
    token = re.search(r"ledgerbridge_session=([^;]+)", answer.headers["set-cookie"])
    assert token
    client.cookies.set("ledgerbridge_session", token.group(1))
    return client, client.get("/api/v1/me").json()["csrf_token"]


def text_of(html: str) -> str:
    """The page's words without tags (and spaces squeezed), to read it as a user does."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def summary(page: str, name: str) -> str:
    found = re.search(rf'<dd data-summary="{name}">(.*?)</dd>', page, re.S)
    assert found, f"no {name} in the confirmation"
    return text_of(found.group(1)).strip()


def run_id_of(answer: Any) -> uuid.UUID:
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/exports/([0-9a-f-]{36})", answer.headers["location"])
    assert found, answer.headers["location"]
    return uuid.UUID(found.group(1))


def work(site: Exporting, run_id: uuid.UUID) -> None:
    """What the worker does with the run's job: run it, and again at the reset a run that
    spent Exact's minute window queued itself for."""
    result = run_export(site.deps(), site.world.company_id, run_id)
    while result.state == "waiting" and result.retry_at is not None:
        site.world.clock.set(max(site.world.clock.now(), result.retry_at))
        result = run_export(site.deps(), site.world.company_id, run_id)
    assert result.state == "finished", result.note


def test_the_ready_tab_offers_the_export_and_its_confirmation_says_what_will_be_posted(
    site: Exporting,
) -> None:
    with_receipt = site.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 b")])
    split = site.add("T-2", [("4200", "50.00", "2"), ("4510", "10.90", "4")])
    client, csrf = signed_in(site)

    ready = client.get(READY_LIST).text
    assert "Export to Exact Online" in ready and 'formaction="/exports/confirm"' in ready
    viewer, _ = signed_in(site, VIEWER)
    assert "Export to Exact Online" not in viewer.get(READY_LIST).text

    answer = client.post(
        "/exports/confirm",
        data={"csrf_token": csrf, "status": "ready", "ids": [str(with_receipt), str(split)]},
    )

    assert answer.status_code == 200, answer.text
    page = answer.text
    assert "Export 2 transactions?" in text_of(page)
    assert summary(page, "purchase_entries") == "2"
    assert summary(page, "receipts") == "1"
    assert summary(page, "bank_lines") == "2"
    assert summary(page, "total") == "-€181.90"
    link = re.search(r'href="(/exports/preview\?[^"]+)"', page)
    assert link, "no link to the journal preview"
    shown = client.get(link.group(1).replace("&amp;", "&"))
    assert shown.status_code == 200
    assert text_of(shown.text).count("Journal preview") >= 3  # the title and one per transaction
    assert "T-1" in shown.text and "T-2" in shown.text and "does not balance" not in shown.text
    with site.c.uow() as uow:  # nothing started yet
        assert uow.exports.runs(site.world.company_id) == []


def test_a_selection_with_one_not_ready_is_refused_with_the_reason_per_transaction(
    site: Exporting,
) -> None:
    ready = site.add("T-1", [("4200", "121.00", "2")])
    draft = site.add("T-9", [("4200", "12.10", "2")], status="to_prepare", merchant="Q-Park")
    client, csrf = signed_in(site)

    for action in ("/exports/confirm", "/exports/start"):
        answer = client.post(
            action, data={"csrf_token": csrf, "status": "ready", "ids": [str(ready), str(draft)]}
        )

        assert answer.status_code == 422, action
        words = text_of(answer.text)
        assert "Nothing was changed." in words
        assert "1 of 2 selected transactions cannot be changed" in words
        assert "Q-Park (T-9) : T-9 is to_prepare, not ready" in words  # only the one
    assert site.world.status_of(ready)[0] == "ready"
    with site.c.uow() as uow:
        assert uow.exports.runs(site.world.company_id) == []


def test_all_matching_is_exported_and_the_progress_page_polls_until_the_run_is_finished(
    site: Exporting,
) -> None:
    site.add("T-1", [("4200", "121.00", "2")], receipts=[("bon.pdf", b"%PDF-1 b")])
    site.add("T-2", [("4330", "12.10", "2")])
    left = site.add("T-3", [("4200", "5.00", "2")], merchant="Q-Park")
    client, csrf = signed_in(site)
    form = {"csrf_token": csrf, "scope": "all", "status": "ready", "merchant": "Coolblue"}

    confirmation = client.post("/exports/confirm", data=form)
    assert "Export 2 transactions?" in text_of(confirmation.text)
    assert 'name="scope" value="all"' in confirmation.text
    run_id = run_id_of(client.post("/exports/start", data=form))

    page = client.get(f"/exports/{run_id}").text
    assert "0 of 2 exported" in text_of(page)
    assert f'hx-get="/exports/{run_id}/progress" hx-trigger="every 2s"' in page
    assert 'href="/exports/history"' in page and 'href="/exports/queue"' in page
    assert site.world.status_of(left)[0] == "ready"  # not matching: left

    work(site, run_id)

    fragment = client.get(f"/exports/{run_id}/progress", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment
    assert "2 of 2 exported" in text_of(fragment) and "Finished" in fragment
    assert "hx-trigger" not in fragment  # the polling stops

    history = client.get("/exports/history").text
    entries = {e["ExternalLinkReference"]: e["EntryNumber"] for e in site.rows(ENTRIES)}
    for ref in ("T-1", "T-2"):
        row = re.search(rf'<tr data-history-row="[^"]+">\s*<td><a[^>]*>{ref}</a>.*?</tr>',
                        history, re.S)  # fmt: skip
        assert row, f"{ref} is not in the history"
        words = text_of(row.group(0))
        assert str(entries[ref]) in words and "matched" in words and ADMIN in words
    assert "1 of 1" in text_of(history)  # T-1's receipt pushed
    assert "Open in Exact Online" in history
    assert "T-3" not in history


def test_the_history_filters_pages_and_downloads_the_same_rows_as_csv(site: Exporting) -> None:
    ids = [site.add(f"T-{n:02}", [("4200", "1.21", "2")], merchant=f"=M{n}") for n in range(53)]
    started = site.start(ids)
    work(site, started.run_id)
    client, _ = signed_in(site)

    first = client.get("/exports/history").text
    assert first.count("<tr data-history-row=") == 50
    more = re.search(r'<a href="(/exports/history\?after=[^"]+)">Next page</a>', first)
    assert more, "no next page"
    second = client.get(more.group(1).replace("&amp;", "&")).text
    assert second.count("<tr data-history-row=") == 3
    seen = set(re.findall(r'data-history-row="([^"]+)"', first + second))
    assert seen == {str(i) for i in ids}

    found = client.get("/exports/history?q=T-07").text
    assert found.count("<tr data-history-row=") == 1
    assert (
        client.get("/exports/history?match_status=not_matched_yet").text.count(
            "<tr data-history-row="
        )
        == 0
    )

    download = client.get("/exports/history.csv?q=T-0")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert sorted(r["transaction"] for r in rows) == [f"T-0{n}" for n in range(10)]
    assert all(r["merchant"].startswith("'=M") for r in rows)  # no formula
    assert all(r["entry_number"] and r["match_status"] == "matched" for r in rows)
    assert len(list(csv.DictReader(io.StringIO(client.get("/exports/history.csv").text)))) == 53


def test_a_refused_export_waits_in_the_queue_with_its_reason_and_a_retry_exports_it(
    site: Exporting,
) -> None:
    control = SandboxControl(site.world.sandbox)
    first = site.add("T-1", [("4200", "121.00", "2")])
    second = site.add("T-2", [("4200", "10.00", "2")], merchant="Q-Park")
    third = site.add("T-3", [("4200", "20.00", "2")], merchant="Albert Heijn")
    control.close_period(DEMO_DIVISION, 2026, 11)
    started = site.start([first, second, third])
    site.run(started)
    assert [site.world.status_of(t)[0] for t in (first, second, third)] == ["failed"] * 3
    client, csrf = signed_in(site)

    queue = client.get("/exports/queue").text
    words = text_of(queue)
    assert "3 exports need attention" in words
    assert "The period of this date is closed in Exact Online" in words
    assert "<summary>Exact Online's message</summary>" in queue
    assert 'aria-current="page">Export queue' in queue.replace("\n", "")  # the tab
    viewer, _ = signed_in(site, VIEWER)
    seen = viewer.get("/exports/queue").text
    assert "closed in Exact Online" in seen and "Retry" not in text_of(seen)

    reopened = client.post("/exports/queue/reopen", data={"csrf_token": csrf, "one": str(third)})
    assert reopened.headers["location"] == "/exports/queue?notice=reopened"
    assert site.world.status_of(third)[0] == "to_prepare"
    booked = client.post(
        f"/exports/queue/{second}/booked-manually",
        data={"csrf_token": csrf, "entry_number": "not a number"},
    )
    assert booked.status_code == 400
    assert "give the entry number Exact Online shows" in booked.text
    booked = client.post(
        f"/exports/queue/{second}/booked-manually",
        data={"csrf_token": csrf, "entry_number": "26000123"},
    )
    assert booked.headers["location"] == "/exports/queue?notice=booked"
    assert "Recorded as booked manually" in client.get(booked.headers["location"]).text

    control.close_period(DEMO_DIVISION, 2026, 11, closed=False)
    run_id = run_id_of(
        client.post("/exports/queue/retry", data={"csrf_token": csrf, "one": str(first)})
    )
    work(site, run_id)

    assert site.world.status_of(first)[0] == "exported"
    assert "The export queue is empty" in client.get("/exports/queue").text
    history = text_of(client.get("/exports/history").text)
    assert "26000123 booked manually" in history and "T-1" in history


def test_retry_all_sends_the_whole_queue_and_an_empty_queue_says_so(site: Exporting) -> None:
    control = SandboxControl(site.world.sandbox)
    ids = [site.add(f"T-{n}", [("4200", "10.00", "2")]) for n in range(2)]
    control.close_period(DEMO_DIVISION, 2026, 11)
    site.run(site.start(ids))
    control.close_period(DEMO_DIVISION, 2026, 11, closed=False)
    client, csrf = signed_in(site)

    run_id = run_id_of(client.post("/exports/queue/retry", data={"csrf_token": csrf,
                                                                   "scope": "all"}))  # fmt: skip
    work(site, run_id)

    assert [site.world.status_of(t)[0] for t in ids] == ["exported"] * 2
    again = client.post("/exports/queue/retry", data={"csrf_token": csrf, "scope": "all"})
    assert again.status_code == 400
    assert "the export queue is empty; nothing to retry" in again.text.lower()


def test_another_companys_run_is_not_found(site: Exporting) -> None:
    client, _ = signed_in(site)
    assert client.get(f"/exports/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/exports/{uuid.uuid4()}/progress").status_code == 404


def test_a_run_waiting_for_exacts_daily_limit_says_so_and_keeps_polling(site: Exporting) -> None:
    ids = [site.add(f"T-{n}", [("4200", "10.00", "2")]) for n in range(6)]
    sandbox = site.world.sandbox
    used = sum(SandboxControl(sandbox).calls("division").values())
    sandbox.settings.day_limit = used + 3  # the fresh sync and a few entries, not all
    started = site.start(ids)
    result = site.run(started)
    assert result.state == "waiting", result
    client, _ = signed_in(site)

    page = client.get(f"/exports/{started.run_id}").text
    words = text_of(page)
    assert "Waiting" in words
    assert "Waiting for Exact Online's daily limit to reset (2026-11-03 00:00 UTC)" in words
    assert "Expected to be done at 3 Nov 2026, 00:00:00." in words
    assert 'hx-trigger="every 2s"' in page


def test_the_confirmation_names_one_the_mapping_now_finds_a_problem_in(site: Exporting) -> None:
    good = site.add("T-1", [("4200", "121.00", "2")])
    moved = site.add("T-2", [("4200", "10.00", "2")], booked=date(2020, 1, 15))  # no period
    client, csrf = signed_in(site)

    answer = client.post(
        "/exports/confirm", data={"csrf_token": csrf, "status": "ready",
                                  "ids": [str(good), str(moved)]},
    )  # fmt: skip

    assert answer.status_code == 200, answer.text
    words = text_of(answer.text)
    assert "Export 2 transactions?" in words
    assert summary(answer.text, "purchase_entries") == "1"  # only the good one is posted
    held = re.search(r'<div class="problem" role="alert">(.*?)</div>', answer.text, re.S)
    assert held, "the one with a problem is not named"
    assert "1 of them has a problem now" in text_of(held.group(1))
    assert "(T-2)" in held.group(1) and "(T-1)" not in held.group(1)
