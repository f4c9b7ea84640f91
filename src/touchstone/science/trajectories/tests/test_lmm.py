"""The mixed-model fit against lme4 (sleepstudy and a simulated clinic with singletons).

Tolerances: the REML/ML surface is flat near its optimum, so lme4 (BOBYQA) and our L-BFGS-B
both stop with ``theta`` known to about 1e-5 relative; on these data our log-likelihood is
within 1e-9 of lme4's or higher. Hence: fixed effects within 1e-4 of their standard error,
standard errors, SDs and residual SD within 2e-4 relative, the correlation within 2e-4, and
the log-likelihood within 1e-6 absolute. The published sleepstudy figures are rounded and
are compared at their printed digits.
"""

import csv
from pathlib import Path

import numpy as np
import pytest

from touchstone.science.trajectories import fit_mixed_model, fit_trajectory_model
from touchstone.science.trajectories.lmm import _solve_blocks, group_sums, profile
from touchstone.science.trajectories.tests import lme4_reference as ref

FIXTURES = Path(__file__).parent / "fixtures"


def _read(name: str) -> dict[str, list[str]]:
    with (FIXTURES / name).open() as handle:
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


def _sleep_fit(sleep: dict[str, np.ndarray], method: str):
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])
    return fit_mixed_model(sleep["y"], design, design, sleep["g"], method=method)


def _assert_matches(fit, expected: dict) -> None:
    error_in_se = (fit.fixed_effects - np.array(expected["fixed_effects"])) / fit.fixed_se
    np.testing.assert_array_less(np.abs(error_in_se), 1e-4)
    np.testing.assert_allclose(fit.fixed_se, expected["fixed_se"], rtol=2e-4)
    np.testing.assert_allclose(fit.random_sd, expected["random_sd"], rtol=2e-4)
    if "random_corr" in expected:
        assert fit.random_corr[1, 0] == pytest.approx(expected["random_corr"], abs=2e-4)
    assert fit.residual_sd == pytest.approx(expected["residual_sd"], rel=2e-4)
    assert fit.log_likelihood == pytest.approx(expected["log_likelihood"], abs=1e-6)
    assert fit.converged


def test_it_matches_the_published_sleepstudy_reml_estimates(sleep):
    fit = _sleep_fit(sleep, "REML")
    published = ref.PUBLISHED_REML
    # Fixed effects are tested at 1e-13 in lme4's tests/lmer-1.R; with this balanced design
    # they equal OLS whatever theta is, so 1e-10 leaves only floating-point slack.
    np.testing.assert_allclose(fit.fixed_effects, published["fixed_effects"], rtol=1e-10)
    np.testing.assert_allclose(fit.fixed_se, published["fixed_se"], atol=1e-4)
    np.testing.assert_allclose(fit.random_sd, published["random_sd"], atol=5e-4)
    assert round(float(fit.random_corr[1, 0]), 3) == published["random_corr"]
    assert round(fit.residual_sd, 3) == published["residual_sd"]
    assert round(fit.deviance, 3) == published["reml_criterion"]


def test_it_matches_the_published_sleepstudy_ml_refit(sleep):
    fit = _sleep_fit(sleep, "ML")
    assert round(fit.deviance, 3) == ref.PUBLISHED_ML["deviance"]
    assert round(fit.aic, 2) == ref.PUBLISHED_ML["aic"]
    assert round(fit.bic, 1) == ref.PUBLISHED_ML["bic"]


@pytest.mark.parametrize(("method", "expected"), [("REML", ref.SLEEP_REML), ("ML", ref.SLEEP_ML)])
def test_it_matches_lme4_on_sleepstudy_to_many_digits(sleep, method, expected):
    fit = _sleep_fit(sleep, method)
    _assert_matches(fit, expected)
    assert fit.aic == pytest.approx(expected["aic"], abs=1e-6)
    assert fit.bic == pytest.approx(expected["bic"], abs=1e-6)


def test_it_finds_lme4s_theta_and_random_effects(sleep):
    fit = _sleep_fit(sleep, "REML")
    np.testing.assert_allclose(fit.theta, ref.SLEEP_REML["theta"], rtol=1e-4, atol=1e-5)
    assert list(fit.group_labels[:3]) == ["308", "309", "310"]
    np.testing.assert_allclose(fit.random_effects[:3], ref.SLEEP_REML["ranef_first3"], atol=1e-3)


def test_it_fits_a_random_intercept_only_model(sleep):
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])
    fit = fit_mixed_model(sleep["y"], design, np.ones((len(sleep["y"]), 1)), sleep["g"])
    _assert_matches(fit, ref.SLEEP_INTERCEPT_ONLY)


def test_it_matches_lme4_with_baseline_interaction_and_single_visit_clients(sim):
    model = fit_trajectory_model(sim["y"], sim["t"], sim["g"], sim["b"], time_by_baseline=True)
    _assert_matches(model.fit, ref.SIM_INTERACTION_REML)
    labels = list(model.fit.group_labels)
    for client, effects in ref.SIM_INTERACTION_REML["ranef"].items():
        np.testing.assert_allclose(
            model.fit.random_effects[labels.index(client)], effects, atol=1e-4
        )


def test_it_matches_lme4_ml_with_baseline_interaction(sim):
    model = fit_trajectory_model(
        sim["y"], sim["t"], sim["g"], sim["b"], time_by_baseline=True, method="ML"
    )
    _assert_matches(model.fit, ref.SIM_INTERACTION_ML)


def test_it_matches_lme4_without_the_interaction(sim):
    model = fit_trajectory_model(sim["y"], sim["t"], sim["g"], sim["b"])
    assert model.fit.fixed_names == ("intercept", "time", "baseline")
    _assert_matches(model.fit, ref.SIM_ADDITIVE_REML)


def test_it_gives_the_same_deviance_through_the_general_block_solver(sleep):
    # The 2x2 closed form and numpy's batched LAPACK path must agree.
    rng = np.random.default_rng(3)
    raw = rng.normal(size=(50, 2, 2))
    a = np.einsum("mij,mkj->ikm", raw, raw) + 2 * np.eye(2)[:, :, None]
    rhs = rng.normal(size=(2, 50, 3))
    fast, fast_logdet = _solve_blocks(a, rhs)
    blocks = a.transpose(2, 0, 1)
    slow = np.linalg.solve(blocks, rhs.transpose(1, 0, 2)).transpose(1, 0, 2)
    np.testing.assert_allclose(fast, slow, rtol=1e-10)
    np.testing.assert_allclose(fast_logdet, np.linalg.slogdet(blocks)[1], rtol=1e-10)


def test_it_evaluates_lme4s_reml_criterion_at_lme4s_theta(sleep):
    # At lme4's own theta the profiled deviance must reproduce -2 logLik exactly
    # (up to rounding), independent of our optimiser.
    design = np.column_stack([np.ones_like(sleep["t"]), sleep["t"]])
    codes = np.unique(sleep["g"], return_inverse=True)[1]
    data = group_sums(sleep["y"], design, design, codes, 18)
    prof = profile(np.array(ref.SLEEP_REML["theta"]), data, reml=True)
    assert prof.deviance == pytest.approx(-2 * ref.SLEEP_REML["log_likelihood"], abs=1e-8)


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
    summary = _sleep_fit(sleep, "REML").to_dict()
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
