"""Sample size: statsmodels' t-test power against R's power.t.test, then the ANCOVA factor."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from touchstone.science.trials import achieved_power, sample_size

# Printed by fixtures/trials_reference.R (power.t.test(..., strict = TRUE, tol = 1e-12)).
R = json.loads((Path(__file__).parent / "fixtures" / "trials_r.json").read_text())


@pytest.mark.parametrize("case", R["power"], ids=lambda c: f"d{c['delta']}-sd{c['sd']}")
def test_it_matches_r_power_t_test(case):
    s = sample_size(case["delta"], case["sd"], alpha=case["sig_level"], power=case["power"])
    assert s.n_ttest_control == pytest.approx(case["n"], abs=1e-6)
    power = achieved_power(30, case["delta"], case["sd"], alpha=case["sig_level"])
    assert power == pytest.approx(case["power_at_30"], abs=1e-9)


def test_it_shrinks_the_t_test_size_by_one_minus_rho_squared():
    # Borm, Fransen & Lemmens 2007: n_ANCOVA = (1 - rho^2) n_t-test.
    plain = sample_size(5, 10)
    adjusted = sample_size(5, 10, correlation=0.5)
    assert adjusted.n_ancova_control == pytest.approx(plain.n_ttest_control * 0.75, rel=1e-12)
    assert adjusted.n_per_arm == (math.ceil(63.765610190941892 * 0.75),) * 2 == (48,) * 2


def test_it_inflates_for_dropout_and_unequal_allocation():
    s = sample_size(5, 10, correlation=0.5, ratio=2, dropout=0.2)
    assert s.n_per_arm[1] == math.ceil(s.n_ancova_control * 2)
    assert s.n_total_with_dropout == math.ceil(s.n_total / 0.8)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"difference": 0, "sd": 1},
        {"difference": 1, "sd": -1},
        {"difference": 1, "sd": 1, "correlation": 1},
        {"difference": 1, "sd": 1, "dropout": 1},
        {"difference": 1, "sd": 1, "power": 0.01},
    ],
)
def test_it_refuses_impossible_inputs(kwargs):
    with pytest.raises(ValueError):
        sample_size(**kwargs)
