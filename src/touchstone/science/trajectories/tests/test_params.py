"""A stored fit gives the same band as the live model; band_at vectorises expected_trajectory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from touchstone.science.trajectories import expected_trajectory, fit_trajectory_model
from touchstone.science.trajectories.params import band_at, model_from_params, model_params


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(11)
    client = np.repeat(np.arange(60), 5)
    week = np.tile(np.arange(1.0, 6.0), 60)
    intake = rng.normal(15, 3, 60)[client]
    score = 0.9 * intake - 1.0 * week + rng.normal(0, 2, 300)
    return fit_trajectory_model(score, week, client, intake, time_by_baseline=True)


def test_it_round_trips_through_json(model):
    again = model_from_params(json.loads(json.dumps(model_params(model))))
    one = expected_trajectory(model, [0, 2, 4, 8], 17.0)
    two = expected_trajectory(again, [0, 2, 4, 8], 17.0)
    np.testing.assert_allclose(two.expected, one.expected, rtol=1e-14)
    np.testing.assert_allclose(two.lower, one.lower, rtol=1e-14)
    np.testing.assert_allclose(two.upper, one.upper, rtol=1e-14)


def test_it_evaluates_many_baselines_at_once_as_expected_trajectory_does(model):
    weeks = np.array([1.0, 3.0, 6.5, 10.0])
    bases = np.array([8.0, 14.0, 19.0, 25.0])
    expected, lower, upper = band_at(model, weeks, bases, level=0.9)
    for i in range(4):
        one = expected_trajectory(model, [weeks[i]], bases[i], level=0.9)
        assert expected[i] == pytest.approx(one.expected[0], rel=1e-13)
        assert lower[i] == pytest.approx(one.lower[0], rel=1e-13)
        assert upper[i] == pytest.approx(one.upper[0], rel=1e-13)


def test_it_refuses_an_unknown_version(model):
    params = model_params(model) | {"version": 99}
    with pytest.raises(ValueError, match="version"):
        model_from_params(params)
