import math

import numpy as np
import pytest

from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology.association import CAUSATION_NOTE, association

X = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
Y = [2.0, 1.0, 4.0, 3.0, 6.0, 5.0, 8.0, 9.0]


def test_it_computes_pearson_r_with_a_fisher_z_interval():
    result = association(X, Y)
    # independent: numpy corrcoef, and Fisher z CI by hand (z = atanh r, SE = 1/sqrt(n-3))
    r = np.corrcoef(X, Y)[0, 1]
    z, se = math.atanh(r), 1 / math.sqrt(len(X) - 3)
    assert result.n == 8
    assert result.pearson_r == pytest.approx(r)
    assert result.pearson_ci_low == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-6)
    assert result.pearson_ci_high == pytest.approx(math.tanh(z + 1.959964 * se), abs=1e-6)


def test_it_computes_spearman_rho_from_ranks():
    # Spearman rho = Pearson r of the ranks (no ties here)
    ranks_x = np.argsort(np.argsort(X))
    ranks_y = np.argsort(np.argsort(Y))
    result = association(X, Y)
    rho = np.corrcoef(ranks_x, ranks_y)[0, 1]
    assert result.spearman_rho == pytest.approx(rho)
    # Fieller-Hartley-Pearson 1957: SE = sqrt(1.06 / (n - 3))
    se = math.sqrt(1.06 / 5)
    assert result.spearman_ci_low == pytest.approx(math.tanh(math.atanh(rho) - 1.959964 * se))


def test_it_always_says_association_is_not_causation():
    assert CAUSATION_NOTE in association(X, Y).note
    assert association(X, Y).note.startswith("Association is not causation")


def test_it_drops_and_counts_missing_pairs():
    result = association([*X, None, 3.0], [*Y, 2.0, math.nan])
    assert (result.n, result.n_dropped) == (8, 2)
    assert result.pearson_r == pytest.approx(association(X, Y).pearson_r)


def test_it_gives_no_interval_for_three_pairs():
    result = association([1.0, 2.0, 3.0], [1.0, 3.0, 2.0])
    assert result.pearson_r == pytest.approx(0.5)
    assert result.pearson_ci_low is None
    assert "too few pairs for a confidence interval" in result.note


def test_it_gives_nothing_for_two_pairs():
    result = association([1.0, 2.0], [1.0, 3.0])
    assert result.pearson_r is None
    assert result.note.startswith("n = 2")


def test_it_gives_nothing_for_a_constant_series():
    result = association([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    assert result.pearson_r is None
    assert "constant" in result.note


def test_it_rejects_unpaired_series():
    with pytest.raises(PhysiologyError, match="paired"):
        association([1.0, 2.0], [1.0])


def test_it_rejects_infinite_values():
    with pytest.raises(PhysiologyError, match="infinite"):
        association([1.0, math.inf, 3.0], [1.0, 2.0, 3.0])
