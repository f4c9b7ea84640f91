"""The mixed-model fit against lme4 (sleepstudy, a small simulated clinic with single-visit
clients, and a simulated clinic of 1,000 clients) and against statsmodels.

References: ``fixtures/lme4_1_1_31.json``, printed with 17 significant digits by
``fixtures/lme4_reference.R`` (R 4.2.2, lme4 1.1.31). Each model was fitted twice in R:

* ``tight`` -- BOBYQA run until it stops moving (``xtol_abs = ftol_abs = 1e-14``): the optimum
  up to floating-point noise. Touchstone must agree with it closely: log-likelihood within
  1e-10 relative, fixed effects within 1e-5 of their SE, SEs, SDs, theta and BLUPs within
  1e-5 (observed: 1e-14 relative on the log-likelihood, about 1e-7 on the rest, under the
  Zen, Haswell, Sandybridge, Nehalem and Prescott kernels).
* ``default`` -- lme4 as users run it. It stops about 1e-5 (relative) from the optimum in
  the parameters; that distance, ``|default - tight|``, is lme4's own accuracy, and each
  quantity must be within twice that distance (plus the tight tolerance) of the default
  fit, with a log-likelihood within 1e-6 relative and never below lme4's.

The published sleepstudy figures are rounded; they are compared within half a unit of their
last printed digit.
"""

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from touchstone.science.trajectories import fit_mixed_model, fit_trajectory_model
from touchstone.science.trajectories.lmm import (
    DEVIANCE_RTOL,
    _newton_step,
    _Objective,
    _optimise,
    _solve_blocks,
    group_sums,
    profile,
)
from touchstone.science.trajectories.tests import lme4_reference as published

FIXTURES = Path(__file__).parent / "fixtures"
LME4: dict[str, Any] = json.loads((FIXTURES / "lme4_1_1_31.json").read_text())
#: Agreement with lme4 run to its optimum (see the module docstring).
TIGHT = 1e-5


def _read(name: str) -> dict[str, list[str]]:
    opener = gzip.open if name.endswith(".gz") else open
    with opener(FIXTURES / name, "rt") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    return {key: [row[key] for row in rows] for key in rows[0]}


@pytest.fixture(scope="module")
def sleep() -> dict[str, np.ndarray]:
    data = _read("sleepstudy.csv")
    return {
        "y": np.array(data["Reaction"], dtype=float),
        "t": np.array(data["Days"], dtype=float),
        "g": np.array(data["Subject"]),
    }


@pytest.fixture(scope="module")
def sim() -> dict[str, np.ndarray]:
    data = _read("phq9_sim.csv")
    return {
        "y": np.array(data["score"], dtype=float),
        "t": np.array(data["week"], dtype=float),
        "b": np.array(data["baseline"], dtype=float),
        "g": np.array(data["client"]),
    }


@pytest.fixture(scope="module")
def clinic() -> dict[str, np.ndarray]:
    # bench/trajectories.py simulate_csv(1000, seed=0): 1,000 clients x 8 weekly scores
    data = _read("clinic1000.csv.gz")
    return {
        "y": np.array(data["score"], dtype=float),
        "t": np.array(data["time"], dtype=float),
        "b": np.array(data["baseline"], dtype=float),
        "g": np.array(data["client"]),
    }


def _sleep_fit(sleep: dict[str, np.ndarray], method: str = "REML", **kwargs: Any):
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])
    return fit_mixed_model(sleep["y"], design, design, sleep["g"], method=method, **kwargs)


def _fits(sleep, sim, clinic) -> dict[str, Any]:
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])

    def traj(data, **kwargs):
        return fit_trajectory_model(data["y"], data["t"], data["g"], data["b"], **kwargs).fit

    return {
        "sleep_reml": _sleep_fit(sleep),
        "sleep_ml": _sleep_fit(sleep, "ML"),
        "sleep_intercept": fit_mixed_model(sleep["y"], design, design[:, :1], sleep["g"]),
        "sim_interaction_reml": traj(sim, time_by_baseline=True),
        "sim_interaction_ml": traj(sim, time_by_baseline=True, method="ML"),
        "sim_additive_reml": traj(sim),
        "clinic1000_reml": traj(clinic, time_by_baseline=True),
    }


@pytest.fixture(scope="module")
def fits(sleep, sim, clinic) -> dict[str, Any]:
    return _fits(sleep, sim, clinic)


def _quantities(fit, groups: list[str]) -> dict[str, np.ndarray]:
    """What is compared, on a common scale: fixed effects in units of their SE, BLUPs in
    units of the largest random-effect SD, the rest as they are."""
    labels = list(fit.group_labels)
    blups = np.array([fit.random_effects[labels.index(g)] for g in groups])
    out = {
        "fixed_effects": fit.fixed_effects / fit.fixed_se,
        "fixed_se": fit.fixed_se,
        "random_sd": fit.random_sd,
        "residual_sd": np.array([fit.residual_sd]),
        "theta": fit.theta,
        "ranef": blups.ravel() / fit.random_sd.max(),
    }
    if len(fit.random_sd) > 1:
        out["random_corr"] = np.array([fit.random_corr[1, 0]])
    return out


def _reference(ref: dict[str, Any], fit) -> dict[str, np.ndarray]:
    out = {
        "fixed_effects": np.asarray(ref["fixed_effects"]) / fit.fixed_se,
        "fixed_se": np.asarray(ref["fixed_se"]),
        "random_sd": np.atleast_1d(ref["random_sd"]),
        "residual_sd": np.array([ref["residual_sd"]]),
        "theta": np.atleast_1d(ref["theta"]),
        "ranef": np.asarray(ref["ranef"], dtype=float).ravel() / fit.random_sd.max(),
    }
    if "random_corr" in ref:
        out["random_corr"] = np.array([ref["random_corr"]])
    return out


def _scale(name: str, value: np.ndarray) -> np.ndarray:
    # relative for SEs and SDs, absolute for the rest (already on a unit scale)
    if name in ("fixed_se", "random_sd", "residual_sd"):
        return np.abs(value)
    return np.maximum(1.0, np.abs(value))


MODELS = [key for key, value in LME4.items() if isinstance(value, dict)]


@pytest.mark.parametrize("model", MODELS)
def test_it_reaches_lme4s_optimum(fits, model):
    # expected: LME4[model]["tight"], the R call in LME4[model]["call"]
    fit, ref = fits[model], LME4[model]["tight"]
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(ref["log_likelihood"], rel=1e-10)
    assert fit.aic == pytest.approx(ref["aic"], rel=1e-10)
    assert fit.bic == pytest.approx(ref["bic"], rel=1e-10)
    ours, theirs = _quantities(fit, ref["ranef_groups"]), _reference(ref, fit)
    for name, expected in theirs.items():
        error = np.abs(ours[name] - expected) / _scale(name, expected)
        assert error.max() <= TIGHT, (name, error.max())


@pytest.mark.parametrize("model", MODELS)
def test_it_is_as_close_to_lme4_with_its_default_control_as_lme4_itself(fits, model):
    # lme4's default stopping rule leaves it ~1e-5 from the optimum (its own accuracy);
    # Touchstone must be within that distance of it, and never at a lower likelihood.
    fit = fits[model]
    default, tight = LME4[model]["default"], LME4[model]["tight"]
    assert fit.log_likelihood == pytest.approx(default["log_likelihood"], rel=1e-6)
    assert fit.log_likelihood >= default["log_likelihood"] - 1e-10 * abs(default["log_likelihood"])
    ours = _quantities(fit, default["ranef_groups"])
    theirs, optimum = _reference(default, fit), _reference(tight, fit)
    for name, expected in theirs.items():
        accuracy = np.abs(optimum[name] - expected) / _scale(name, expected)
        error = np.abs(ours[name] - expected) / _scale(name, expected)
        assert np.all(error <= 2 * accuracy + TIGHT), (name, error, accuracy)


def test_it_matches_the_published_sleepstudy_reml_estimates(sleep):
    fit = _sleep_fit(sleep)
    ref = published.PUBLISHED_REML

    def within_rounding(value: float, printed: float, decimals: int) -> None:
        # the printed figure is value rounded to `decimals` places
        assert abs(value - printed) <= 0.5 * 10.0**-decimals + 1e-12, (value, printed)

    # Fixed effects are tested at 1e-13 in lme4's tests/lmer-1.R; with this balanced design
    # they equal OLS whatever theta is, so 1e-10 leaves only floating-point slack.
    np.testing.assert_allclose(fit.fixed_effects, ref["fixed_effects"], rtol=1e-10)
    for value, printed in zip(fit.fixed_se, ref["fixed_se"], strict=True):
        within_rounding(value, printed, 4)
    for value, printed in zip(fit.random_sd, ref["random_sd"], strict=True):
        within_rounding(value, printed, 3)
    within_rounding(fit.random_corr[1, 0], ref["random_corr"], 3)
    within_rounding(fit.residual_sd, ref["residual_sd"], 3)
    within_rounding(fit.deviance, ref["reml_criterion"], 3)


def test_it_matches_the_published_sleepstudy_ml_refit(sleep):
    fit = _sleep_fit(sleep, "ML")
    assert abs(fit.deviance - published.PUBLISHED_ML["deviance"]) <= 0.5e-3
    assert abs(fit.aic - published.PUBLISHED_ML["aic"]) <= 0.5e-2
    assert abs(fit.bic - published.PUBLISHED_ML["bic"]) <= 0.5e-1


def test_it_evaluates_lme4s_reml_criterion_at_lme4s_theta(sleep):
    # At lme4's own theta the profiled deviance must reproduce -2 logLik (up to rounding),
    # independent of any optimiser.
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])
    codes = np.unique(sleep["g"], return_inverse=True)[1]
    data = group_sums(sleep["y"], design, design, codes, 18)
    for control in ("default", "tight"):
        ref = LME4["sleep_reml"][control]
        prof = profile(np.array(ref["theta"]), data, reml=True)
        assert prof.deviance == pytest.approx(-2 * ref["log_likelihood"], rel=1e-13)


@pytest.mark.parametrize("reml", [True, False])
def test_it_computes_the_exact_gradient_of_the_deviance(sim, reml):
    # The analytic gradient against central differences of the deviance, for q = 2 (the
    # closed-form blocks) and q = 3 (the batched LAPACK path), away from the optimum.
    x = np.column_stack([np.ones_like(sim["t"]), sim["t"], sim["b"]])
    codes = np.unique(sim["g"], return_inverse=True)[1]
    for z, theta in (
        (x[:, :2], np.array([0.5, -0.3, 0.1])),
        (np.column_stack([x[:, :2], sim["t"] ** 2 / 10]), np.array([1, 0.1, 0.05, 0.5, 0.02, 0.3])),
    ):
        data = group_sums(sim["y"], x, z, codes, len(set(codes)))
        grad = profile(theta, data, reml, gradient=True).gradient
        numeric = [
            (profile(theta + h, data, reml).deviance - profile(theta - h, data, reml).deviance)
            / 2e-6
            for h in np.eye(theta.size) * 1e-6
        ]
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "theta0",
    [[0.0, 0.0, 0.0], [10.0, -5.0, 0.01], [1.0, 0.0, 0.0], [0.001, 3.0, 0.001], [0.2, 0.2, 5]],
)
def test_it_reaches_the_optimum_from_any_start(sleep, theta0):
    # [0, 0, 0] is a stationary point (Lambda = 0 has a zero gradient) and [1, 0, 0] has the
    # second diagonal at 0, where its gradient vanishes: both need the interior restart.
    fit = _sleep_fit(sleep, theta0=theta0)
    optimum = LME4["sleep_reml"]["tight"]
    assert fit.converged
    assert fit.log_likelihood == pytest.approx(optimum["log_likelihood"], rel=1e-10)
    np.testing.assert_allclose(fit.theta, optimum["theta"], atol=TIGHT)


@pytest.mark.parametrize("start", [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [5.0, 1.0, 0.0]])
def test_each_start_alone_reaches_the_optimum_of_the_additive_model(sim, start):
    # The additive model on phq9_sim is where the old optimiser stopped at a saddle with the
    # second diagonal at 0 (logLik -596.06, converged=True) under OpenBLAS's SkylakeX and
    # Sandybridge kernels; lme4 reaches -591.77.
    x = np.column_stack([np.ones_like(sim["t"]), sim["t"], sim["b"]])
    codes = np.unique(sim["g"], return_inverse=True)[1]
    data = group_sums(sim["y"], x, x[:, :2], codes, 60)
    best = _optimise(data, True, np.array(start), np.array([True, False, True]))
    assert best.converged
    assert -best.deviance / 2 == pytest.approx(
        LME4["sim_additive_reml"]["tight"]["log_likelihood"], rel=1e-10
    )


def test_it_does_not_call_a_saddle_converged(sim):
    # theta where the old optimiser stopped: the gradient is 0 in the zero diagonal's
    # direction but the deviance falls when moving away from it (negative curvature).
    x = np.column_stack([np.ones_like(sim["t"]), sim["t"], sim["b"]])
    codes = np.unique(sim["g"], return_inverse=True)[1]
    data = group_sums(sim["y"], x, x[:, :2], codes, 60)
    objective = _Objective(data, True)
    is_diag = np.array([True, False, True])
    _, _, curvature_ok = _newton_step(objective, np.array([0.5668, 0.1892, 0.0]), is_diag)
    assert not curvature_ok
    optimum = np.array(LME4["sim_additive_reml"]["tight"]["theta"])
    _, decrease, curvature_ok = _newton_step(objective, optimum, is_diag)
    dev = objective(optimum)[0]
    assert curvature_ok and decrease <= DEVIANCE_RTOL * dev


def test_it_finds_lme4s_random_effects_for_single_visit_clients(fits):
    # c00 has a single visit: its slope is shrunk to the mean slope.
    fit = fits["sim_interaction_reml"]
    ref = LME4["sim_interaction_reml"]["tight"]
    labels = list(fit.group_labels)
    for client, effects in zip(ref["ranef_groups"], ref["ranef"], strict=True):
        np.testing.assert_allclose(fit.random_effects[labels.index(client)], effects, atol=1e-5)


def test_it_matches_statsmodels_mixedlm_on_sleepstudy(sleep):
    # A second, independent implementation (statsmodels' MixedLM, its own optimiser and
    # likelihood code): same REML optimum. statsmodels stops about 1e-6 short in the
    # parameters, so those are compared at 1e-4.
    pd = pytest.importorskip("pandas")
    smf = pytest.importorskip("statsmodels.formula.api")
    frame = pd.DataFrame({"y": sleep["y"], "t": sleep["t"], "g": sleep["g"]})
    with np.errstate(all="ignore"):
        res = smf.mixedlm("y ~ t", frame, groups=frame["g"], re_formula="~t").fit(reml=True)
    fit = _sleep_fit(sleep)
    assert fit.log_likelihood == pytest.approx(float(res.llf), rel=1e-9)
    assert fit.log_likelihood >= float(res.llf) - 1e-9
    np.testing.assert_allclose(fit.fixed_effects, res.fe_params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.fixed_se, res.bse_fe.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(fit.random_cov, res.cov_re.to_numpy(), rtol=1e-4)
    assert fit.residual_sd**2 == pytest.approx(float(res.scale), rel=1e-4)


def test_it_gives_the_same_deviance_through_the_general_block_solver():
    # The 2x2 closed form and numpy's batched LAPACK path must agree.
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(50, 2, 2))
    a = np.einsum("mij,mkj->ikm", raw, raw) + 2 * np.eye(2)[:, :, None]
    rhs = rng.normal(size=(2, 3, 50))
    fast, fast_logdet = _solve_blocks(a, rhs)
    blocks = a.transpose(2, 0, 1)
    slow = np.linalg.solve(blocks, rhs.transpose(2, 0, 1)).transpose(1, 2, 0)
    np.testing.assert_allclose(fast, slow, rtol=1e-10)
    np.testing.assert_allclose(fast_logdet, np.linalg.slogdet(blocks)[1], rtol=1e-10)


def test_it_reports_a_singular_fit_when_the_data_have_no_group_structure():
    # Independent noise: the REML optimum puts Lambda on its boundary (lme4 would say
    # "boundary (singular) fit"); the fit must still converge and say so.
    rng = np.random.default_rng(11)
    groups = np.repeat(np.arange(40), 6)
    time = np.tile(np.arange(6.0), 40)
    y = 5 + 0.5 * time + rng.normal(0, 1, 240)
    design = np.column_stack([np.ones_like(time), time])
    fit = fit_mixed_model(y, design, design, groups)
    assert fit.converged
    assert fit.singular
    assert np.all(np.isfinite(fit.fixed_se))


def test_it_round_trips_to_a_json_ready_dict(sleep):
    summary = _sleep_fit(sleep).to_dict()
    assert summary["n_obs"] == 180
    assert summary["n_groups"] == 18
    assert set(summary["fixed_effects"]) == {"x0", "x1"}
    assert summary["random_corr"]["z1:z0"] == pytest.approx(0.0656, abs=1e-4)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([1.0, np.nan, 3.0, 4.0, 5.0, 6.0], "y has a missing or infinite value at row 1"),
        ([1.0, 2.0, np.inf, 4.0, 5.0, 6.0], "row 2"),
    ],
)
def test_it_refuses_missing_values(y, message):
    design = np.column_stack([np.ones(6), np.arange(6.0)])
    with pytest.raises(ValueError, match=message):
        fit_mixed_model(y, design, design[:, :1], [0, 0, 1, 1, 2, 2])


def test_it_refuses_as_many_random_effects_as_observations():
    design = np.column_stack([np.ones(6), np.arange(6.0)])
    with pytest.raises(ValueError, match=r"check\.nobs\.vs\.nRE"):
        fit_mixed_model(np.arange(6.0), design, design, [0, 0, 1, 1, 2, 2])


def test_it_refuses_a_rank_deficient_design():
    design = np.column_stack([np.ones(8), np.arange(8.0), 2 * np.arange(8.0)])
    with pytest.raises(ValueError, match="rank deficient"):
        fit_mixed_model(np.arange(8.0), design, design[:, :1], [0, 0, 1, 1, 2, 2, 3, 3])


def test_it_refuses_a_start_of_the_wrong_length(sleep):
    with pytest.raises(ValueError, match="theta0 must have 3 entries"):
        _sleep_fit(sleep, theta0=[1.0, 0.0])
