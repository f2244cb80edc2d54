"""Property-based red-teaming of the sandbox's REST API (EXACT_API.md §2.6).

Whatever a client sends — a garbled $filter, odd query options, JSON of the wrong
shape or types, raw bytes, random keys — the sandbox must answer the way Exact does:
a status from the documented set and, for every error except 401/403/429 (which have
their own shapes), exactly Exact's OData error body with a non-empty message. An
unhandled exception in the app surfaces here as an exception from the in-process
client (``TestClient`` re-raises server errors), so it fails the property too.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exact_sandbox.resources import RESOURCES

from .sandbox_api import Api, error_text, gl, make_sandbox, purchase, supplier

PURCHASES = "purchaseentry/PurchaseEntries"
#: 415: ``Accept: application/xml`` alone, which Exact refuses (§2.1).
ALLOWED = {200, 201, 204, 400, 401, 403, 404, 405, 415, 429, 500}
OWN_SHAPES = {401, 403, 429}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

WRITE_TARGETS = [
    "purchaseentry/PurchaseEntries",
    "financialtransaction/BankEntries",
    "documents/Documents",
    "documents/DocumentAttachments",
    "crm/Accounts",
]
#: Lines posted on their own (to an existing entry) go through the same rules.
LINE_TARGETS = ["purchaseentry/PurchaseEntryLines", "financialtransaction/BankEntryLines"]
READ_TARGETS = [
    *WRITE_TARGETS,
    *LINE_TARGETS,
    "financial/GLAccounts",
    "documents/DocumentTypes",
    "read/financial/PayablesList",
    "sync/CRM/Accounts",
    "bulk/CRM/Accounts",
    "system/Divisions",
    "current/Me",
]


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    """One sandbox for the module: examples pile up data, which is the point."""
    yield Api(make_sandbox())


# --- the property ------------------------------------------------------------------------------


def assert_exact_answer(response: httpx.Response) -> None:
    status = response.status_code
    assert status in ALLOWED, (status, response.text)
    if status >= 400 and status not in OWN_SHAPES:
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"error"}, body
        error = body["error"]
        assert set(error) == {"code", "message"} and error["code"] == "", body
        message = error["message"]
        assert set(message) == {"lang", "value"} and isinstance(message["lang"], str), body
        assert isinstance(message["value"], str) and message["value"].strip(), body
    elif status in (200, 201) and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        assert "d" in response.json()
    elif status == 204:
        assert response.content == b""


def _url(api: Api, path: str) -> str:
    return api.url(path)


def get(api: Api, path: str, params: dict[str, str], accept: str | None = None) -> httpx.Response:
    headers = api.headers if accept is None else {**api.headers, "Accept": accept}
    return api.client.get(_url(api, path), params=params, headers=headers)


ACCEPTS = st.sampled_from(
    ["application/json", "application/json;odata=verbose", "*/*", "application/atom+xml", "",
     "application/xml", "text/html"]
)  # fmt: skip


def send(api: Api, method: str, path: str, content: bytes | None = None) -> httpx.Response:
    headers = {**api.headers, "Content-Type": "application/json"}
    if method == "POST":
        headers["Prefer"] = "return=representation"
    return api.client.request(method, _url(api, path), content=content, headers=headers)


# --- strategies: text and literals -------------------------------------------------------------

# No lone surrogates: a client cannot put them on the wire as UTF-8.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
#: In a JSON body anything goes: a ``\ud800`` escape puts a lone surrogate in a string.
BODY_TEXT = st.text(max_size=30)
GUIDS = st.uuids().map(str)
DIGITISH = st.sampled_from(
    ["0", "1", "-1", "--1", "+1", " 7 ", "²", "١٢", "1e3", "1.5", "99999999999999999999999",
     "2147483648", "-2147483649", "9223372036854775808", "0x10", "1_000", "", " ", "NaN"]
)  # fmt: skip
FIELD_NAMES = [
    *sorted({name for r in RESOURCES.values() for name in r.fields}),
    "Lines/AmountFC",
    "PurchaseEntryLines/AmountFC",
    "x.y",
    "_internal",
    "Élan",
    "ID ",
    "id",
]
DATE_TEXTS = st.sampled_from(
    ["2026-10-15", "2026-10-15T00:00:00", "2026-10-15T10:00:00Z", "2026-02-30", "0001-01-01",
     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59", "9999-12-31T23:59:59-01:00",
     "/Date(1731320070997)/", "/Date(-62135596800001)/", "/Date(99999999999999999999)/",
     "/Date(253402300800000)/", "2026-13-01", "20261015", "2026-W01", "", "now", "2026-10-15T25:00"]
) | TEXT  # fmt: skip
NUMBERS = st.sampled_from(
    ["0", "-0", "1", "-1", "1.5", "1e5", "1E-400", "1e400", "12L", "3.0M", "2.5d", "1f",
     "99999999999999999999999999999999", "-9223372036854775809", "1.", ".5", "0x1F"]
) | st.integers().map(str) | st.floats(allow_nan=False, allow_infinity=False).map(repr)  # fmt: skip


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


LITERALS = st.one_of(
    GUIDS.map(lambda g: f"guid'{g}'"),
    TEXT.map(lambda t: f"guid'{t}'"),
    DATE_TEXTS.map(lambda t: f"datetime'{t}'"),
    DATE_TEXTS.map(lambda t: f"datetimeoffset'{t}'"),
    TEXT.map(_quoted),
    TEXT.map(lambda t: f"'{t}'"),  # unescaped quotes inside
    NUMBERS,
    st.sampled_from(["true", "false", "null", "X'00FF'", "binary'AA=='", "time'PT1H'"]),
)
OPERATORS = st.sampled_from(
    ["eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "add", "mul", "EQ", "==", "has"]
)
FUNCTIONS = st.sampled_from(
    ["trim", "substringof", "startswith", "tolower", "year", "length", "cast", "isof", "foo"]
)


@st.composite
def operands(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(FIELD_NAMES))
    if kind == 1:
        return draw(LITERALS)
    fn = draw(FUNCTIONS)
    args = draw(st.lists(st.sampled_from(FIELD_NAMES) | LITERALS, max_size=3))
    return f"{fn}({','.join(args)})"


COMPARISONS = st.builds(
    lambda left, op, right: f"{left} {op} {right}", operands(), OPERATORS, operands()
)
FILTERS = st.recursive(
    COMPARISONS | operands(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"({e}"),
        inner.map(lambda e: f"{e})"),
    ),
    max_leaves=8,
)
GARBLED_FILTERS = st.one_of(
    FILTERS,
    st.lists(
        st.sampled_from(FIELD_NAMES) | OPERATORS | LITERALS | st.sampled_from(list("(),'/ ")),
        max_size=10,
    ).map(" ".join),
    st.lists(st.sampled_from(FIELD_NAMES) | OPERATORS | LITERALS | TEXT, max_size=8).map("".join),
    TEXT,
)

SELECTS = st.one_of(
    st.lists(st.sampled_from(FIELD_NAMES), max_size=5).map(",".join),
    st.sampled_from(["*", ",", " ", "ID,,Code", "ID ,Code", "PurchaseEntryLines"]),
    TEXT,
)
ORDERBYS = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(FIELD_NAMES), st.sampled_from(["", " asc", " desc", " up"])).map(
            "".join
        ),
        max_size=3,
    ).map(",".join),
    TEXT,
)
SKIPTOKENS = st.one_of(
    GUIDS.map(lambda g: f"guid'{g}'"), TEXT.map(lambda t: f"guid'{t}'"), DIGITISH,
    DIGITISH.map(lambda d: d + "L"), TEXT,
)  # fmt: skip


def typed_literal(kind: str) -> st.SearchStrategy[str]:
    return {
        "G": (KNOWN_GUIDS | GUIDS).map(lambda g: f"guid'{g}'"),
        "S": (CODES | TEXT).map(_quoted),
        "D": DATE_TEXTS.map(lambda t: f"datetime'{t}'"),
        "B": st.sampled_from(["true", "false"]),
    }.get(kind, NUMBERS)


@st.composite
def typed_filters(draw: st.DrawFn, resource: Any) -> str:
    """Well-formed comparisons of the resource's own properties, so the filter runs."""
    scalar = [name for name, kind in resource.fields.items() if kind != "C"]
    terms = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(scalar))
        kind = resource.fields[name]
        literal = draw(st.one_of(typed_literal(kind), typed_literal(kind), LITERALS))
        op = draw(st.sampled_from(sorted(COMPARE_OPS)))
        term = f"{name} {op} {literal}"
        if kind == "S" and draw(st.booleans()):
            term = f"trim({name}) {op} {literal}"
        if draw(st.booleans()):
            term = f"{literal} {op} {name}"
        if kind == "B" and draw(st.booleans()):
            term = name
        terms.append(("not " if draw(st.booleans()) else "") + term)
    joined = terms[0]
    for term in terms[1:]:
        joined = f"({joined}) {draw(st.sampled_from(['and', 'or']))} {term}"
    return joined


COMPARE_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


@st.composite
def queries(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A read of one resource: each option mostly well-formed, sometimes garbled."""
    path = draw(st.sampled_from(READ_TARGETS))
    resource = RESOURCES[path]
    scalar = [name for name, kind in resource.fields.items() if kind != "C"]
    junk = st.integers(0, 4).map(lambda n: n == 0)
    params: dict[str, str] = {}
    fields = st.lists(st.sampled_from(scalar), min_size=1, max_size=4, unique=True)
    params["$select"] = draw(SELECTS) if draw(junk) else ",".join(draw(fields))
    if draw(st.booleans()):
        params["$filter"] = draw(GARBLED_FILTERS) if draw(junk) else draw(typed_filters(resource))
    small = st.integers(0, 100).map(str)
    for option in ("$top", "$skip"):
        if draw(st.booleans()):
            params[option] = draw(DIGITISH | TEXT) if draw(junk) else draw(small)
    if draw(st.booleans()):
        order = st.tuples(st.sampled_from(scalar), st.sampled_from(["", " asc", " desc"]))
        valid_order = ",".join("".join(o) for o in draw(st.lists(order, min_size=1, max_size=2)))
        params["$orderby"] = draw(ORDERBYS) if draw(junk) else valid_order
    if draw(st.booleans()):
        params["$skiptoken"] = draw(SKIPTOKENS)
    if resource.children and draw(st.booleans()):
        params["$expand"] = ",".join(resource.children)
    if draw(st.booleans()):
        params["$inlinecount"] = "allpages"
    if draw(st.booleans()):
        path += "/$count"
    return path, params


QUERY_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "$filter": GARBLED_FILTERS,
        "$select": SELECTS,
        "$top": DIGITISH | TEXT,
        "$skip": DIGITISH | TEXT,
        "$orderby": ORDERBYS,
        "$skiptoken": SKIPTOKENS,
        "$expand": st.sampled_from(["PurchaseEntryLines", "BankEntryLines", "Lines", ","]) | TEXT,
        "$inlinecount": st.sampled_from(["allpages", "none", "all"]) | TEXT,
        "$format": st.sampled_from(["json", "atom", "xml"]),
        "$search": TEXT,
    },
)

# --- strategies: JSON bodies -------------------------------------------------------------------

JUNK_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**30, 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 5e-324, 1e30]),
    BODY_TEXT,
    GUIDS,
    DATE_TEXTS,
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e30", "0x10", "true", "null",
         "", " ", "\x00", "AAAA", "////", "%PDF-1.4", "guid'00000000-0000-0000-0000-000000000000'"]
    ),
)  # fmt: skip
JUNK = st.recursive(
    JUNK_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(BODY_TEXT, inner, max_size=3),
    max_leaves=6,
)


#: Values of each property's own type, aimed at the demo data so business rules run.
KNOWN_GUIDS = st.sampled_from([supplier(6), supplier(201), supplier(202), gl("4230"),
                               gl("4300"), gl("1100"), gl("4990"), gl("1600")])  # fmt: skip
CODES = st.sampled_from(["60", "61", "70", "10", "20", "99", "0", "2", "3", "7", "9", "100",
                         "900", "P1", "P9", " 60 ", ""])  # fmt: skip
TYPED: dict[str, st.SearchStrategy[Any]] = {
    "G": KNOWN_GUIDS | GUIDS,
    "S": CODES | BODY_TEXT,
    "I": st.integers(-5, 30) | st.sampled_from([20, 22, 2026, 2147483647, -2147483648]),
    "L": st.integers(-(2**63), 2**63 - 1),
    "B": st.booleans(),
    "D": st.sampled_from(
        [
            "2026-10-15",
            "2026-11-02T10:00:00",
            "2019-05-01",
            "2031-01-01",
            "1900-01-01",
            "9999-12-31",
        ]
    )
    | DATE_TEXTS,
    "F": st.floats(-1e6, 1e6) | st.sampled_from([0, -0.0, 0.005, 100, -100, 1e15, 1e300]),
    "X": st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode()),
}


def value_for(kind: str) -> st.SearchStrategy[Any]:
    """Mostly a value of the property's type, sometimes anything at all."""
    typed = TYPED.get(kind)
    return JUNK if typed is None else st.one_of(typed, typed, JUNK)


def _line_junk(fields: dict[str, str]) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(fields)).flatmap(
        lambda name: st.fixed_dictionaries({name: value_for(fields[name])})
    )


@st.composite
def bodies(draw: st.DrawFn, path: str, valid: dict[str, Any]) -> Any:
    """A body for POST/PUT on ``path``: a valid one with some fields replaced by junk,
    a dict of junk for the resource's fields, or anything at all."""
    resource = RESOURCES[path]
    names = [*resource.fields, "Unknown", "__metadata"]
    mode = draw(st.integers(0, 3))
    if mode == 0:
        return draw(JUNK)
    if mode == 1:
        return draw(st.dictionaries(st.sampled_from(names), JUNK, max_size=6))
    body = dict(valid)
    for name in draw(st.lists(st.sampled_from(names), max_size=3)):
        body[name] = draw(value_for(resource.fields.get(name, "?")))
    for child_name, child_path in resource.children.items():
        if draw(st.booleans()):
            child_fields = RESOURCES[child_path].fields
            line = dict(valid.get(child_name, [{}])[0])
            for _ in range(draw(st.integers(0, 3))):
                line.update(draw(_line_junk(child_fields)))
            shape = draw(st.integers(0, 2))
            lines: Any = [line] * draw(st.integers(0, 3))
            if shape == 1:
                lines = {"results": lines}
            elif shape == 2:
                lines = {"results": draw(JUNK)}
            body[child_name] = lines
    if mode == 3:
        body = {k: v for k, v in body.items() if draw(st.booleans())}
    return body


def encode(body: Any) -> bytes:
    # allow_nan: a sloppy client may well send NaN/Infinity tokens.
    return json.dumps(body, allow_nan=True).encode()


def valid_bodies(api: Api) -> dict[str, dict[str, Any]]:
    document = api.post("documents/Documents", {"Subject": "Fuzz", "Type": 20}).json()["d"]["ID"]
    entry = _created(api, PURCHASES, purchase(YourRef="LINES"))
    bank_line = {"GLAccount": gl("1600"), "AmountFC": -12.5, "Date": "2026-10-16",
                 "Account": supplier(6), "OurRef": 1}  # fmt: skip
    bank_entry = _created(api, "financialtransaction/BankEntries",
                          {"JournalCode": "20", "BankEntryLines": [bank_line]})  # fmt: skip
    return {
        "purchaseentry/PurchaseEntryLines": {
            "EntryID": entry,
            "GLAccount": gl("4230"),
            "AmountFC": 10.0,
        },
        "financialtransaction/BankEntryLines": {**bank_line, "EntryID": bank_entry},
        "purchaseentry/PurchaseEntries": purchase(Document=document),
        "financialtransaction/BankEntries": {"JournalCode": "20", "BankEntryLines": [bank_line]},
        "documents/Documents": {"Subject": "Receipt", "Type": 20, "Account": supplier(6)},
        "documents/DocumentAttachments": {
            "Document": document,
            "FileName": "r.pdf",
            "Attachment": "JVBERi0xLjQ=",
        },
        "crm/Accounts": {"Name": "Fuzz BV", "IsSupplier": True, "Country": "NL"},
    }


# --- reads -------------------------------------------------------------------------------------


#: $filter texts that crashed the sandbox: a DateTime out of range (OverflowError),
#: nesting deeper than Python's stack (RecursionError) when parsed or evaluated.
CRASHING_FILTERS = [
    "Modified gt datetime'/Date(99999999999999999999)/'",
    "Modified gt datetime'0001-01-01T00:00:00+01:00'",
    "(" * 400 + "Name eq 'x'" + ")" * 400,
    "not " * 400 + "Blocked",
    " and ".join(["Blocked"] * 1500),
]


@FUZZ
@given(path=st.sampled_from(READ_TARGETS), params=QUERY_OPTIONS)
@example(path="crm/Accounts", params={"$top": "²"})  # "²".isdigit(), int("²") raises
@example(path="crm/Accounts", params={"$select": "ID", "$skip": "²"})
@example(path="documents/DocumentTypes", params={"$select": "ID", "$skiptoken": "--1"})
@example(path="sync/CRM/Accounts", params={"$select": "ID", "$skiptoken": "²"})
@example(path="crm/Accounts", params={"$select": "ID", "$filter": CRASHING_FILTERS[0]})
@example(path="crm/Accounts", params={"$select": "ID", "$filter": CRASHING_FILTERS[1]})
@example(path="crm/Accounts", params={"$select": "ID", "$filter": CRASHING_FILTERS[2]})
@example(path="crm/Accounts", params={"$select": "ID", "$filter": CRASHING_FILTERS[3]})
@example(path="crm/Accounts", params={"$select": "ID", "$filter": CRASHING_FILTERS[4]})
def test_any_query_gets_an_exact_answer(api: Api, path: str, params: dict[str, str]) -> None:
    assert_exact_answer(get(api, path, params))


@FUZZ
@given(case=queries(), accept=ACCEPTS)
def test_mostly_valid_queries_get_an_exact_answer(
    api: Api, existing: dict[str, str], case: tuple[str, dict[str, str]], accept: str
) -> None:
    path, params = case
    response = get(api, path, params, accept)
    assert_exact_answer(response)
    if response.headers.get("content-type", "").startswith("application/atom+xml"):
        ElementTree.fromstring(response.content)  # well-formed XML whatever was stored


KEYS = st.one_of(
    GUIDS.map(lambda g: f"guid'{g}'"),
    TEXT.map(lambda t: f"guid'{t}'"),
    DIGITISH,
    TEXT.map(_quoted),
    TEXT,
)


@FUZZ
@given(path=st.sampled_from(READ_TARGETS), key=KEYS)
@example(path="documents/DocumentTypes", key="²")
@example(path="documents/DocumentTypes", key="--1")
@example(path=PURCHASES, key="guid'\n'")  # Starlette's text/plain 404, not Exact's body
def test_any_key_gets_an_exact_answer(api: Api, path: str, key: str) -> None:
    assert_exact_answer(get(api, f"{path}({quote(key, safe=string.punctuation)})", {}))


# --- writes ------------------------------------------------------------------------------------


@st.composite
def write_cases(draw: st.DrawFn) -> tuple[str, Any]:
    path = draw(st.sampled_from(WRITE_TARGETS + LINE_TARGETS))
    return path, draw(bodies(path, VALID[path]))


VALID: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def valid(api: Api) -> dict[str, dict[str, Any]]:
    VALID.update(valid_bodies(api))
    return VALID


@FUZZ
@given(case=st.deferred(write_cases))
def test_any_post_body_gets_an_exact_answer(
    api: Api, valid: dict[str, dict[str, Any]], case: tuple[str, Any]
) -> None:
    path, body = case
    assert_exact_answer(send(api, "POST", path, encode(body)))


@FUZZ
@given(path=st.sampled_from(WRITE_TARGETS), raw=st.binary(max_size=64) | TEXT.map(str.encode))
@example(path="crm/Accounts", raw=b"[" * 100_000)
@example(path="crm/Accounts", raw=b'{"Name": 1' + b"0" * 5000 + b"}")
@example(path="purchaseentry/PurchaseEntries", raw=b'{"ReportingPeriod": "0\\u001f"}')
@example(path="documents/DocumentAttachments", raw=b'{"Attachment": "\xff\xd8\xff"}')
def test_any_raw_post_gets_an_exact_answer(api: Api, path: str, raw: bytes) -> None:
    assert_exact_answer(send(api, "POST", path, raw))


@pytest.fixture(scope="module")
def existing(api: Api, valid: dict[str, dict[str, Any]]) -> dict[str, str]:
    """One entity of each write target (created fresh, so PUT/DELETE have a real key)."""
    keys = {}
    for path in WRITE_TARGETS:
        keys[path] = _created(api, path, {**valid[path], **UNIQUE.get(path, {})})
    entry = keys["purchaseentry/PurchaseEntries"]
    lines = api.results(
        f"purchaseentry/PurchaseEntryLines?$select=ID&$filter=EntryID eq guid'{entry}'"
    )
    EXISTING_LINES[:] = [line["ID"] for line in lines]
    return keys


UNIQUE = {"purchaseentry/PurchaseEntries": {"YourRef": "EXISTING"}}


@st.composite
def keyed_writes(draw: st.DrawFn) -> tuple[str, str, str, Any]:
    method = draw(st.sampled_from(["PUT", "PUT", "PUT", "DELETE", "POST", "PATCH"]))
    path = draw(st.sampled_from(WRITE_TARGETS))
    key = draw(
        st.one_of(
            st.just("EXISTING"),
            st.just("EXISTING"),
            GUIDS.map(lambda g: f"guid'{g}'"),
            TEXT.map(lambda t: f"guid'{t}'"),
            DIGITISH,
            TEXT,
        )
    )
    body = draw(bodies(path, VALID[path]) | put_bodies(path))
    return method, path, key, body


@st.composite
def put_bodies(draw: st.DrawFn, path: str) -> dict[str, Any]:
    """A few of the resource's properties with values of their type (or junk); for a
    purchase entry also changes to its existing line."""
    resource = RESOURCES[path]
    scalar = [name for name, kind in resource.fields.items() if kind != "C"]
    body = {}
    for name in draw(st.lists(st.sampled_from(scalar), max_size=3, unique=True)):
        body[name] = draw(value_for(resource.fields[name]))
    if path == "purchaseentry/PurchaseEntries" and draw(st.booleans()):
        line: dict[str, Any] = {"ID": draw(st.sampled_from(EXISTING_LINES) | GUIDS)}
        for _ in range(draw(st.integers(0, 3))):
            line.update(draw(_line_junk(RESOURCES["purchaseentry/PurchaseEntryLines"].fields)))
        body["PurchaseEntryLines"] = [line]
    return body


EXISTING_LINES: list[str] = []


@FUZZ
@given(case=st.deferred(keyed_writes))
def test_any_put_or_delete_gets_an_exact_answer(
    api: Api, existing: dict[str, str], case: tuple[str, str, str, Any]
) -> None:
    method, path, key, body = case
    if key == "EXISTING" and method == "DELETE":
        unique = {"YourRef": str(uuid.uuid4())} if path == PURCHASES else {}
        key = f"guid'{_created(api, path, {**VALID[path], **unique})}'"
    elif key == "EXISTING":
        key = f"guid'{existing[path]}'"
    url = f"{path}({quote(key, safe=string.punctuation)})"
    assert_exact_answer(send(api, method, url, encode(body)))


# --- regressions found by the fuzzer -----------------------------------------------------------


def _created(api: Api, path: str, body: dict[str, Any]) -> str:
    response = api.post(path, encode(body))
    assert response.status_code == 201, response.text
    key: str = response.json()["d"][RESOURCES[path].key]
    return key


def test_bank_entry_posted_with_null_created_can_still_be_deleted(
    api: Api, valid: dict[str, dict[str, Any]]
) -> None:
    body = {**valid["financialtransaction/BankEntries"], "Created": None}
    key = _created(api, "financialtransaction/BankEntries", body)
    response = api.delete(f"financialtransaction/BankEntries(guid'{key}')")
    assert_exact_answer(response)
    assert response.status_code == 204


def test_put_of_a_null_entry_date_then_lines_is_an_exact_answer(
    api: Api, valid: dict[str, dict[str, Any]]
) -> None:
    key = _created(api, "purchaseentry/PurchaseEntries", purchase(YourRef=str(uuid.uuid4())))
    url = f"purchaseentry/PurchaseEntries(guid'{key}')"
    assert_exact_answer(api.put(url, {"EntryDate": None}))
    line = api.results(
        f"purchaseentry/PurchaseEntryLines?$select=ID&$filter=EntryID eq guid'{key}'"
    )
    assert_exact_answer(
        api.put(url, {"PurchaseEntryLines": [{"ID": line[0]["ID"], "AmountFC": 5}]})
    )
    lines = {"EntryID": key, "GLAccount": gl("4230"), "AmountFC": 1.0}
    assert_exact_answer(api.post("purchaseentry/PurchaseEntryLines", lines))


def test_numeric_codes_with_odd_digits_do_not_break_account_numbering(api: Api) -> None:
    assert_exact_answer(api.post("crm/Accounts", {"Name": "Super", "Code": "²"}))
    response = api.post("crm/Accounts", {"Name": "Next"})
    assert_exact_answer(response)
    assert response.status_code == 201


@pytest.mark.parametrize("amount", [1e30, 1e300, "1e300", 2**70, 1.7e308])
def test_huge_amounts_are_an_exact_answer(api: Api, amount: Any) -> None:
    """Rounding them to the cent raised decimal.InvalidOperation (28-digit precision)."""
    body = purchase([{"GLAccount": gl("4230"), "AmountFC": amount}], YourRef=str(amount))
    assert_exact_answer(api.post(PURCHASES, body))
    assert_exact_answer(api.post(PURCHASES, purchase(Rate=amount, YourRef=str(uuid.uuid4()))))


def test_an_amount_beyond_a_double_is_exacts_overflow_error(api: Api) -> None:
    body = purchase([{"GLAccount": gl("4230"), "AmountFC": 1.7e308}], YourRef="OVERFLOW")
    response = api.post(PURCHASES, body)  # 21 % VAT on top exceeds a double
    assert response.status_code == 500
    assert "Arithmetic overflow" in error_text(response)
    response = api.post(PURCHASES, {**purchase(), "PurchaseEntryLines": [{"AmountFC": "1e400"}]})
    assert response.status_code == 400
    assert "'AmountFC' to type 'System.Double'" in error_text(response)


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 10**30])
def test_int32_overflow_is_a_conversion_error(api: Api, value: int) -> None:
    response = api.post("documents/Documents", {"Subject": "x", "Type": value})
    assert_exact_answer(response)
    assert response.status_code == 400


def test_datetime_literal_out_of_range_is_400(api: Api) -> None:
    for text in ["0001-01-01T00:00:00+01:00", "/Date(99999999999999999999)/"]:
        response = get(
            api, "crm/Accounts", {"$select": "ID", "$filter": f"Modified gt datetime'{text}'"}
        )
        assert response.status_code == 400, text
        assert_exact_answer(response)


def test_post_dates_out_of_range_are_400(api: Api) -> None:
    body = purchase(EntryDate="0001-01-01T00:00:00+01:00")
    response = api.post("purchaseentry/PurchaseEntries", body)
    assert_exact_answer(response)
    assert response.status_code == 400


def test_a_stored_lone_surrogate_still_gives_a_well_formed_atom_feed(api: Api) -> None:
    key = _created(api, "crm/Accounts", {"Name": "x\ud800y\u0001", "IsSupplier": True})
    response = get(api, f"crm/Accounts(guid'{key}')", {}, accept="*/*")
    assert response.status_code == 200
    assert "x\ufffdy\ufffd" in ElementTree.fromstring(response.content).itertext()


def test_a_client_key_that_exists_is_refused_not_overwritten(api: Api) -> None:
    response = api.post("crm/Accounts", {"ID": supplier(6), "Name": "Hijack"})
    assert response.status_code == 500
    assert error_text(response) == "In use: ID"
    assert api.get(f"crm/Accounts(guid'{supplier(6)}')").json()["d"]["Name"] == "Coolblue"


def test_posted_line_ids_never_overwrite_another_entrys_line(api: Api) -> None:
    entry = _created(api, PURCHASES, purchase(YourRef=str(uuid.uuid4())))
    filter_ = f"$select=ID,EntryID&$filter=EntryID eq guid'{entry}'"
    line = api.results(f"purchaseentry/PurchaseEntryLines?{filter_}")[0]["ID"]
    lines = [{"ID": line, "GLAccount": gl("4230"), "AmountFC": 1.0}]
    other = _created(api, PURCHASES, purchase(lines, YourRef=str(uuid.uuid4())))
    assert (
        api.get(f"purchaseentry/PurchaseEntryLines(guid'{line}')").json()["d"]["EntryID"] == entry
    )
    assert other != entry
