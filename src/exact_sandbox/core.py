"""The sandbox itself: one object holding the clock, the data and the registries.

``Sandbox`` is what tests, benchmarks, the CLI and the ASGI app share. It owns
the entity ``store`` (one per sandbox, several divisions), the registries of
users, registered apps and divisions, the ``call_log`` of every API call, and
the access side (``auth``, ``limits``, ``faults``) built from the sibling
modules. It also offers the changes a bookkeeper would make in Exact's web UI
(block an account, close a period, end a cost centre …) as plain methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from exact_sandbox.clock import Clock, SystemClock
from exact_sandbox.store import Store


class SandboxHTTPError(Exception):
    """Answer the current request with this response instead of handling it.

    Raised by the access side (401/403/429 …) and by the data side for errors
    that are easiest to signal from deep inside a handler. ``body`` is sent as
    is (an empty body for 429, JSON or HTML otherwise).
    """

    def __init__(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        media_type: str | None = "application/json",
    ) -> None:
        super().__init__(f"sandbox answered {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.media_type = media_type


@dataclass
class SandboxSettings:
    """Knobs for behaviour EXACT_API.md marks as unconfirmed or configurable.

    ``attachment_max_bytes`` is the decoded size of one attachment; 7 MB is the
    practical ceiling EXACT_API.md §4.9 advises (Exact publishes no number).
    ``request_max_bytes`` is the size of one request body (10 MB, §3, unconfirmed).
    ``mandatory_filtering`` refuses unfiltered collection reads of regular and bulk
    endpoints that have a sync endpoint (§2.3; which endpoints Exact closes, and its
    text, are unconfirmed, so it is off by default).
    ``refuse_duplicate_your_ref`` refuses (500 "Duplicate: …") a second purchase entry
    with the same supplier, YourRef, entry date and amount; §5 says Exact does not
    enforce this, so it is off by default and a double booking is two entries.
    ``auto_match_bank_lines``: a bank entry line with the supplier as ``Account``, the
    purchase entry's number as ``OurRef`` settles its open item (§4.10 reports this,
    UNCONFIRMED; on by default). Off: the open item stays open, Payments stay Status 20.
    ``html_401``: a 401 carries Exact's HTML "Object moved … /docs/Login.aspx" page, as
    seen in the wild (§1.6; on by default, the harder answer). Off: Exact's JSON error.
    ``retry_after_on_429``: a 429 also carries ``Retry-After`` (seconds to the window's
    reset). §3 documents none (UNCONFIRMED), so off: a client must cope without it.
    ``filter_external_link_reference`` / ``filter_bank_line_notes``: whether ``$filter``
    may name PurchaseEntries' ``ExternalLinkReference`` / BankEntryLines' ``Notes``
    (UNCONFIRMED, §5; off → 400 "No property … exists"). The first is off (the harder
    answer; LedgerBridge compares it itself); the second is on, because LedgerBridge looks
    bank lines up by ``Notes eq`` (a conflict with the rule, noted in the README).
    ``negative_amounts_credit``: negative line amounts make a credit note (Type 31, §4.7,
    inferred from the docs; on). Off: a negative total is refused (500).
    ``drop_foreign_references``: an optional GUID reference (``Document``, ``Project``)
    naming a record of another division is dropped silently with a 2xx (§4.7, UNCONFIRMED;
    on, the harder answer). Off: refused as an invalid reference (500).
    ``html_503``: an injected 503 is an HTML maintenance page (on, the harder answer;
    §2.6 knows nothing about it). Off: Exact's JSON error body.
    ``token_cap_429``: the 201st token call of a day is a 429 with an empty body instead
    of 400 ``access_denied`` with ``Reason: TooManyTokenRequests`` (off).
    ``blocked_as_429``: a block after too many errors answers 429 (empty body) instead of
    403 ``Reason: TooManyErrors`` (off).
    ``error_block_per_division``: the error budget and its block cover the (app, user,
    division) over all endpoints instead of one endpoint (off: per endpoint, as §2.6 says).
    ``webhook_deliver_twice``: every webhook event is posted twice (Exact's retries and
    duplicates are UNCONFIRMED, §6; on, the harder answer). Off: once.
    ``webhook_gl_accounts_topic``: ``GLAccounts`` is accepted as a subscription topic
    (the resource is marked "supports webhooks" but the topic name is UNCONFIRMED, §6;
    on). Off: subscribing to it is refused like an unknown topic.
    """

    honour_client_entry_id: bool = False
    refuse_duplicate_your_ref: bool = False
    auto_match_bank_lines: bool = True
    attachment_max_bytes: int = 7 * 1024 * 1024
    request_max_bytes: int = 10 * 1024 * 1024
    mandatory_filtering: bool = False
    minute_limit: int = 60
    day_limit: int = 5000
    error_limit_per_hour: int = 10
    html_401: bool = True
    retry_after_on_429: bool = False
    filter_external_link_reference: bool = False
    filter_bank_line_notes: bool = True
    negative_amounts_credit: bool = True
    drop_foreign_references: bool = True
    html_503: bool = True
    token_cap_429: bool = False
    blocked_as_429: bool = False
    error_block_per_division: bool = False
    page_size: int = 60
    bulk_page_size: int = 1000
    webhook_deliver_twice: bool = True
    webhook_gl_accounts_topic: bool = True


@dataclass
class SandboxUser:
    """An Exact user who can log in on the consent page; ``language`` picks error texts."""

    user_id: str
    username: str
    password: str
    full_name: str
    email: str
    language: str = "EN"
    divisions: list[int] = field(default_factory=list)
    current_division: int = 0
    blocked: bool = False
    active: bool = True
    # The user's Exact session was ended (signed out everywhere, app access revoked in
    # the user's settings): access tokens are refused with 401 while the refresh
    # token still refreshes — the case a client must not loop on.
    signed_out: bool = False


@dataclass
class SandboxApp:
    """An app registered in the App Center; ``webhook_secret`` signs its webhooks (§6)."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    name: str
    webhook_secret: str = ""


@dataclass
class DivisionInfo:
    """One administration: what system/Divisions and current/Me say about it."""

    code: int
    description: str
    hid: int
    customer_name: str
    customer_code: str
    vat_number: str
    country: str = "NL"
    currency: str = "EUR"
    legislation: str = "NL"
    is_main: bool = False
    status: int = 1
    blocking_status: int = 0
    division_move_date: datetime | None = None
    created: datetime | None = None


@dataclass(frozen=True)
class CallContext:
    """Who is calling: returned by ``sandbox.auth.authenticate`` for each API request."""

    user: SandboxUser
    app: SandboxApp
    division: int | None
    language: str


class CallRecord(NamedTuple):
    """One API call as the inspection counts see it (a tuple, fields by name too)."""

    instant: datetime
    method: str
    division: int | None
    endpoint: str
    status: int


class Sandbox:
    """An Exact Online simulator instance.

    ``seed="demo"`` (default) loads the demo administration, users and app;
    ``seed=None`` starts empty. With ``persist_url`` the store writes through to
    PostgreSQL (schema ``exact_sandbox``) and reloads what is there instead of seeding.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        settings: SandboxSettings | None = None,
        *,
        seed: str | None = "demo",
        persist_url: str | None = None,
    ) -> None:
        from exact_sandbox.auth import AuthService
        from exact_sandbox.faults import FaultInjector
        from exact_sandbox.limits import RateLimiter
        from exact_sandbox.webhooks import WebhookOutbox

        self.clock: Clock = clock or SystemClock()
        self.settings = settings or SandboxSettings()
        self.users: dict[str, SandboxUser] = {}
        self.apps: dict[str, SandboxApp] = {}
        self.divisions: dict[int, DivisionInfo] = {}
        self.call_log: list[CallRecord] = []
        self.store = Store(self.clock, persist_url=persist_url)
        self.webhooks = WebhookOutbox(self)
        self.seed_name = seed
        self._seed(seed, reuse_persisted=True)
        self.auth = AuthService(self)
        self.limits = RateLimiter(self)
        self.faults = FaultInjector(self)

    def _seed(self, seed: str | None, *, reuse_persisted: bool) -> None:
        import exact_sandbox.seed as seeding

        seeding.seed_registries(self)
        if seed is None:
            return
        if reuse_persisted and self.store.load():
            # Divisions generated earlier (benchmarks) come back with their data.
            for division in self.store.divisions():
                seeding.register_large_division(self, division)
            return
        seeding.seed_demo(self)

    def reset(self, seed: str | None = "demo") -> None:
        """Forget all entity data (and persisted rows) and seed again; registries are re-seeded."""
        self.store.clear()
        self.webhooks.clear()
        self.users.clear()
        self.apps.clear()
        self.divisions.clear()
        self.call_log.clear()
        self._seed(seed, reuse_persisted=False)

    def close(self) -> None:
        """Release database connections held for persistence; call when done with a sandbox."""
        self.store.close()

    # --- what a bookkeeper does in Exact's web UI -------------------------------------------

    def user_by_name(self, username: str) -> SandboxUser:
        """The registered user with this username; KeyError when unknown."""
        for user in self.users.values():
            if user.username == username:
                return user
        raise KeyError(username)

    def block_gl_account(self, division: int, code: str, blocked: bool = True) -> None:
        """Block (or unblock) a GL account by code; KeyError when unknown."""
        self._update_by_code(division, "financial/GLAccounts", code, IsBlocked=blocked)

    def block_vat_code(self, division: int, code: str, blocked: bool = True) -> None:
        """Block (or unblock) a VAT code by code; KeyError when unknown."""
        self._update_by_code(division, "vat/VATCodes", code, IsBlocked=blocked)

    def end_cost_center(self, division: int, code: str, end: date) -> None:
        """Give a cost centre an end date; it is unusable for entries after it."""
        self._update_by_code(division, "hrm/Costcenters", code, EndDate=_midnight(end))

    def end_cost_unit(self, division: int, code: str, end: date) -> None:
        """Give a cost unit an end date; it is unusable for entries after it."""
        self._update_by_code(division, "hrm/Costunits", code, EndDate=_midnight(end))

    def close_period(self, division: int, year: int, period: int, closed: bool = True) -> None:
        """Close (or reopen) a financial period; KeyError when it does not exist."""
        resource = "financial/FinancialPeriods"
        for record in self.store.find(division, resource, "FinYear", year):
            if record["FinPeriod"] == period:
                self.store.update(division, resource, record["ID"], _closed=closed)
                return
        raise KeyError(f"period {year}/{period} not found in division {division}")

    def _update_by_code(self, division: int, resource: str, code: str, **fields: Any) -> None:
        record = self.store.find_one(division, resource, "Code", code)
        if record is None:
            raise KeyError(f"{resource} {code!r} not found in division {division}")
        self.store.update(division, resource, self.store.key_of(resource, record), **fields)


def _midnight(day: date) -> datetime:
    from datetime import UTC

    return datetime(day.year, day.month, day.day, tzinfo=UTC)
