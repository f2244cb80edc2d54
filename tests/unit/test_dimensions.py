"""Dimensions: locked when Exact owns them, usable only while active."""

from __future__ import annotations

from datetime import date

import pytest

from ledgerbridge.domain.dimension_facts import GLAccountFacts, ProjectFacts
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource


def cost_center(**changes: object) -> Dimension:
    values: dict[str, object] = {"kind": DimensionKind.COST_CENTER, "code": "100", "name": "Sales"}
    return Dimension(**{**values, **changes})


def test_values_from_exact_are_locked_and_local_ones_are_not() -> None:
    assert cost_center(source=DimensionSource.EXACT, exact_id="a-guid").locked
    assert not cost_center().locked


def test_a_blocked_value_is_never_usable() -> None:
    assert not cost_center(blocked=True).usable_on(date(2026, 5, 18))


@pytest.mark.parametrize(
    ("day", "usable"),
    [
        (date(2025, 12, 31), False),
        (date(2026, 1, 1), True),
        (date(2026, 6, 30), True),
        (date(2026, 7, 1), False),
    ],
)
def test_a_value_is_usable_from_its_first_to_its_last_day_inclusive(
    day: date, usable: bool
) -> None:
    dimension = cost_center(valid_from=date(2026, 1, 1), valid_until=date(2026, 6, 30))
    assert dimension.usable_on(day) is usable


def test_a_value_without_dates_is_always_usable() -> None:
    assert cost_center().usable_on(date(1999, 1, 1))


def project(**changes: object) -> Dimension:
    return cost_center(kind=DimensionKind.PROJECT, **changes)


def test_dimensions_with_facts_can_be_compared_and_put_in_sets() -> None:
    a = project(facts=ProjectFacts(type=1))
    assert a == project(facts=ProjectFacts(type=1)) != project(facts=ProjectFacts(type=2))
    assert len({a, project(facts=ProjectFacts(type=1))}) == 1


def test_facts_of_another_kind_are_refused() -> None:
    with pytest.raises(TypeError, match="cost centre 100: ProjectFacts are not its facts"):
        cost_center(facts=ProjectFacts(type=1))


def test_a_misspelt_fact_does_not_exist() -> None:
    facts = GLAccountFacts(type=121)
    with pytest.raises(AttributeError):
        facts.use_costcenter  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(TypeError):
        GLAccountFacts(type=121, use_costcenter=1)  # type: ignore[call-arg]


def test_every_kind_has_a_label_in_a_finance_users_words() -> None:
    assert DimensionKind.GL_ACCOUNT.label == "GL account"
    assert DimensionKind.COST_CENTER.label == "cost centre"
    assert all(kind.label for kind in DimensionKind)
