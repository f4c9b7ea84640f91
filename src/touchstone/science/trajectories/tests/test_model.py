"""Expected trajectories, the prediction band and the "not on track" flag."""

import numpy as np
import pytest

from touchstone.science.trajectories import (
    expected_trajectory,
    fit_trajectory_model,
    flag_not_on_track,
)
from touchstone.science.trajectories.tests.test_lmm import _read

# Prediction SE for a new sleepstudy subject at Days 0 and 3, computed in R 4.2.2 /
# lme4 1.1.31 from the REML fit fm <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy):
#   x <- cbind(1, c(0, 3)); sqrt(diag(x %*% vcov(fm) %*% t(x)) +
#     diag(x %*% VarCorr(fm)$Subject %*% t(x)) + sigma(fm)^2)
LME4_PREDICTION_SE = (36.2438310107185, 41.2272462117952)
# qnorm(0.9) in R
Z_80 = 1.2815515655446


@pytest.fixture(scope="module")
def sleep_model():
    data = _read("sleepstudy.csv")
    return fit_trajectory_model(
        np.array(data["Reaction"], dtype=float),
        np.array(data["Days"], dtype=float),
        np.array(data["Subject"]),
    )


@pytest.fixture(scope="module")
def sim_model():
    data = _read("phq9_sim.csv")
    return fit_trajectory_model(
        np.array(data["score"], dtype=float),
        np.array(data["week"], dtype=float),
        np.array(data["client"]),
        np.array(data["baseline"], dtype=float),
        time_by_baseline=True,
    )


def test_it_gives_lme4s_prediction_band_for_a_new_client(sleep_model):
    band = expected_trajectory(sleep_model, [0, 3])
    # expected = fixef: 251.405104848485 + 10.467285959596 * Days (lme4 fixef, see test_lmm)
    np.testing.assert_allclose(
        band.expected, [251.405104848485, 251.405104848485 + 3 * 10.467285959596], rtol=1e-9
    )
    np.testing.assert_allclose(band.se, LME4_PREDICTION_SE, rtol=1e-4)
    np.testing.assert_allclose(band.upper - band.expected, Z_80 * band.se, rtol=1e-10)
    np.testing.assert_allclose(band.expected - band.lower, Z_80 * band.se, rtol=1e-10)
    assert band.level == 0.8


def test_it_uses_the_baseline_and_the_interaction(sim_model):
    beta = sim_model.fit.fixed_effects
    band = expected_trajectory(sim_model, [0.0, 4.0], baseline=20.0)
    by_hand = [beta[0] + 20 * beta[2], beta[0] + 4 * beta[1] + 20 * beta[2] + 80 * beta[3]]
    np.testing.assert_allclose(band.expected, by_hand, rtol=1e-12)


def test_it_widens_the_band_for_a_higher_level(sim_model):
    narrow = expected_trajectory(sim_model, [6.0], baseline=15.0, level=0.8)
    wide = expected_trajectory(sim_model, [6.0], baseline=15.0, level=0.9)
    assert wide.lower[0] < narrow.lower[0] < narrow.upper[0] < wide.upper[0]


def test_it_flags_a_symptom_score_above_the_band(sim_model):
    band = expected_trajectory(sim_model, [2.0, 4.0, 6.0], baseline=18.0)
    observed = [band.expected[0], band.upper[1] + 0.5, band.lower[2] - 0.5]
    check = flag_not_on_track(sim_model, [2.0, 4.0, 6.0], observed, 18.0, higher_is_better=False)
    # Worse for PHQ-9 means higher: only the second visit is worse than the band; the
    # third, far below the band, is better than expected and must not be flagged.
    assert check.not_on_track.tolist() == [False, True, False]
    assert check.latest_not_on_track is False


def test_it_flags_a_wellbeing_score_below_the_band(sim_model):
    band = expected_trajectory(sim_model, [2.0, 4.0], baseline=18.0)
    observed = [band.upper[0] + 1.0, band.lower[1] - 0.5]
    check = flag_not_on_track(sim_model, [2.0, 4.0], observed, 18.0, higher_is_better=True)
    assert check.not_on_track.tolist() == [False, True]
    assert check.latest_not_on_track is True
    assert check.to_dict()["not_on_track"] == [False, True]


def test_it_flags_about_one_visit_in_ten_when_clients_follow_the_model():
    # Simulate a clinic from a known model, fit it, then check new clients against the band:
    # with an 80% band and only the worse side flagged, ~10% of visits are flagged.
    rng = np.random.default_rng(2026)

    def clinic(n_clients: int) -> tuple[np.ndarray, ...]:
        client = np.repeat(np.arange(n_clients), 6)
        week = np.tile(np.arange(1.0, 7.0), n_clients)
        intake = rng.normal(15, 4, n_clients)
        effects = rng.multivariate_normal([0, 0], [[5, -0.3], [-0.3, 0.2]], n_clients)
        score = (
            2
            + 0.8 * intake[client]
            - 1.0 * week
            + effects[client, 0]
            + effects[client, 1] * week
            + rng.normal(0, 2, client.size)
        )
        return score, week, client, intake[client]

    model = fit_trajectory_model(*clinic(1000))
    score, week, _, intake = (column.reshape(2000, 6) for column in clinic(2000))
    flags = np.concatenate(
        [
            flag_not_on_track(
                model, week[c], score[c], intake[c, 0], higher_is_better=False
            ).not_on_track
            for c in range(2000)
        ]
    )
    # Visits of one client are correlated, so the rate varies more than a binomial one:
    # across seeds 0-3 of this simulation (fit on 2,000, 5,000 new clients) it ranged
    # 0.090-0.105, SD about 0.006. 0.075-0.125 is a ~4-SD window around 0.10.
    assert 0.075 < flags.mean() < 0.125


def test_it_keeps_single_visit_clients(sim_model):
    # fixtures/phq9_sim.csv: 60 clients, every tenth has one visit (c00, c10, ...)
    assert sim_model.fit.n_groups == 60
    assert "c00" in set(sim_model.fit.group_labels)


def test_it_names_the_row_of_a_missing_score():
    with pytest.raises(ValueError, match="score is missing or infinite at row 2"):
        fit_trajectory_model([1, 2, np.nan, 4, 5, 6], [0, 1] * 3, ["a", "a", "b", "b", "c", "c"])


def test_it_refuses_too_few_clients():
    with pytest.raises(
        ValueError, match="need at least 5 clients to fit a trajectory model, got 3"
    ):
        fit_trajectory_model(np.arange(9.0), [0, 1, 2] * 3, np.repeat(["a", "b", "c"], 3))


def test_it_refuses_a_baseline_that_changes_within_a_client():
    client = np.repeat(list("abcde"), 3)
    baseline = np.repeat([10.0, 11, 12, 13, 14], 3)
    baseline[4] = 99
    with pytest.raises(ValueError, match="baseline varies within client 'b'"):
        fit_trajectory_model(np.arange(15.0), [0, 1, 2] * 5, client, baseline)


def test_it_refuses_a_time_that_never_varies():
    with pytest.raises(ValueError, match="time never varies"):
        fit_trajectory_model(np.arange(15.0), np.zeros(15), np.repeat(list("abcde"), 3))


def test_it_requires_the_baseline_the_model_was_fitted_with(sim_model, sleep_model):
    with pytest.raises(ValueError, match="pass baseline"):
        expected_trajectory(sim_model, [1.0])
    with pytest.raises(ValueError, match="without a baseline"):
        expected_trajectory(sleep_model, [1.0], baseline=12.0)


def test_it_refuses_a_level_outside_zero_and_one(sleep_model):
    with pytest.raises(ValueError, match="level"):
        expected_trajectory(sleep_model, [1.0], level=80)


def test_it_summarises_the_model_as_plain_values(sim_model):
    summary = sim_model.to_dict()
    assert summary["time_by_baseline"] is True
    assert set(summary["fixed_effects"]) == {"intercept", "time", "baseline", "time:baseline"}
    assert isinstance(summary["converged"], bool)
