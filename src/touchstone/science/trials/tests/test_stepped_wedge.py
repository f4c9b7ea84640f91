"""Stepped-wedge studies across clinics: the concealed schedule, Hussey & Hughes' power
formula against the generalised-least-squares variance, and the analysis against R's lmer."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from touchstone.science.trials.stepped_wedge import (
    analyse,
    design_matrix,
    power,
    schedule,
    theta_variance,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
R = json.loads((FIXTURES / "stepped_wedge_r.json").read_text())
SEED = bytes(range(32))


def test_the_schedule_is_balanced_concealed_and_reproducible():
    clinics = [f"clinic{i}" for i in range(10)]
    first = schedule(SEED, clinics, 5)
    assert first == schedule(SEED, list(reversed(clinics)), 5)  # the order given is irrelevant
    assert sorted(np.bincount(list(first.values()))[2:]) == [2, 2, 3, 3]  # 10 over 4 steps
    assert first != schedule(bytes(32), clinics, 5)  # another seed, another schedule
    with pytest.raises(ValueError, match="at least 4 clinics"):
        schedule(SEED, clinics[:3], 5)
    with pytest.raises(ValueError, match="each clinic once"):
        schedule(SEED, ["a", "a", "b"], 3)


def test_the_design_matrix_crosses_each_clinic_once_and_never_back():
    x = design_matrix([2, 3, 4], 4)
    assert x.tolist() == [[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1]]


def _gls_variance(x: np.ndarray, sigma2_mean: float, tau2: float) -> float:
    """Var(theta) from (X' V^-1 X)^-1 over the cluster-period means: intercept, one column per
    period after the first, treatment; V block-diagonal per clinic, s2 I + tau2 J."""
    clusters, periods = x.shape
    rows = []
    for i in range(clusters):
        for j in range(periods):
            rows.append([1.0, *[1.0 if j == k else 0.0 for k in range(1, periods)], x[i, j]])
    design = np.array(rows)
    block = sigma2_mean * np.eye(periods) + tau2 * np.ones((periods, periods))
    v_inv = np.kron(np.eye(clusters), np.linalg.inv(block))
    return float(np.linalg.inv(design.T @ v_inv @ design)[-1, -1])


@pytest.mark.parametrize(
    ("starts", "periods", "sigma2_mean", "tau2"),
    [
        ([2, 3, 4, 5], 5, 2.0, 0.5),
        ([2, 2, 3, 3, 4, 4], 4, 3.2, 0.0),
        ([2, 3, 3, 4, 5], 5, 1.0, 4.0),
    ],
)
def test_hussey_hughes_variance_equals_the_gls_variance(starts, periods, sigma2_mean, tau2):
    x = design_matrix(starts, periods)
    assert theta_variance(x, sigma2_mean, tau2) == pytest.approx(
        _gls_variance(x, sigma2_mean, tau2), rel=1e-10
    )


def test_power_grows_with_clinics_and_is_not_eroded_by_the_icc():
    base = power(12, 5, 10, 3.0, 6.0, 0.05)
    assert 0 < base.power < 1
    assert power(24, 5, 10, 3.0, 6.0, 0.05).power > base.power
    # Unlike a parallel cluster trial, the within-clinic before/after contrasts leave a
    # stepped wedge insensitive to the ICC, and more efficient where it is high, at a fixed
    # total variance (Baio et al. 2015, "Sample size calculation for a stepped wedge trial",
    # Trials 16:354, doi:10.1186/s13063-015-0840-9): here 0.963 -> 0.970.
    assert power(12, 5, 10, 3.0, 6.0, 0.2).power > base.power
    # The closed form at the documented inputs: tau^2 = 0.05 * 36, residual 0.95 * 36 / 10.
    starts = [2 + k % 4 for k in range(12)]
    expected = theta_variance(design_matrix(starts, 5), 0.95 * 36 / 10, 0.05 * 36)
    assert base.variance == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="ICC"):
        power(12, 5, 10, 3.0, 6.0, 1.0)


def test_the_analysis_equals_r_lmer():
    with (FIXTURES / "stepped_wedge.csv").open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    result = analyse(
        [float(r["score"]) for r in rows],
        [r["cluster"] for r in rows],
        [int(r["period"]) for r in rows],
        [int(r["treated"]) for r in rows],
    )
    assert result.n_observations == R["n"] and result.n_clusters == 9
    for key in ("estimate", "se", "ci_low", "ci_high", "tau", "sigma"):
        assert getattr(result, key) == pytest.approx(R[key], abs=1e-6), key


def test_the_analysis_refuses_data_without_both_conditions():
    with pytest.raises(ValueError, match="both usual care and the intervention"):
        analyse([1.0, 2.0, 3.0], ["a", "b", "c"], [1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="finite"):
        analyse([1.0, float("nan")], ["a", "b"], [1, 2], [0, 1])
