"""The dimension sync planner and its summary, with plain values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledgerbridge.domain.coding import CodingLine
from ledgerbridge.domain.dimension_facts import (
    CostRule,
    GLAccountFacts,
    VatCodeFacts,
    VatRate,
    VatTransactionType,
    VatType,
)
from ledgerbridge.domain.dimension_sync import (
    Change,
    ChangeKind,
    harmful,
    plan_dimension_changes,
    summarise,
    sync_problems,
)
from ledgerbridge.domain.dimensions import Dimension, DimensionKind, DimensionSource
from ledgerbridge.domain.money import Money
from ledgerbridge.domain.validation import lookup_in

K = DimensionKind
EXACT = DimensionSource.EXACT


def exact(kind: DimensionKind, code: str, **fields: object) -> Dimension:
    defaults: dict[str, object] = {"name": f"{kind.value} {code}", "exact_id": f"id-{code}"}
    defaults.update(fields)
    return Dimension(kind=kind, code=code, source=EXACT, **defaults)  # type: ignore[arg-type]


def local(kind: DimensionKind, code: str) -> Dimension:
    return Dimension(kind=kind, code=code, name=f"local {code}")


def kinds(changes: list[Change]) -> list[tuple[ChangeKind, str]]:
    return [(c.kind, c.dimension.code) for c in changes]


def test_nothing_changes_when_exact_and_local_agree() -> None:
    values = [exact(K.GL_ACCOUNT, "4000"), exact(K.VAT_CODE, "5")]
    assert plan_dimension_changes(values, values, full=True) == []


def test_new_exact_values_are_added() -> None:
    changes = plan_dimension_changes([exact(K.PROJECT, "P-104")], [], full=False)
    assert kinds(changes) == [(ChangeKind.ADDED, "P-104")]


def test_a_blocked_gl_account_is_reported_as_blocked_with_the_changed_field() -> None:
    before = exact(K.GL_ACCOUNT, "4000")
    changes = plan_dimension_changes([replace(before, blocked=True)], [before], full=False)
    assert kinds(changes) == [(ChangeKind.BLOCKED, "4000")]
    assert changes[0].fields_changed == ("blocked",)
    assert changes[0].before == before


def test_unblocking_is_reported_as_unblocked() -> None:
    before = exact(K.VAT_CODE, "5", blocked=True)
    changes = plan_dimension_changes([replace(before, blocked=False)], [before], full=False)
    assert kinds(changes) == [(ChangeKind.UNBLOCKED, "5")]


def test_a_new_end_date_on_a_cost_centre_means_it_ended() -> None:
    before = exact(K.COST_CENTER, "100")
    after = replace(before, valid_until=date(2026, 11, 1))
    assert kinds(plan_dimension_changes([after], [before], full=False)) == [
        (ChangeKind.ENDED, "100")
    ]


def test_a_renamed_value_is_an_update() -> None:
    before = exact(K.JOURNAL, "60")
    changes = plan_dimension_changes([replace(before, name="Inkoop")], [before], full=False)
    assert kinds(changes) == [(ChangeKind.UPDATED, "60")]
    assert changes[0].fields_changed == ("name",)


def test_a_full_sync_deletes_exact_values_exact_no_longer_has() -> None:
    kept, gone = exact(K.SUPPLIER, "1068"), exact(K.SUPPLIER, "2001")
    changes = plan_dimension_changes([kept], [kept, gone], full=True)
    assert kinds(changes) == [(ChangeKind.DELETED, "2001")]
    assert changes[0].removes


def test_an_incremental_sync_deletes_only_what_exact_reports_deleted() -> None:
    a, b = exact(K.SUPPLIER, "1068"), exact(K.SUPPLIER, "2001")
    changes = plan_dimension_changes([], [a, b], full=False, deleted_keys=[(K.SUPPLIER, "id-2001")])
    assert kinds(changes) == [(ChangeKind.DELETED, "2001")]


def test_a_full_sync_leaves_kinds_it_could_not_read_alone() -> None:
    unit = exact(K.COST_UNIT, "CU1")
    changes = plan_dimension_changes(
        [exact(K.GL_ACCOUNT, "4000")], [unit], full=True, covered_kinds={K.GL_ACCOUNT}
    )
    assert kinds(changes) == [(ChangeKind.ADDED, "4000")]


def test_local_values_are_replaced_on_a_full_sync_whether_or_not_exact_has_the_code() -> None:
    same_code, only_local = local(K.GL_ACCOUNT, "4000"), local(K.GL_ACCOUNT, "4999")
    remote = exact(K.GL_ACCOUNT, "4000")
    changes = plan_dimension_changes([remote], [same_code, only_local], full=True)
    assert kinds(changes) == [
        (ChangeKind.REPLACED_LOCAL, "4000"),
        (ChangeKind.REPLACED_LOCAL, "4999"),
    ]
    assert changes[0].dimension == remote and not changes[0].removes
    assert changes[1].removes


def test_a_changed_code_removes_the_old_code_on_an_incremental_sync() -> None:
    before = exact(K.GL_ACCOUNT, "4000", exact_id="guid-1")
    after = exact(K.GL_ACCOUNT, "4010", exact_id="guid-1")
    changes = plan_dimension_changes([after], [before], full=False)
    assert kinds(changes) == [(ChangeKind.ADDED, "4010"), (ChangeKind.DELETED, "4000")]


def test_summary_counts_additions_and_names_blocks_and_ends() -> None:
    cost_centre = exact(K.COST_CENTER, "100")
    vat = exact(K.VAT_CODE, "5")
    changes = [
        *(Change(ChangeKind.ADDED, exact(K.GL_ACCOUNT, str(n))) for n in range(3)),
        Change(ChangeKind.BLOCKED, replace(vat, blocked=True), vat, ("blocked",)),
        Change(
            ChangeKind.ENDED,
            replace(cost_centre, valid_until=date(2026, 11, 1)),
            cost_centre,
            ("valid_until",),
        ),
        Change(ChangeKind.DELETED, exact(K.SUPPLIER, "1068", name="Shell")),
    ]
    assert summarise(changes) == [
        "3 GL accounts added",
        "VAT code 5 blocked",
        "cost centre 100 ended (end date 2026-11-01)",
        "supplier Shell (1068) deleted",
    ]


def test_summary_counts_a_long_list_of_blocks_instead_of_naming_each() -> None:
    changes = [
        Change(ChangeKind.BLOCKED, exact(K.GL_ACCOUNT, str(n), blocked=True)) for n in range(9)
    ]
    assert summarise(changes) == ["9 GL accounts blocked"]


def test_summary_of_one_addition_is_singular() -> None:
    assert summarise([Change(ChangeKind.ADDED, exact(K.PROJECT, "P-104"))]) == ["1 project added"]


# -- impact: what the sync made unbookable, judged by the one rule engine ------------------

DAY = date(2026, 11, 2)
COSTS = GLAccountFacts(type=121)
BOTH_SIDES = VatCodeFacts(VatType.INCLUDING, VatTransactionType.BOTH, (VatRate(Decimal("0.21")),))


def line(gl_account: str = "4000", **codes: str) -> CodingLine:
    return CodingLine(gl_account, Money(Decimal("-10.00"), "EUR"), **codes)


def impact(changes: list[Change], coding: CodingLine, day: date = DAY) -> list[str]:
    """``sync_problems`` for one line, the administration being what ``changes`` left."""
    after = lookup_in(
        [exact(K.GL_ACCOUNT, "4000", facts=COSTS)] + [c.dimension for c in changes if not c.removes]
    )
    return sync_problems(
        [coding], day, after, {(c.dimension.kind, c.dimension.code): c for c in changes}
    )


def test_an_end_date_after_the_transaction_does_not_affect_it() -> None:
    ended = replace(exact(K.COST_CENTER, "100"), valid_until=date(2026, 11, 1))
    change = Change(ChangeKind.ENDED, ended, exact(K.COST_CENTER, "100"), ("valid_until",))
    assert impact([change], line(cost_center="100"), date(2026, 10, 31)) == []
    assert impact([change], line(cost_center="100")) == ["cost centre 100 ended on 2026-11-01"]


def test_a_vat_code_turned_sales_only_is_no_longer_valid_for_purchases() -> None:
    before = exact(K.VAT_CODE, "5", facts=BOTH_SIDES)
    after = replace(before, facts=replace(BOTH_SIDES, transaction_type=VatTransactionType.SALES))
    (change,) = plan_dimension_changes([after], [before], full=False)
    assert impact([change], line(vat_code="5")) == ["VAT code 5 is no longer valid for purchases"]


def test_only_changes_that_can_hurt_are_checked_against_transactions() -> None:
    vat = exact(K.VAT_CODE, "5")
    gl = exact(K.GL_ACCOUNT, "4100")
    changes = [
        Change(ChangeKind.ADDED, exact(K.GL_ACCOUNT, "4000")),
        Change(ChangeKind.BLOCKED, replace(vat, blocked=True), vat, ("blocked",)),
        Change(ChangeKind.UNBLOCKED, exact(K.PROJECT, "P1")),
        Change(ChangeKind.UPDATED, replace(gl, name="Renamed"), gl, ("name",)),
    ]
    assert list(harmful(changes)) == [(K.VAT_CODE, "5")]


def test_a_deleted_value_was_deleted_in_exact_online() -> None:
    gone = exact(K.COST_UNIT, "KD1")
    change = Change(ChangeKind.DELETED, gone, gone)
    assert impact([change], line(cost_unit="KD1")) == ["cost unit KD1 was deleted in Exact Online"]


def test_a_cost_account_turned_into_a_bank_account_is_no_longer_valid_for_purchases() -> None:
    before = exact(K.GL_ACCOUNT, "4000", facts=COSTS)
    (change,) = plan_dimension_changes(
        [replace(before, facts=GLAccountFacts(type=12))], [before], full=False
    )
    assert impact([change], line()) == [
        "GL account 4000 is no longer valid for purchases (its type changed in Exact Online)"
    ]
    (renamed,) = plan_dimension_changes([replace(before, name="Car")], [before], full=False)
    assert impact([renamed], line()) == []


def test_a_gl_account_that_now_requires_a_cost_centre_hurts_only_lines_without_one() -> None:
    before = exact(K.GL_ACCOUNT, "4000", facts=COSTS)
    after = replace(before, facts=replace(COSTS, use_cost_center=CostRule.MANDATORY))
    (change,) = plan_dimension_changes([after], [before], full=False)
    assert impact([change], line()) == [
        "GL account 4000 now requires a cost centre in Exact Online"
    ]
    centre = exact(K.COST_CENTER, "KP1")
    assert impact([change, Change(ChangeKind.ADDED, centre)], line(cost_center="KP1")) == []


def test_a_gl_account_that_no_longer_allows_cost_units_hurts_lines_with_one() -> None:
    before = exact(K.GL_ACCOUNT, "4000", facts=COSTS)
    (change,) = plan_dimension_changes(
        [replace(before, facts=replace(COSTS, use_cost_unit=CostRule.NOT_ALLOWED))],
        [before],
        full=False,
    )
    unit = Change(ChangeKind.ADDED, exact(K.COST_UNIT, "KD1"))
    assert impact([change, unit], line(cost_unit="KD1")) == [
        "GL account 4000 no longer allows a cost unit in Exact Online; remove KD1"
    ]


def test_renaming_a_gl_account_that_always_required_a_cost_centre_flags_nothing() -> None:
    before = exact(K.GL_ACCOUNT, "4000", facts=replace(COSTS, use_cost_center=CostRule.MANDATORY))
    (change,) = plan_dimension_changes([replace(before, name="Cars")], [before], full=False)
    assert impact([change], line()) == []


def test_a_blocked_value_says_it_is_blocked_in_exact_online() -> None:
    before = exact(K.GL_ACCOUNT, "4000", facts=COSTS)
    (change,) = plan_dimension_changes([replace(before, blocked=True)], [before], full=False)
    assert impact([change], line()) == ["GL account 4000 is blocked in Exact Online"]


def test_a_coding_with_a_replaced_local_value_is_always_sent_back_for_a_check() -> None:
    mine = local(K.COST_CENTER, "KP1")
    theirs = exact(K.COST_CENTER, "KP1")
    replaced = Change(ChangeKind.REPLACED_LOCAL, theirs, mine, ("source",))
    assert impact([replaced], line(cost_center="KP1")) == [
        "cost centre KP1 was a local value; Exact Online's dimensions replaced it, check the coding"
    ]
