"""Store a fitted trajectory model as plain JSON and use it without refitting.

A clinic's trajectory model is fitted now and then (``touchstone fit-trajectories`` or when
the stored fit is stale) and read on every progress page, so only what
:func:`~touchstone.science.trajectories.expected_trajectory` needs is kept: the fixed
effects and their covariance, the random-effect covariance, the residual SD and which
covariates the model has. :func:`band_at` evaluates the same band as
``expected_trajectory`` for many (time, baseline) pairs at once (one row per observation of
many clients), so a "not on track" list needs no per-client loop.

Examples
--------
>>> import numpy as np
>>> from touchstone.science.trajectories import fit_trajectory_model
>>> rng = np.random.default_rng(7)
>>> client = np.repeat(np.arange(40), 6); week = np.tile(np.arange(6.0), 40)
>>> intake = rng.normal(15, 3, 40)[client]
>>> model = fit_trajectory_model(0.9 * intake - week + rng.normal(0, 2, 240), week, client, intake)
>>> again = model_from_params(model_params(model))
>>> bool(np.allclose(again.fit.fixed_effects, model.fit.fixed_effects))
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from touchstone.science.trajectories.lmm import FloatArray, MixedModelFit
from touchstone.science.trajectories.model import (
    DEFAULT_LEVEL,
    TrajectoryModel,
    _design,
    band_quantile,
)

PARAMS_VERSION = 1


def model_params(model: TrajectoryModel) -> dict[str, Any]:
    """The parameters a stored fit needs, JSON-ready (plus the fit summary for display)."""
    fit = model.fit
    return {
        "version": PARAMS_VERSION,
        "has_baseline": model.has_baseline,
        "time_by_baseline": model.time_by_baseline,
        "fixed_names": list(fit.fixed_names),
        "fixed_effects": fit.fixed_effects.tolist(),
        "fixed_cov": fit.fixed_cov.tolist(),
        "random_cov": fit.random_cov.tolist(),
        "residual_sd": fit.residual_sd,
        "theta": fit.theta.tolist(),
        "summary": fit.to_dict(),
    }


def model_from_params(params: dict[str, Any]) -> TrajectoryModel:
    """Rebuild a :class:`TrajectoryModel` from :func:`model_params` (no per-client effects)."""
    if params.get("version") != PARAMS_VERSION:
        raise ValueError("unknown trajectory parameter version")
    summary = params.get("summary", {})
    beta = np.asarray(params["fixed_effects"], dtype=float)
    fit = MixedModelFit(
        fixed_names=tuple(params["fixed_names"]),
        random_names=("intercept", "time"),
        fixed_effects=beta,
        fixed_se=np.sqrt(np.diag(np.asarray(params["fixed_cov"], dtype=float))),
        fixed_cov=np.asarray(params["fixed_cov"], dtype=float),
        random_cov=np.asarray(params["random_cov"], dtype=float),
        residual_sd=float(params["residual_sd"]),
        theta=np.asarray(params["theta"], dtype=float),
        method=str(summary.get("method", "REML")),
        deviance=float(summary.get("deviance", float("nan"))),
        n_obs=int(summary.get("n_obs", 0)),
        n_groups=int(summary.get("n_groups", 0)),
        converged=bool(summary.get("converged", True)),
        singular=bool(summary.get("singular", False)),
        n_evaluations=int(summary.get("n_evaluations", 0)),
        group_labels=np.empty(0),
        random_effects=np.empty((0, 2)),
    )
    return TrajectoryModel(
        fit=fit,
        has_baseline=bool(params["has_baseline"]),
        time_by_baseline=bool(params["time_by_baseline"]),
    )


def band_at(
    model: TrajectoryModel,
    times: ArrayLike,
    baselines: ArrayLike | None = None,
    *,
    level: float = DEFAULT_LEVEL,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Expected score and band limits for many (time, baseline) pairs at once.

    The same formula as :func:`~touchstone.science.trajectories.expected_trajectory`
    (``x'beta -/+ z sqrt(x'Var(beta)x + z'Sigma_b z + sigma^2)``), with one baseline per
    row instead of one per call.

    Returns
    -------
    (expected, lower, upper) : tuple of numpy.ndarray
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if model.has_baseline:
        if baselines is None:
            raise ValueError("this model was fitted with a baseline covariate: pass baselines")
        b = np.broadcast_to(np.asarray(baselines, dtype=float), t.shape)
    else:
        b = None
    x, z = _design(t, b, model.has_baseline, model.time_by_baseline)
    fit = model.fit
    expected = x @ fit.fixed_effects
    var = (
        np.einsum("ij,jk,ik->i", x, fit.fixed_cov, x)
        + np.einsum("ij,jk,ik->i", z, fit.random_cov, z)
        + fit.residual_sd**2
    )
    half = band_quantile(level) * np.sqrt(var)
    return expected, expected - half, expected + half
