"""OData v2 as Exact speaks it: $filter parsing and evaluation, query options, paging.

``parse_filter`` turns a $filter text into a predicate over store rows, or
raises ``ODataError`` (400) with the text Exact's OData layer answers with.
Supported as EXACT_API.md §2.4 lists: eq/ne/gt/ge/lt/le, and/or/not,
parentheses, ``guid'…'``, ``datetime'…'``, ``'…'`` (``''`` escapes a quote),
true/false/null, numbers and ``trim(Field)``. Refused like Exact: other
functions (substringof …), navigation properties (``Lines/AmountFC``),
arithmetic and comparisons of one property with another.
String comparisons ignore case, as Exact's database collation does.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Row = dict[str, Any]
Predicate = Callable[[Row], bool]

EDM = {
    "G": "Edm.Guid",
    "S": "Edm.String",
    "I": "Edm.Int32",
    "L": "Edm.Int64",
    "B": "Edm.Boolean",
    "D": "Edm.DateTime",
    "F": "Edm.Double",
    "X": "Edm.Binary",
    "C": "Collection",
    "N": "null",
}
NUMERIC = {"I", "L", "F"}
COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
KNOWN_FUNCTIONS = {
    "substringof", "startswith", "endswith", "length", "indexof", "replace", "substring",
    "tolower", "toupper", "concat", "day", "hour", "minute", "month", "second", "year",
    "round", "floor", "ceiling", "isof", "cast",
}  # fmt: skip

#: How deeply parentheses and ``not`` may nest in a $filter. WCF Data Services refuses
#: deeper expressions with a 400 ("Recursion depth exceeded allowed limit."); its limit
#: is larger, this one keeps the sandbox's recursive parser well inside Python's stack.
MAX_DEPTH = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<typed>(?:guid|datetime|datetimeoffset|time|binary|X)'(?:[^']|'')*')"
    r"|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[LlMmDdFf]?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_./]*)"
    r"|(?P<punct>[(),]))"
)


class ODataError(Exception):
    """A request the OData layer refuses; ``status`` is 400 unless said otherwise."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True)
class Operand:
    """A typed side of a comparison: a property (optionally trimmed) or a literal."""

    type: str
    value: Any = None
    field: str | None = None
    trimmed: bool = False

    def getter(self) -> Callable[[Row], Any]:
        name, trimmed = self.field, self.trimmed
        if trimmed:
            return lambda row: (row.get(name) or "").strip()  # type: ignore[arg-type]
        return lambda row: row.get(name)  # type: ignore[arg-type]


@dataclass
class Filter:
    """A parsed $filter: the predicate and the properties it mentions."""

    predicate: Predicate
    fields: set[str] = field(default_factory=set)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(f"Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or "punct"
        tokens.append(Token(kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def parse_filter(text: str, fields: dict[str, str], entity: str) -> Filter:
    """Compile ``text`` against a resource's typed ``fields``; ODataError when refused."""
    parser = _Parser(text, tokenize(text), fields, entity)
    predicate = parser.parse_or()
    if parser.peek() is not None:
        raise ODataError(f"Syntax error at position {parser.peek_pos()} in '{text}'.")
    return Filter(predicate, parser.mentioned)


class _Parser:
    def __init__(self, text: str, tokens: list[Token], fields: dict[str, str], entity: str):
        self.text, self.tokens, self.fields, self.entity = text, tokens, fields, entity
        self.index = 0
        self.depth = 0
        self.mentioned: set[str] = set()

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def peek_pos(self) -> int:
        token = self.peek()
        return token.pos if token else len(self.text)

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ODataError(f"Expression expected at position {len(self.text)} in '{self.text}'.")
        self.index += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token.kind == "name" and token.text == word:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        token = self.peek()
        if token is None or token.text != text:
            raise ODataError(f"'{text}' expected at position {self.peek_pos()} in '{self.text}'.")
        self.index += 1

    def parse_or(self) -> Predicate:
        terms = [self.parse_and()]
        while self.keyword("or"):
            terms.append(self.parse_and())
        return terms[0] if len(terms) == 1 else _any(terms)

    def parse_and(self) -> Predicate:
        terms = [self.parse_not()]
        while self.keyword("and"):
            terms.append(self.parse_not())
        return terms[0] if len(terms) == 1 else _all(terms)

    def parse_not(self) -> Predicate:
        negations = 0
        while self.keyword("not"):
            negations += 1
            self.descend()
        inner = self.parse_comparison()
        self.depth -= negations
        if negations % 2 == 0:
            return inner
        return lambda row: not inner(row)

    def descend(self) -> None:
        """One more level of nesting; WCF refuses a $filter nested too deeply."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ODataError("Recursion depth exceeded allowed limit.")

    def parse_comparison(self) -> Predicate:
        token = self.peek()
        if token and token.text == "(":
            self.take()
            self.descend()
            inner = self.parse_or()
            self.expect(")")
            self.depth -= 1
            return inner
        left = self.parse_operand()
        op = self.peek()
        if op is None or op.kind != "name" or op.text not in COMPARE:
            if left.field and left.type == "B":
                getter = left.getter()
                return lambda row: getter(row) is True
            if (
                op is not None
                and op.kind == "name"
                and op.text in {"add", "sub", "mul", "div", "mod"}
            ):
                raise ODataError("Not Implemented: arithmetic operators in $filter.", 400)
            raise ODataError(f"Syntax error at position {self.peek_pos()} in '{self.text}'.")
        self.take()
        right = self.parse_operand()
        return self.compare(left, op, right)

    def parse_operand(self) -> Operand:
        token = self.take()
        if token.kind == "string":
            return Operand("S", token.text[1:-1].replace("''", "'"))
        if token.kind == "typed":
            return _typed_literal(token, self.text)
        if token.kind == "number":
            return _number(token, self.text)
        if token.kind != "name":
            raise ODataError(f"Expression expected at position {token.pos} in '{self.text}'.")
        literal = {"true": Operand("B", True), "false": Operand("B", False), "null": Operand("N")}
        if token.text in literal:
            return literal[token.text]
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.parse_function(token)
        return self.property(token)

    def parse_function(self, token: Token) -> Operand:
        if token.text != "trim":
            if token.text in KNOWN_FUNCTIONS:
                raise ODataError(f"Not Implemented: function '{token.text}' is not supported.")
            raise ODataError(f"Unknown function '{token.text}' at position {token.pos}.")
        self.expect("(")
        inner = self.property(self.take())
        self.expect(")")
        if inner.type != "S":
            raise ODataError(
                f"No applicable function found for 'trim' at position {token.pos} with the "
                f"specified arguments. The functions considered are: trim(System.String)."
            )
        return Operand("S", field=inner.field, trimmed=True)

    def property(self, token: Token) -> Operand:
        if token.kind != "name":
            raise ODataError(f"Expression expected at position {token.pos} in '{self.text}'.")
        if "/" in token.text:
            raise ODataError(
                "Not Implemented: filtering on navigation property "
                f"'{token.text}' is not supported."
            )
        kind = self.fields.get(token.text)
        if kind is None or kind == "C":
            raise ODataError(
                f"No property '{token.text}' exists in type '{self.entity}' "
                f"at position {token.pos}."
            )
        self.mentioned.add(token.text)
        return Operand(kind, field=token.text)

    def compare(self, left: Operand, op: Token, right: Operand) -> Predicate:
        if left.field and right.field:
            raise ODataError("Not Implemented: comparing a property with another property.")
        if right.field:
            left, right = right, left
            op = Token(op.kind, _FLIP[op.text], op.pos)
        if not left.field:
            raise ODataError(f"Syntax error at position {op.pos} in '{self.text}'.")
        if not _compatible(left.type, right.type):
            raise ODataError(
                f"Operator '{op.text}' incompatible with operand types '{EDM[left.type]}' and "
                f"'{EDM[right.type]}' at position {op.pos}."
            )
        return _comparison(left.getter(), op.text, _normal(right.value))


_FLIP = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}


def _compatible(field_type: str, literal_type: str) -> bool:
    if literal_type == "N" or field_type == literal_type:
        return True
    return field_type in NUMERIC and literal_type in NUMERIC


def _normal(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _comparison(getter: Callable[[Row], Any], op: str, value: Any) -> Predicate:
    def current(row: Row) -> Any:
        return _normal(getter(row))

    if op == "eq":
        return lambda row: current(row) == value
    if op == "ne":
        return lambda row: current(row) != value
    ordering: dict[str, Callable[[Any, Any], bool]] = {
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
    }
    check = ordering[op]

    def ordered(row: Row) -> bool:
        found = current(row)
        return found is not None and value is not None and check(found, value)

    return ordered


def _all(terms: list[Predicate]) -> Predicate:
    # Flat, so a long "a and b and …" chain costs no recursion when evaluated.
    return lambda row: all(term(row) for term in terms)


def _any(terms: list[Predicate]) -> Predicate:
    return lambda row: any(term(row) for term in terms)


def _typed_literal(token: Token, text: str) -> Operand:
    prefix, _, rest = token.text.partition("'")
    raw = rest[:-1].replace("''", "'")
    if prefix == "guid":
        return Operand("G", parse_guid(raw, token.text, token.pos, text))
    if prefix in ("datetime", "datetimeoffset"):
        parsed = parse_datetime(raw)
        if parsed is None:
            raise _unrecognized("Edm.DateTime", token, text)
        return Operand("D", parsed)
    raise _unrecognized("Edm.Binary", token, text)


def _unrecognized(edm: str, token: Token, text: str) -> ODataError:
    return ODataError(f"Unrecognized '{edm}' literal '{token.text}' at '{token.pos}' in '{text}'.")


def parse_guid(raw: str, literal: str, pos: int, text: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise _unrecognized("Edm.Guid", Token("typed", literal, pos), text) from None


def _number(token: Token, text: str) -> Operand:
    raw = token.text.rstrip("LlMmDdFf")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _unrecognized("Edm.Decimal", token, text) from None
    if value == value.to_integral_value() and "." not in raw and "e" not in raw.lower():
        return Operand("I", int(value))
    return Operand("F", value)


def integer(raw: str, *, signed: bool = True) -> int | None:
    """``raw`` (surrounding blanks allowed) as an int of ASCII digits; None otherwise.

    ``str.isdigit`` is not enough: it is true for "²" and "--1".lstrip("-"), which
    ``int`` refuses.
    """
    text = raw.strip(" \t\r\n")
    return int(text) if re.fullmatch(r"-?[0-9]+" if signed else "[0-9]+", text) else None


def parse_datetime(raw: str) -> datetime | None:
    """An ISO date or date-time (no offset = UTC), or ``/Date(ms)/``; None when unreadable."""
    match = re.fullmatch(r"/Date\((-?[0-9]{1,18})\)/", raw)
    try:
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        # Out of DateTime's range once moved to UTC (0001-01-01T00:00:00+01:00): unreadable.
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        return None
