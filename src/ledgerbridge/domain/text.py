"""Text that can be kept: what a name, code or description may not contain.

PostgreSQL refuses the NUL character in text, and UTF-8 cannot encode an
unpaired UTF-16 surrogate (JSON's ``"\\ud800"`` decodes to one). Input carrying
either is refused where it is read, naming the field, instead of failing on save.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

_SURROGATE = re.compile("[\ud800-\udfff]")


def surrogate_problem(text: str) -> str:
    """Why ``text`` is not valid Unicode (an unpaired surrogate), or "". Pure."""
    found = _SURROGATE.search(text)
    if found is None:
        return ""
    return (
        f"contains an invalid character (an unpaired surrogate, \\u{ord(found.group()):04x}) "
        f"at position {found.start() + 1}; send valid Unicode text"
    )


def text_problem(text: str) -> str:
    """Why ``text`` cannot be kept (a NUL character, invalid Unicode), or "" when it can. Pure."""
    if "\x00" in text:
        position = text.index("\x00") + 1
        return f"contains a NUL character (\\x00) at position {position}; remove it"
    return surrogate_problem(text)


Location = tuple[str | int, ...]


def json_problem(value: object, check: Callable[[str], str]) -> tuple[Location, str] | None:
    """Where in decoded JSON ``value`` a string or key fails ``check``, or a number is not
    finite (``1e400`` decodes to infinity), and why; None when all is well.

    Walks without recursion: a body may be nested as deeply as the decoder allows.
    """
    pending: list[tuple[Location, object]] = [((), value)]
    while pending:
        location, item = pending.pop()
        if isinstance(item, str) and (problem := check(item)):
            return location, problem
        if isinstance(item, float) and not math.isfinite(item):
            return location, f"is {item}, not a finite number"
        if isinstance(item, dict):
            for key in item:
                if isinstance(key, str) and (problem := check(key)):
                    return location, f"has a key that {problem}"
            pending.extend(((*location, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            pending.extend(((*location, i), v) for i, v in reversed(list(enumerate(item))))
    return None
