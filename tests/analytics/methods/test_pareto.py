"""Pareto table: order, shares, cumulative shares and the vital few, against hand-computed figures."""

from __future__ import annotations

import pytest

from servicecycle.analytics.methods import MethodInputError
from servicecycle.analytics.methods.pareto import pareto


def test_sorted_with_shares_and_the_categories_reaching_eighty_percent() -> None:
    # 50 + 30 = 80 of 100 reaches 80 % exactly at the second category
    result = pareto([("Billing", 10), ("Late delivery", 50), ("Damaged goods", 30), ("Rude staff", 10)])
    assert result.total == 100
    assert [r.label for r in result.rows] == ["Late delivery", "Damaged goods", "Billing", "Rude staff"]
    assert [r.count for r in result.rows] == [50, 30, 10, 10]
    assert [r.share for r in result.rows] == pytest.approx([0.5, 0.3, 0.1, 0.1])
    assert [r.cumulative for r in result.rows] == pytest.approx([0.5, 0.8, 0.9, 1.0])
    assert [r.label for r in result.vital_few] == ["Late delivery", "Damaged goods"]


def test_the_category_that_crosses_the_cut_off_belongs_to_the_vital_few() -> None:
    # cumulative 4/9 = 44 %, 7/9 = 78 %, 8/9 = 89 %: the third one crosses 80 %
    result = pareto([("a", 4), ("b", 3), ("c", 1), ("d", 1)])
    assert [r.vital for r in result.rows] == [True, True, True, False]
    assert result.rows[1].cumulative == pytest.approx(7 / 9)


def test_ties_are_ordered_by_name_and_zero_counts_are_never_vital() -> None:
    result = pareto([("zeta", 2), ("alpha", 2), ("none", 0)])
    assert [r.label for r in result.rows] == ["alpha", "zeta", "none"]
    assert [r.vital for r in result.rows] == [True, True, False]
    assert result.rows[-1].cumulative == pytest.approx(1.0)


def test_a_single_category_is_the_whole_vital_few() -> None:
    result = pareto([("only", 3)])
    assert result.vital_few[0].cumulative == 1.0


def test_another_cut_off() -> None:
    result = pareto([("a", 6), ("b", 3), ("c", 1)], cutoff=0.5)
    assert [r.label for r in result.vital_few] == ["a"]


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([], "at least one category"),
        ([("a", 0)], "all counts are 0"),
        ([("a", -1)], "count of 'a'"),
        ([("a", 1.5)], "count of 'a'"),
        ([("a", 1), ("a", 2)], "given twice"),
        ([("a",)], "entry 1"),
    ],
)
def test_bad_input_names_the_problem(counts: list, message: str) -> None:
    with pytest.raises(MethodInputError, match=message):
        pareto(counts)


def test_the_cut_off_must_be_a_share() -> None:
    with pytest.raises(MethodInputError, match="cut-off"):
        pareto([("a", 1)], cutoff=1.5)
