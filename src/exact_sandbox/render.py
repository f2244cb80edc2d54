"""Rows to the wire and back: OData JSON (verbose, as Exact serves it) and payload parsing.

Out: dates as ``/Date(ms)/``, amounts as JSON doubles, binary properties as a
download link, ``__metadata`` on every entity and ``__deferred`` for child
collections that were not expanded. In: ``parse_payload`` converts a POST/PUT
body to typed Python values or raises ``ODataError`` with Exact's 400 texts.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

from exact_sandbox.messages import conversion_error, unknown_property
from exact_sandbox.odata import EDM, ODataError, integer, parse_datetime
from exact_sandbox.resources import RESOURCES, Resource

Row = dict[str, Any]
ChildLoader = Callable[[str, Any], list[Row]]

CLR = {
    "G": "System.Guid",
    "I": "System.Int32",
    "L": "System.Int64",
    "B": "System.Boolean",
    "D": "System.DateTime",
    "F": "System.Double",
    "X": "System.Byte[]",
    "S": "System.String",
}


def json_value(kind: str, value: Any, link: str) -> Any:
    if value is None:
        return None
    if kind == "D":
        return f"/Date({int(value.timestamp() * 1000)})/"
    if kind == "F":
        return float(value)
    if kind == "X":
        return link
    return value


def entity_uri(base: str, resource: Resource, key: Any) -> str:
    literal = f"guid'{key}'" if resource.key_type == "G" else str(key)
    return f"{base}{resource.path}({literal})"


def render(
    row: Row,
    resource: Resource,
    base: str,
    select: list[str] | None,
    expand: list[str],
    children: ChildLoader,
    child_resources: dict[str, Resource],
) -> dict[str, Any]:
    """One entity as Exact's verbose JSON. ``base`` ends with ``/api/v1/{division}/``."""
    uri = entity_uri(base, resource, row.get(resource.key))
    out: dict[str, Any] = {"__metadata": {"uri": uri, "type": resource.entity}}
    link = f"{base.split('/api/')[0]}/docs/SysAttachment.aspx?ID={row.get(resource.key)}"
    for name in select or list(resource.fields):
        kind = resource.fields[name]
        if kind != "C":
            out[name] = json_value(kind, row.get(name), link)
        elif name in expand:
            child = child_resources[name]
            rows = children(child.path, row.get(resource.key))
            out[name] = {"results": [render(r, child, base, None, [], children, {}) for r in rows]}
        else:
            out[name] = {"__deferred": {"uri": f"{uri}/{name}"}}
    return out


#: Characters XML 1.0 cannot carry (control characters, lone UTF-16 surrogates that a JSON
#: ``\ud800`` escape can put in a stored string, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(value: object) -> str:
    """Escaped XML text; characters XML cannot hold become U+FFFD, so the feed stays
    well-formed UTF-8 whatever a client stored."""
    return escape(_NOT_XML.sub("\ufffd", str(value)))


def atom_feed(title: str, url: str, entities: list[dict[str, Any]], updated: datetime) -> str:
    """A minimal Atom feed for clients that do not ask for JSON (Exact's default format)."""
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xml:base="' + _xml(url) + '" xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">',
        f'<id>{_xml(url)}</id><title type="text">{_xml(title)}</title>',
        f"<updated>{stamp}</updated>",
    ]
    for entity in entities:
        meta = entity.get("__metadata", {})
        props = "".join(
            f"<d:{name}>{_xml(str(value))}</d:{name}>"
            for name, value in entity.items()
            if name != "__metadata" and not isinstance(value, dict) and value is not None
        )
        parts.append(
            f"<entry><id>{_xml(meta.get('uri', ''))}</id><updated>{stamp}</updated>"
            f'<content type="application/xml"><m:properties>{props}</m:properties></content>'
            "</entry>"
        )
    parts.append("</feed>")
    return "".join(parts)


def parse_payload(payload: Any, resource: Resource) -> Row:
    """Typed values for the properties in ``payload``; child collections stay lists of dicts."""
    if not isinstance(payload, dict):
        raise ODataError(
            "Error processing request stream. The request should be a valid top-level "
            "resource object."
        )
    row: Row = {}
    for name, value in payload.items():
        if name == "__metadata":
            continue
        kind = resource.fields.get(name)
        if kind is None:
            raise ODataError(unknown_property(name, resource.entity))
        if kind == "C":
            if not isinstance(value, list | dict):
                raise ODataError(conversion_error(name, "Collection"))
            items = value.get("results", []) if isinstance(value, dict) else value
            if not isinstance(items, list):
                raise ODataError(conversion_error(name, "Collection"))
            child = RESOURCES[resource.children[name]]
            row[name] = [parse_payload(item, child) for item in items]
            continue
        row[name] = convert(name, kind, value)
    return row


def convert(name: str, kind: str, value: Any) -> Any:
    """One payload value as its property's type; ODataError with Exact's 400 text otherwise."""
    if value is None:
        return None
    converted = _CONVERTERS[kind](value)
    if converted is _FAIL:
        raise ODataError(conversion_error(name, CLR[kind]))
    return converted


_FAIL = object()


def _guid(value: Any) -> Any:
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else _FAIL
    except ValueError:
        return _FAIL


def _integer(bits: int) -> Callable[[Any], Any]:
    """Edm.Int32 / Edm.Int64: whole numbers (or their text) within the type's range."""
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def convert(value: Any) -> Any:
        if isinstance(value, bool):
            return _FAIL
        number = integer(value) if isinstance(value, str) else value
        if isinstance(number, int) and low <= number <= high:
            return number
        return _FAIL

    return convert


def _double(value: Any) -> Any:
    """Edm.Double: a finite number (or its text) a double can hold, as a Decimal."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return _FAIL
    try:
        number = Decimal(str(value))
        if not number.is_finite() or not math.isfinite(float(number)):
            return _FAIL
    except (InvalidOperation, ValueError, OverflowError):
        return _FAIL
    return number


def _boolean(value: Any) -> Any:
    return value if isinstance(value, bool) else _FAIL


def _date(value: Any) -> Any:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return _FAIL if parsed is None else parsed


def _binary(value: Any) -> Any:
    if not isinstance(value, str):
        return _FAIL
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return _FAIL


def _string(value: Any) -> Any:
    if isinstance(value, str):
        return value
    return _FAIL if isinstance(value, dict | list) else str(value)


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "G": _guid,
    "I": _integer(32),
    "L": _integer(64),
    "F": _double,
    "B": _boolean,
    "D": _date,
    "X": _binary,
    "S": _string,
}

__all__ = ["EDM", "atom_feed", "convert", "parse_payload", "render"]
