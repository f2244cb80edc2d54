"""Text that can be kept: NUL characters and unpaired surrogates are named with where they are."""

from __future__ import annotations

import math

from ledgerbridge.domain.text import json_problem, surrogate_problem, text_problem


def test_ordinary_text_including_emoji_can_be_kept() -> None:
    assert text_problem("Café 😀 – €12") == ""


def test_a_nul_character_is_named_with_its_position() -> None:
    assert text_problem("ab\x00c") == "contains a NUL character (\\x00) at position 3; remove it"


def test_an_unpaired_surrogate_is_named_but_a_nul_is_left_to_the_field_check() -> None:
    assert "unpaired surrogate, \\ud800) at position 2" in text_problem("a\ud800")
    assert surrogate_problem("a\x00") == ""


def test_the_place_of_bad_json_text_or_numbers_is_the_path_to_it() -> None:
    assert json_problem({"a": [1, {"b": "x\ud800"}]}, surrogate_problem) == (
        ("a", 1, "b"),
        surrogate_problem("x\ud800"),
    )
    assert json_problem({"k\x00": 1}, text_problem) == (
        (),
        "has a key that " + text_problem("k\x00"),
    )
    assert json_problem([math.inf], text_problem) == ((0,), "is inf, not a finite number")
    assert json_problem({"fine": [1.5, "ok", None]}, text_problem) is None


def test_a_deeply_nested_value_is_walked_without_recursion() -> None:
    nested: list[object] = ["\x00"]
    for _ in range(50_000):
        nested = [nested]
    found = json_problem(nested, text_problem)
    assert found is not None and len(found[0]) == 50_001
