"""Deterministic seed data: the demo administration, a second division, users, the app.

``seed_registries`` registers the demo users, the demo app and the divisions;
``seed_demo`` fills both divisions with master data (same input → same GUIDs): a
Dutch SME's chart of 197 GL accounts, 23 VAT codes, 10 cost centres (``seed_data.py``);
``seed_large_division`` makes a big division for benchmarks in a few seconds.
Dates are relative to the sandbox clock's year: periods exist for this year and
last year, with last year's period 1 closed.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from exact_sandbox.seed_data import (
    COST_CENTERS,
    COST_UNITS,
    DEFAULT_COSTS,
    DEMO_MERCHANTS,
    DOCUMENT_TYPES,
    GL_ACCOUNTS,
    JOURNALS,
    SUPPLIER_WORDS,
    VAT_CODES,
)

if TYPE_CHECKING:
    from exact_sandbox.core import Sandbox

DEMO_DIVISION = 3101010
SECOND_DIVISION = 3101020
DEMO_CLIENT_ID = "5d3c0f7e-9a41-4b8e-b1c2-7e0f6a2d4c91"
DEMO_CLIENT_SECRET = "sandbox-demo-secret"
#: The demo app's webhook secret (App Center › the app › webhook secret).
DEMO_WEBHOOK_SECRET = "sandbox-demo-webhook-secret"
DEMO_REDIRECT_URIS = [
    "http://127.0.0.1:8000/integrations/exact/callback",
    "http://localhost:8000/integrations/exact/callback",
    "https://localhost:8000/integrations/exact/callback",
]
DEMO_PASSWORD = "demo"
#: GL account types whose balance is normally a credit (liabilities, equity, income).
CREDIT_TYPES = frozenset({22, 25, 27, 29, 35, 50, 52, 55, 60, 100, 110, 140, 160})
_NAMESPACE = uuid.UUID("0b5d1c8e-4a2f-4f7b-9d3e-6c1a8b2e5f40")


def guid(*parts: object) -> str:
    """A stable GUID for seeded data: same parts → same GUID on every run."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts)))


def seed_registries(sandbox: Sandbox) -> None:
    """Register the demo divisions, users (English and Dutch) and the demo app."""
    from exact_sandbox.core import DivisionInfo, SandboxApp, SandboxUser

    created = datetime(2019, 1, 1, tzinfo=UTC)
    for code, name, hid, main in [
        (DEMO_DIVISION, "Demo B.V.", 1, True),
        (SECOND_DIVISION, "Demo Holding B.V.", 2, False),
    ]:
        sandbox.divisions[code] = DivisionInfo(
            code=code, description=name, hid=hid, customer_name=name,
            customer_code=f"{hid:>18}", vat_number=f"NL8{hid:08d}B01", is_main=main,
            created=created,
        )  # fmt: skip
    both = [DEMO_DIVISION, SECOND_DIVISION]
    for username, full_name, language in [
        ("demo", "Demo User", "EN"),
        ("demo-nl", "Demo Gebruiker", "NL"),
    ]:
        user_id = guid("user", username)
        sandbox.users[user_id] = SandboxUser(
            user_id=user_id, username=username, password=DEMO_PASSWORD, full_name=full_name,
            email=f"{username}@sandbox.example", language=language, divisions=list(both),
            current_division=DEMO_DIVISION,
        )  # fmt: skip
    sandbox.apps[DEMO_CLIENT_ID] = SandboxApp(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        redirect_uris=list(DEMO_REDIRECT_URIS),
        name="LedgerBridge (sandbox)",
        webhook_secret=DEMO_WEBHOOK_SECRET,
    )


def seed_demo(sandbox: Sandbox) -> None:
    """Fill the demo division (~200 suppliers) and the second division (a few)."""
    seed_master_data(sandbox, DEMO_DIVISION, supplier_count=200)
    seed_master_data(sandbox, SECOND_DIVISION, supplier_count=30)


def seed_master_data(sandbox: Sandbox, division: int, supplier_count: int) -> None:
    """Chart of accounts, VAT codes, cost centres/units, projects, journals, periods,
    document types and suppliers for one division."""
    year = sandbox.clock.now().year
    store = sandbox.store
    store.insert_many(division, "financial/GLAccounts", _gl_accounts(division))
    _seed_vat_codes(sandbox, division)
    for resource, rows in [("hrm/Costcenters", COST_CENTERS), ("hrm/Costunits", COST_UNITS)]:
        store.insert_many(division, resource, _dimension_rows(division, resource, rows, year))
    store.insert_many(division, "project/Projects", _projects(division, year))
    store.insert_many(division, "financial/Journals", _journals(sandbox, division))
    store.insert_many(division, "financial/FinancialPeriods", _periods(division, year))
    store.insert_many(division, "documents/DocumentTypes", _document_types())
    store.insert_many(division, "crm/Accounts", _suppliers(division, supplier_count))


def _gl_accounts(division: int) -> list[dict[str, Any]]:
    rows = []
    for code, description, type_, use_cc, use_cu, vat, blocked in GL_ACCOUNTS:
        balance = "W" if type_ >= 110 else "B"
        rows.append({
            "ID": guid(division, "gl", code), "Code": code, "Description": description,
            "Type": type_, "BalanceType": balance,
            "BalanceSide": "C" if type_ in CREDIT_TYPES else "D",
            "IsBlocked": blocked, "VATCode": vat, "UseCostcenter": use_cc,
            "UseCostunit": use_cu, "SearchCode": code, "Matching": type_ in (20, 22),
            "Costcenter": DEFAULT_COSTS.get(code, (None, None))[0],
            "Costunit": DEFAULT_COSTS.get(code, (None, None))[1],
        })  # fmt: skip
    return rows


def _seed_vat_codes(sandbox: Sandbox, division: int) -> None:
    codes, percentages = [], []
    for code, description, type_, side, rates, charged, blocked in VAT_CODES:
        vat_id = guid(division, "vat", code)
        codes.append({
            "ID": vat_id, "Code": code, "Description": description, "Type": type_,
            "VATTransactionType": side, "IsBlocked": blocked, "Charged": charged,
            "Percentage": Decimal(rates[-1][0]), "CalculationBasis": 0,
            "GLToClaim": guid(division, "gl", "1520"), "GLToPay": guid(division, "gl", "1510"),
        })  # fmt: skip
        for number, (rate, start, end) in enumerate(rates, start=1):
            percentages.append({
                "ID": guid(division, "vatpct", code, number), "VATCodeID": vat_id,
                "LineNumber": number, "Percentage": Decimal(rate), "Type": 0,
                "StartDate": _date(start), "EndDate": _date(end),
            })  # fmt: skip
    sandbox.store.insert_many(division, "vat/VATCodes", codes)
    sandbox.store.insert_many(division, "vat/VATPercentages", percentages)


def _dimension_rows(division: int, resource: str, rows: Any, year: int) -> list[dict[str, Any]]:
    out = []
    for code, description, ended in rows:
        end = datetime(year - 1, 6, 30, tzinfo=UTC) if ended else None
        out.append({
            "ID": guid(division, resource, code), "Code": code, "Description": description,
            "EndDate": end,
        })  # fmt: skip
    return out


def _projects(division: int, year: int) -> list[dict[str, Any]]:
    rows = [
        ("PRJ001", "Website redesign", 3, datetime(year, 1, 1, tzinfo=UTC), None),
        ("PRJ002", "Office move", 4, datetime(year - 1, 1, 1, tzinfo=UTC), None),
        ("PRJ003", f"Trade fair {year - 1}", 4, datetime(year - 1, 1, 1, tzinfo=UTC),
         datetime(year - 1, 10, 31, tzinfo=UTC)),
    ]  # fmt: skip
    return [
        {"ID": guid(division, "project", code), "Code": code, "Description": description,
         "Type": type_, "StartDate": start, "EndDate": end}
        for code, description, type_, start, end in rows
    ]  # fmt: skip


def _journals(sandbox: Sandbox, division: int) -> list[dict[str, Any]]:
    rows = []
    for code, description, type_, gl_code, blocked in JOURNALS:
        rows.append({
            "ID": guid(division, "journal", code), "Code": code, "Description": description,
            "Type": type_, "IsBlocked": blocked, "Currency": "EUR",
            "GLAccount": guid(division, "gl", gl_code) if gl_code else None,
            "GLAccountCode": gl_code, "AllowVAT": type_ == 90,
        })  # fmt: skip
    return rows


def _periods(division: int, year: int) -> list[dict[str, Any]]:
    rows = []
    for fin_year in (year - 1, year):
        for month in range(1, 13):
            end = datetime(fin_year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
            rows.append({
                "ID": guid(division, "period", fin_year, month), "FinYear": fin_year,
                "FinPeriod": month, "StartDate": datetime(fin_year, month, 1, tzinfo=UTC),
                "EndDate": end, "_closed": fin_year == year - 1 and month == 1,
            })  # fmt: skip
    return rows


def _document_types() -> list[dict[str, Any]]:
    return [
        {"ID": id_, "Description": description, "TypeCategory": category,
         "DocumentIsCreatable": creatable, "DocumentIsUpdatable": creatable,
         "DocumentIsDeletable": creatable, "DocumentIsViewable": True}
        for id_, description, category, creatable in DOCUMENT_TYPES
    ]  # fmt: skip


def _suppliers(division: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(division)
    rows = [_supplier(division, n, name, country, rng) for n, (name, country) in
            enumerate(DEMO_MERCHANTS, start=1)]  # fmt: skip
    n = len(rows)
    while len(rows) < count:
        n += 1
        words = SUPPLIER_WORDS
        name = f"{rng.choice(words[0])} {rng.choice(words[1])} {rng.choice(words[2])}"
        rows.append(_supplier(division, n, f"{name} {n}", "NL", rng))
    rows.append({**_supplier(division, n + 1, "Oude Leverancier B.V.", "NL", rng), "Blocked": True})
    rows.append({**_supplier(division, n + 2, "Klant Voorbeeld B.V.", "NL", rng),
                 "IsSupplier": False, "Status": "C"})  # fmt: skip
    return rows


def _supplier(division: int, n: int, name: str, country: str, rng: random.Random) -> dict[str, Any]:
    return {
        "ID": guid(division, "account", n), "Code": f"{n:>18}", "Name": name,
        "IsSupplier": True, "Blocked": False, "Status": "A", "Country": country,
        "VATNumber": _vat_number(country, rng),
        "ChamberOfCommerce": str(rng.randrange(10**7, 10**8)),
        "SearchCode": name[:10].upper(), "PurchaseCurrency": "EUR",
        "PurchaseVATCode": "7" if country == "IE" else ("8" if country in ("US", "GB") else "2"),
        "GLAP": guid(division, "gl", "1600"), "Email": None, "City": None,
    }  # fmt: skip


def _vat_number(country: str, rng: random.Random) -> str | None:
    if country == "NL":
        return f"NL{rng.randrange(10**8, 10**9)}B01"
    if country == "IE":
        return f"IE{rng.randrange(10**6, 10**7)}{rng.choice('ABCDEFGH')}"
    if country == "GB":
        return f"GB{rng.randrange(10**8, 10**9)}"
    return None


def _date(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def register_large_division(sandbox: Sandbox, division: int) -> None:
    """Register a generated division (the demo users get access); no-op when known."""
    from exact_sandbox.core import DivisionInfo

    if division in sandbox.divisions:
        return
    hid = len(sandbox.divisions) + 1
    sandbox.divisions[division] = DivisionInfo(
        code=division, description=f"Large Division {division}", hid=hid,
        customer_name="Large B.V.", customer_code=f"{hid:>18}", vat_number="NL800000000B01",
    )  # fmt: skip
    for user in sandbox.users.values():
        user.divisions.append(division)


def seed_large_division(
    sandbox: Sandbox,
    division: int,
    gl_accounts: int = 10_000,
    suppliers: int = 20_000,
    projects: int = 2_000,
) -> None:
    """A benchmark division: the demo basics plus many GL accounts, suppliers and projects.

    Registers the division (demo users get access) when it is new. Deterministic.
    All or nothing: on a failure neither memory nor the database has changed.
    """
    new = division not in sandbox.divisions
    try:
        with sandbox.store.atomic():
            register_large_division(sandbox, division)
            _seed_large_rows(sandbox, division, gl_accounts, suppliers, projects)
    except BaseException:
        if new:
            sandbox.divisions.pop(division, None)
            for user in sandbox.users.values():
                while division in user.divisions:
                    user.divisions.remove(division)
        raise


def _seed_large_rows(
    sandbox: Sandbox, division: int, gl_accounts: int, suppliers: int, projects: int
) -> None:
    seed_master_data(sandbox, division, supplier_count=min(suppliers, 200))
    store = sandbox.store
    store.insert_many(division, "financial/GLAccounts", (
        {"ID": guid(division, "gl-large", n), "Code": f"{700000 + n}", "Description":
         f"Cost account {n}", "Type": 121, "BalanceType": "W", "BalanceSide": "D",
         "IsBlocked": False, "VATCode": "2", "UseCostcenter": 0, "UseCostunit": 0}
        for n in range(max(gl_accounts - len(GL_ACCOUNTS), 0))
    ))  # fmt: skip
    rng = random.Random(division)
    store.insert_many(division, "crm/Accounts", (
        _supplier(division, 1000 + n, f"Supplier {n:05d} B.V.", "NL", rng)
        for n in range(max(suppliers - 200, 0))
    ))  # fmt: skip
    store.insert_many(division, "project/Projects", (
        {"ID": guid(division, "project-large", n), "Code": f"L{n:05d}", "Type": 3,
         "Description": f"Project {n}", "StartDate": None, "EndDate": None}
        for n in range(projects)
    ))  # fmt: skip
