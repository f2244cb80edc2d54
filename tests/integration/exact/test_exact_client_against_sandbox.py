"""The Exact client against the sandbox, in-process: OAuth dance, typed calls, real errors,
pacing. The sandbox's clock is a FakeClock that the client's sleep moves (no real waiting)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import pytest

from exact_sandbox.clock import FakeClock
from ledgerbridge.exact.api import ExactApi
from ledgerbridge.exact.error_budget import InMemoryErrorBudget
from ledgerbridge.exact.errors import (
    ExactAuthLost,
    ExactOutcomeUnknown,
    TokenChainLost,
    TooEarlyToRefresh,
)
from ledgerbridge.exact.http import ExactHttp, RetryPolicy
from ledgerbridge.exact.models import (
    BankEntryDraft,
    BankEntryLineDraft,
    PurchaseEntryDraft,
    PurchaseEntryLineDraft,
)
from ledgerbridge.exact.oauth import TokenSet, authorize_url, exchange_code, refresh_tokens
from ledgerbridge.exact.pacing import InMemoryRateBudgetStore, Pacer
from ledgerbridge.exact.probe import run_probe

sandbox_app = pytest.importorskip("exact_sandbox.app")
from exact_sandbox.core import Sandbox  # noqa: E402
from exact_sandbox.seed import (  # noqa: E402
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DIVISION,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
)
from exact_sandbox.transport import SandboxTransport  # noqa: E402

BASE = "http://sandbox"
REDIRECT = DEMO_REDIRECT_URIS[0]
START = datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC)


@dataclass
class RefreshingTokens:
    """The simplest TokenProvider: refresh in the last 30 s of the access token's life."""

    client: httpx.Client
    clock: FakeClock
    tokens: TokenSet
    rejections: list[str] = field(default_factory=list)

    def access_token(self) -> str:
        if self.tokens.expires_at - self.clock.now() <= timedelta(seconds=30):
            self.tokens = refresh_tokens(self.client, BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                         self.tokens.refresh_token, self.clock.now())  # fmt: skip
        return self.tokens.access_token

    def token_rejected(self, reason: str) -> None:
        self.rejections.append(reason)


@dataclass
class World:
    clock: FakeClock
    sandbox: Sandbox
    client: httpx.Client

    def consent(self, state: str = "state-1", username: str = "demo") -> str:
        """Log in on the consent page and allow; the raw (URL-encoded) code from the redirect."""
        page = self.client.get(authorize_url(BASE, DEMO_CLIENT_ID, REDIRECT, state, True))
        assert page.status_code == 200
        form = {"client_id": DEMO_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code",
                "state": state, "force_login": "1", "username": username,
                "password": DEMO_PASSWORD, "action": "allow"}  # fmt: skip
        answer = self.client.post(f"{BASE}/api/oauth2/auth", data=form)
        assert answer.status_code == 302
        query = dict(p.split("=", 1) for p in urlsplit(answer.headers["location"]).query.split("&"))
        assert query["state"] == state
        return query["code"]

    def connect(self, username: str = "demo") -> RefreshingTokens:
        code = self.consent(username=username)
        tokens = exchange_code(self.client, BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, REDIRECT,
                               code, self.clock.now())  # fmt: skip
        return RefreshingTokens(self.client, self.clock, tokens)

    def api(self, tokens: RefreshingTokens, division: int = DEMO_DIVISION) -> ExactApi:
        pacer = Pacer(InMemoryRateBudgetStore(), f"{DEMO_CLIENT_ID}:{division}",
                      self.clock.sleep, self.clock.now)  # fmt: skip
        http = ExactHttp(self.client, BASE, tokens, pacer, InMemoryErrorBudget(),
                         now=self.clock.now, sleep=self.clock.sleep,
                         retry=RetryPolicy(random=lambda: 0.5))  # fmt: skip
        return ExactApi(http, division)


@pytest.fixture
def world() -> World:
    clock = FakeClock(START)
    sandbox = Sandbox(clock=clock)
    transport = SandboxTransport(sandbox_app.create_sandbox_app(sandbox))
    client = httpx.Client(transport=transport)
    yield World(clock, sandbox, client)
    client.close()


def test_the_full_oauth_dance_gives_tokens_that_reach_the_users_divisions(world: World):
    code = world.consent()
    assert "%21" in code or "!" not in code  # Exact's code arrives URL-encoded
    tokens = world.connect()
    assert tokens.tokens.expires_at == START + timedelta(seconds=600)
    api = world.api(tokens)
    me = api.me()
    assert me.full_name == "Demo User" and me.current_division == DEMO_DIVISION
    divisions = {d.code: d for d in api.divisions()}
    assert DEMO_DIVISION in divisions and divisions[DEMO_DIVISION].currency == "EUR"


def test_refreshing_before_570_seconds_is_too_early_and_a_reused_refresh_token_kills_the_chain(
    world: World,
):
    tokens = world.connect().tokens
    world.clock.advance(60)
    with pytest.raises(TooEarlyToRefresh):
        refresh_tokens(world.client, BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                       tokens.refresh_token, world.clock.now())  # fmt: skip
    world.clock.advance(540)
    fresh = refresh_tokens(world.client, BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                           tokens.refresh_token, world.clock.now())  # fmt: skip
    assert fresh.refresh_token != tokens.refresh_token
    world.clock.advance(600)
    with pytest.raises(TokenChainLost):
        refresh_tokens(world.client, BASE, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                       tokens.refresh_token, world.clock.now())  # fmt: skip


def test_dimensions_come_back_typed_with_timestamps_and_trimmed_codes(world: World):
    api = world.api(world.connect())
    accounts = {a.code: a for a in api.sync_gl_accounts(since=0)}
    assert accounts["4990"].blocked and accounts["4300"].use_cost_center == 1
    assert all(a.timestamp for a in accounts.values())
    vat = {v.code: v for v in api.vat_codes()}
    assert vat["5"].type == "I"
    assert [p.percentage for p in vat["5"].percentages] == [Decimal("0.06"), Decimal("0.09")]
    assert {j.code for j in api.journals() if j.type == 22} == {"60", "61"}
    assert {c.code for c in api.cost_centers()} >= {"100", "900"}
    assert any(t.id == 20 and t.creatable for t in api.document_types())
    suppliers = list(api.sync_suppliers(since=0))
    assert len(suppliers) >= 22 and all(s.code == s.code.strip() for s in suppliers)
    found = api.find_supplier(name="Albert Heijn")
    assert found is not None and found.country == "NL"


def book(api: ExactApi, gl_code: str = "4200", entry_date: date | None = None):
    accounts = {a.code: a for a in api.sync_gl_accounts(since=0)}
    supplier = api.find_supplier(name="Coolblue")
    assert supplier is not None
    line = PurchaseEntryLineDraft(accounts[gl_code].id, Decimal("100.00"), vat_code="2",
                                  vat_amount=Decimal("21.00"))  # fmt: skip
    draft = PurchaseEntryDraft("60", supplier.id, entry_date or date(2026, 11, 1), "EUR",
                               (line,), your_ref="LB-0001", description="Monitor")  # fmt: skip
    return supplier, api.create_purchase_entry(draft, "LB-TX-0001")


def test_a_receipt_and_purchase_entry_are_created_found_again_and_linked(world: World):
    api = world.api(world.connect())
    supplier, entry = book(api)
    assert entry.entry_number is not None and entry.amount == Decimal("121.00")
    document = api.create_document("LB-TX-0001", 20, subject="Receipt", account_id=supplier.id,
                                   document_date=date(2026, 11, 1))  # fmt: skip
    api.attach(document.id, "receipt.pdf", b"%PDF-1.4 receipt")
    api.attach_document_to_entry(entry.entry_id, document.id)
    again = api.get_purchase_entry(entry.entry_id)
    assert again is not None and again.document_id == document.id
    assert [line.amount for line in again.lines] == [Decimal("100.00")]
    found = api.find_purchase_entry(supplier.id, "LB-0001", date(2026, 11, 1))
    assert found is not None and found.entry_id == entry.entry_id
    assert api.get_purchase_entry("00000000-0000-4000-8000-000000000000") is None


def test_a_bank_line_paying_the_entry_settles_it_and_the_match_is_read_back(world: World):
    api = world.api(world.connect())
    supplier, entry = book(api)
    assert entry.entry_number in {p.entry_number for p in api.payables()}
    assert [p.is_matched for p in api.payments_for_entry(entry.entry_id)] == [False]
    bank_gl = next(a.id for a in api.sync_gl_accounts(since=0) if a.code == "1600")
    line = BankEntryLineDraft(date(2026, 11, 2), -entry.amount, bank_gl,
                              account_id=supplier.id, our_ref=entry.entry_number)  # fmt: skip
    bank = api.create_bank_entry(BankEntryDraft("20", "EUR", (line,)), "ST-2026-11")
    assert bank.entry_id and bank.journal_code == "20"
    assert [p.is_matched for p in api.payments_for_entry(entry.entry_id)] == [True]
    assert entry.entry_number not in {p.entry_number for p in api.payables()}


def test_a_blocked_gl_account_and_a_closed_period_are_unknown_outcomes_with_exacts_rejection(
    world,
):
    # A write 500 is never a certain rejection (EXACT_API.md §2.6): the rejection travels in
    # the unknown outcome until a lookup by our reference (adopt.ExactWriter) says nothing
    # was booked.
    api = world.api(world.connect())
    with pytest.raises(ExactOutcomeUnknown) as blocked:
        book(api, gl_code="4990")
    with pytest.raises(ExactOutcomeUnknown) as closed:
        book(api, entry_date=date(2025, 1, 15))
    assert blocked.value.rejection is not None and closed.value.rejection is not None
    assert blocked.value.rejection.message and closed.value.rejection.message
    assert blocked.value.rejection.message != closed.value.rejection.message


def test_a_revoked_consent_means_the_authorisation_is_lost(world: World):
    tokens = world.connect()
    api = world.api(tokens)
    world.sandbox.auth.revoke(username="demo")
    with pytest.raises(ExactAuthLost):
        api.me()
    assert len(tokens.rejections) == 1


def test_600_calls_through_one_division_earn_no_429_and_use_95_percent_of_the_minute(world):
    api = world.api(world.connect())
    for _ in range(600):
        api.document_types()
    calls = [c for c in world.sandbox.call_log if c.endpoint.endswith("DocumentTypes")]
    assert not [c for c in calls if c.status == 429]
    per_minute = Counter(c.instant.replace(second=0, microsecond=0) for c in calls)
    full = sorted(per_minute)[1:-1]
    assert len(full) >= 8 and all(per_minute[m] >= 57 for m in full)


def test_the_probe_reads_without_writing_and_cleans_up_after_writing(world: World):
    api = world.api(world.connect())
    read_only = run_probe(api, write=False)
    assert {c.name: c.outcome for c in read_only.checks}[
        "document type 20 exists and is creatable"] == "yes"  # fmt: skip
    assert not [c for c in world.sandbox.call_log if c.method != "GET"]
    written = run_probe(api, write=True, today=date(2026, 11, 2))
    outcomes = {c.name: c.outcome for c in written.checks}
    assert outcomes["clean-up"] == "yes", written.lines()
    assert outcomes["blocked GL account answer"] == "yes", written.lines()


def test_a_write_whose_answer_is_lost_is_not_resent_and_is_found_by_its_reference(world):
    api = world.api(world.connect())
    world.sandbox.faults.add("timeout", endpoint="purchaseentry/PurchaseEntries",
                             method="POST", count=1)  # fmt: skip
    with pytest.raises(ExactOutcomeUnknown):
        book(api)
    supplier = api.find_supplier(name="Coolblue")
    assert supplier is not None
    found = api.find_purchase_entry(supplier.id, "LB-0001", date(2026, 11, 1))
    assert found is not None and found.amount == Decimal("121.00")
    posts = [c for c in world.sandbox.call_log if c.method == "POST"]
    assert len(posts) == 1


def test_reads_ride_out_a_short_outage_and_a_429_storm(world: World):
    api = world.api(world.connect())
    world.sandbox.faults.add("error", endpoint="documents/DocumentTypes", status=503, count=2)
    world.sandbox.faults.add("storm", endpoint="financial/Journals", count=1)
    assert any(t.id == 20 for t in api.document_types())
    assert any(j.code == "60" for j in api.journals())


@pytest.mark.parametrize(
    ("html_401", "reason"),
    [(True, "Exact answered with its login page"), (False, "Unauthorized")],
    ids=["html-login-page", "json-error"],
)
def test_a_revoked_token_answered_with_an_html_login_page_or_json_is_understood_alike(
    world: World, html_401: bool, reason: str
):
    world.sandbox.settings.html_401 = html_401
    tokens = world.connect()
    api = world.api(tokens)
    world.sandbox.auth.revoke(username="demo")
    with pytest.raises(ExactAuthLost) as raised:
        api.divisions()
    assert raised.value.reason == reason
    assert tokens.rejections == [reason]
    assert [c.status for c in world.sandbox.call_log][-1:] == [401]


def test_sync_accounts_includes_customers_so_a_former_supplier_can_be_noticed(
    world: World,
) -> None:
    api = world.api(world.connect())
    accounts = list(api.sync_accounts(1))
    suppliers = list(api.sync_suppliers(1))
    assert {a.id for a in suppliers} < {a.id for a in accounts}
    assert any(not a.is_supplier for a in accounts)
