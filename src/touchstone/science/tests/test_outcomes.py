"""Dashboard statistics: Wilson intervals, pre-post g, rate tables, suppression, dose-response."""

import math

import numpy as np
import pytest

from touchstone.science.outcomes import (
    dose_response,
    hedges_correction,
    prepost_hedges_g,
    rate_table,
    suppress_small_cells,
    suppressed_rate_table,
    wilson_interval,
)

# Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of
# seven methods. Stat Med 1998;17:857-872, Table II, method 3 (Wilson score, no continuity
# correction), printed to 4 decimals. Full digits from R 4.2.2:
#   prop.test(x, n, correct = FALSE)$conf.int
NEWCOMBE_WILSON = [
    (81, 263, 0.255288519878274, 0.366209576982800),
    (15, 148, 0.0623863995307363, 0.1604872417233080),
    (0, 20, 0.0, 0.161125158052819),
    (1, 29, 0.00611321429276266, 0.17175521879320282),
    (29, 29, 0.883030201500259, 1.0),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), NEWCOMBE_WILSON)
def test_it_matches_newcombes_wilson_intervals(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert float(lo) == pytest.approx(low, abs=1e-12)
    assert float(hi) == pytest.approx(high, abs=1e-12)


def test_it_computes_wilson_intervals_for_arrays():
    xs = np.array([row[0] for row in NEWCOMBE_WILSON])
    ns = np.array([row[1] for row in NEWCOMBE_WILSON])
    lo, hi = wilson_interval(xs, ns)
    np.testing.assert_allclose(lo, [row[2] for row in NEWCOMBE_WILSON], atol=1e-12)
    np.testing.assert_allclose(hi, [row[3] for row in NEWCOMBE_WILSON], atol=1e-12)


@pytest.mark.parametrize(("x", "n"), [(5, 0), (-1, 10), (11, 10), (2.5, 10)])
def test_it_refuses_impossible_counts(x, n):
    with pytest.raises(ValueError, match=r"successes|counts"):
        wilson_interval(x, n)


def test_it_builds_a_rate_table_with_wilson_intervals():
    table = rate_table({"recovered": 81, "not recovered": 182})
    recovered = table.rows[0]
    assert table.total == 263
    assert recovered.proportion == pytest.approx(81 / 263)
    # Newcombe 1998 Table II, 81/263 (see above)
    assert recovered.ci_low == pytest.approx(0.255288519878274, abs=1e-12)
    assert recovered.ci_high == pytest.approx(0.366209576982800, abs=1e-12)
    assert table.to_rows()[1]["category"] == "not recovered"


def test_it_uses_a_given_denominator_for_overlapping_categories():
    table = rate_table({"response": 15, "remission": 9}, total=148)
    assert [row.total for row in table.rows] == [148, 148]
    assert table.rows[0].ci_high == pytest.approx(0.1604872417233080, abs=1e-12)


def test_it_refuses_a_count_above_the_total():
    with pytest.raises(ValueError, match="exceeds"):
        rate_table({"response": 15}, total=10)


def test_it_suppresses_cells_from_one_to_ten_and_their_complements():
    # CMS Cell Size Suppression Policy: 1-10 hidden, and anything that reveals them.
    mask = suppress_small_cells([[40, 3, 25], [50, 20, 30]])
    # 3 is primary; 25 is hidden so row 1 cannot be subtracted; then 20 and 30 so
    # columns 2 and 3 cannot be subtracted either.
    assert mask.cells.tolist() == [[False, True, True], [False, True, True]]
    assert not mask.row_totals.any()
    assert not mask.column_totals.any()


def test_it_shows_zeros_and_large_counts():
    mask = suppress_small_cells([[0, 11, 200]])
    assert not mask.cells.any()


def test_it_never_leaves_a_single_hidden_cell_in_a_line_with_a_published_total():
    rng = np.random.default_rng(5)
    for _ in range(200):
        table = rng.integers(0, 30, size=(rng.integers(1, 6), rng.integers(2, 6)))
        mask = suppress_small_cells(table)
        assert not np.any((table >= 1) & (table <= 10) & ~mask.cells)
        # A line whose total is published must not hold exactly one hidden cell (it would
        # be its total minus the shown cells); likewise the published margins.
        rows = [
            cells for cells, hidden in zip(mask.cells, mask.row_totals, strict=True) if not hidden
        ]
        columns = [
            cells
            for cells, hidden in zip(mask.cells.T, mask.column_totals, strict=True)
            if not hidden
        ]
        for line in [*rows, *(columns if table.shape[0] > 1 else [])]:
            assert line.sum() != 1
        assert mask.row_totals.sum() != 1 or table.shape[0] == 1
        assert mask.column_totals.sum() != 1


def test_it_hides_a_whole_row_whose_total_is_small():
    mask = suppress_small_cells([[4, 0, 3], [50, 20, 30], [60, 15, 45]])
    assert mask.row_totals.tolist() == [True, True, False]  # 7 is small; 100 protects it
    assert mask.cells[0].tolist() == [True, True, True]


def test_it_suppresses_a_researcher_rate_table():
    table = suppressed_rate_table(
        {"recovered": 30, "improved": 45, "unchanged": 4, "deteriorated": 12}
    )
    by_name = {row.category: row for row in table.rows}
    assert by_name["unchanged"].suppressed and by_name["unchanged"].proportion is None
    # deteriorated (the smallest other non-zero cell) is hidden too, or 4 = 91 - 87.
    assert by_name["deteriorated"].suppressed
    assert by_name["recovered"].count == 30
    assert table.total == 91


def test_it_suppresses_everything_when_the_total_is_small():
    table = suppressed_rate_table({"recovered": 6, "other": 0})
    assert table.total is None
    assert all(row.suppressed for row in table.rows)


# metafor 3.8.1 (R 4.2.2): escalc(measure = "SMCR", m1i = mean(pre), m2i = mean(post),
#   sd1i = sd(pre), ni = 12, ri = cor(pre, post)) with pre and post below;
#   summary() gives the Wald CI. .cmicalc(11) = 0.929959809975779.
PRE = [18, 15, 22, 12, 20, 17, 14, 19, 21, 16, 13, 23]
POST = [10, 11, 15, 9, 12, 14, 8, 13, 16, 12, 10, 14]
METAFOR_SMCR = {"yi": 1.41858444495664, "vi": 0.115303590425566}
METAFOR_CI = (0.753051579879343, 2.08411731003393)


def test_it_matches_metafors_standardized_mean_change():
    effect = prepost_hedges_g(PRE, POST, higher_is_better=False)
    assert effect.g == pytest.approx(METAFOR_SMCR["yi"], abs=1e-12)
    assert effect.variance == pytest.approx(METAFOR_SMCR["vi"], abs=1e-12)
    assert (effect.ci_low, effect.ci_high) == pytest.approx(METAFOR_CI, abs=1e-12)
    assert effect.n == 12


def test_it_signs_improvement_positive_whatever_the_direction():
    # WHO-5: higher is better. Mirror the PHQ-9 data so the change is the same improvement.
    effect = prepost_hedges_g([-v for v in PRE], [-v for v in POST], higher_is_better=True)
    assert effect.g == pytest.approx(METAFOR_SMCR["yi"], abs=1e-12)


def test_it_uses_hedges_exact_correction():
    assert hedges_correction(11) == pytest.approx(0.929959809975779, abs=1e-14)  # metafor
    assert hedges_correction(1000) == pytest.approx(1 - 3 / (4 * 1000 - 1), abs=1e-6)


@pytest.mark.parametrize(
    ("pre", "post", "message"),
    [
        ([1, 2], [1, 2], "three"),
        ([1, 2, 3], [1, 2], "paired"),
        ([5, 5, 5], [1, 2, 3], "do not vary"),
        ([1, math.nan, 3], [1, 2, 3], "pair 1"),
    ],
)
def test_it_refuses_unusable_pairs(pre, post, message):
    with pytest.raises(ValueError, match=message):
        prepost_hedges_g(pre, post, higher_is_better=False)


def test_it_summarises_dose_response_by_session_bins():
    sessions = [1, 2, 3, 4, 5, 6, 7, 8, 12, 15, 20]
    change = [-1, 0, -2, -4, -3, -5, -6, -7, -8, -9, -10]  # PHQ-9: negative is better
    improved = [False, False, False, True, False, True, True, True, True, True, True]
    result = dose_response(sessions, change, improved, higher_is_better=False)
    labels = [b.label for b in result.bins]
    assert labels == ["1-3", "4-6", "7-9", "10-12", "13+"]
    first, second = result.bins[0], result.bins[1]
    assert (first.n, first.improved, first.rate) == (3, 0, 0.0)
    assert second.rate == pytest.approx(2 / 3)
    assert second.mean_change == pytest.approx(4.0)
    # wilson_interval(2, 3) from R: prop.test(2, 3, correct = FALSE)$conf.int
    assert second.ci_low == pytest.approx(0.207659600802048, abs=1e-12)
    # R: cor(sessions, -change, method = "spearman")
    assert result.spearman_rho == pytest.approx(0.981818181818182, abs=1e-12)
    assert result.to_dict()["bins"][4]["n"] == 2
