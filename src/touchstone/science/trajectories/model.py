"""Expected-recovery trajectories: ``score ~ time + baseline (+ time:baseline) + (time | client)``.

A clinic's history of scores is fitted once by :func:`fit_trajectory_model`; for each active
client :func:`expected_trajectory` gives the score expected at each time for someone with
their baseline, with a prediction band, and :func:`flag_not_on_track` marks observed scores
that are worse than the band. This is the feedback idea of expected-treatment-response
systems (Lambert et al. 2001, *Psychother Res* 11(1):49-68, doi:10.1080/713663852; Finch,
Lambert & Schaalje 2001, *Clin Psychol Psychother* 8(4):231-242, doi:10.1002/cpp.286, who
build expected recovery curves from a multilevel model with intake score as predictor).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from touchstone.science.trajectories.lmm import FloatArray, MixedModelFit, fit_mixed_model

#: Default fewest clients for a fit. Variance components of a random intercept and slope
#: are poorly estimated from very few groups; five levels is the usual floor for treating a
#: factor as random (Bolker et al. 2009, *Trends Ecol Evol* 24(3):127-135,
#: doi:10.1016/j.tree.2008.10.008; lme4's ``check.nlev.gtreq.5`` warning uses the same 5).
MIN_CLIENTS = 5

#: Default coverage of the prediction band: a central 80% interval, so a client whose true
#: course follows the model is flagged "not on track" at a given visit with probability
#: 10% (only the worse side flags). This is a design choice, not a published cut-off:
#: an early-warning signal should err towards sensitivity; pass ``level=0.9`` for fewer,
#: surer alerts (5% per visit).
DEFAULT_LEVEL = 0.80


@dataclass(frozen=True)
class TrajectoryModel:
    """A fitted trajectory model.

    Attributes
    ----------
    fit : MixedModelFit
        The underlying mixed model (fixed effects named ``intercept``, ``time``,
        ``baseline``, ``time:baseline``; random effects ``intercept``, ``time``).
    has_baseline, time_by_baseline : bool
        Which covariates the model contains.
    """

    fit: MixedModelFit
    has_baseline: bool
    time_by_baseline: bool

    def design(self, times: FloatArray, baseline: float | None) -> tuple[FloatArray, FloatArray]:
        """Fixed- and random-effect rows ``(X, Z)`` for one client at ``times``."""
        if self.has_baseline and baseline is None:
            raise ValueError("this model was fitted with a baseline covariate: pass baseline")
        if not self.has_baseline and baseline is not None:
            raise ValueError("this model was fitted without a baseline covariate")
        if baseline is not None and not np.isfinite(baseline):
            raise ValueError("baseline must be a finite number")
        return _design(times, baseline, self.has_baseline, self.time_by_baseline)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary."""
        return {
            **self.fit.to_dict(),
            "has_baseline": self.has_baseline,
            "time_by_baseline": self.time_by_baseline,
        }


@dataclass(frozen=True)
class ExpectedTrajectory:
    """Expected scores and prediction band for one client.

    Attributes
    ----------
    times, expected, lower, upper, se : numpy.ndarray
        Time points, expected score, band limits and the prediction standard error.
    level : float
        Central coverage of the band.
    """

    times: FloatArray
    expected: FloatArray
    lower: FloatArray
    upper: FloatArray
    se: FloatArray
    level: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready lists."""
        return {
            "level": self.level,
            "times": self.times.tolist(),
            "expected": self.expected.tolist(),
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
            "se": self.se.tolist(),
        }


@dataclass(frozen=True)
class OnTrackCheck:
    """Observed scores against the expected band.

    Attributes
    ----------
    band : ExpectedTrajectory
        The band at the observed times.
    observed : numpy.ndarray
        The observed scores.
    not_on_track : numpy.ndarray of bool
        Per observation: worse than the band (below ``lower`` when higher is better,
        above ``upper`` when lower is better).
    higher_is_better : bool
        Direction of the instrument.
    """

    band: ExpectedTrajectory
    observed: FloatArray
    not_on_track: np.ndarray[Any, np.dtype[np.bool_]]
    higher_is_better: bool

    @property
    def latest_not_on_track(self) -> bool:
        """The flag at the latest observed time (what a clinician's list shows)."""
        return bool(self.not_on_track[int(np.argmax(self.band.times))])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary."""
        return {
            **self.band.to_dict(),
            "observed": self.observed.tolist(),
            "not_on_track": self.not_on_track.tolist(),
            "latest_not_on_track": self.latest_not_on_track,
            "higher_is_better": self.higher_is_better,
        }


@cache
def band_quantile(level: float) -> float:
    """The standard normal quantile that bounds a central band of ``level`` (1.96 for 0.95).

    Computed once per level: scipy's ``norm.ppf`` costs some 100 µs a call, and every
    progress page evaluates a band per instrument twice.
    """
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _design(
    times: FloatArray, baseline: float | FloatArray | None, has_baseline: bool, interaction: bool
) -> tuple[FloatArray, FloatArray]:
    ones = np.ones_like(times)
    cols = [ones, times]
    if has_baseline:
        base = np.broadcast_to(np.asarray(baseline, dtype=float), times.shape)
        cols.append(base)
        if interaction:
            cols.append(times * base)
    return np.column_stack(cols), np.column_stack([ones, times])


def _finite_vector(name: str, values: ArrayLike, n: int | None = None) -> FloatArray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} values, expected {n}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(f"{name} is missing or infinite at row {int(bad[0])}")
    return arr


def fit_trajectory_model(
    score: ArrayLike,
    time: ArrayLike,
    client: ArrayLike,
    baseline: ArrayLike | None = None,
    *,
    time_by_baseline: bool = False,
    method: str = "REML",
    min_clients: int = MIN_CLIENTS,
) -> TrajectoryModel:
    """Fit the clinic's trajectory model, as lme4's ``lmer(score ~ time*baseline + (time|client))``.

    Parameters
    ----------
    score : array_like
        One score per observation.
    time : array_like
        Time of each observation (e.g. weeks since intake; any consistent unit).
    client : array_like
        Client identifier of each observation.
    baseline : array_like, optional
        Baseline (intake) score of the observation's client, repeated on each of its rows;
        it must be constant within a client. Omit for ``score ~ time + (time | client)``.
    time_by_baseline : bool
        Add the ``time:baseline`` interaction (recovery speed depending on severity).
    method : {"REML", "ML"}
        REML (lme4's default) for estimates; ML to compare models with different fixed
        effects by likelihood.
    min_clients : int
        Fewest distinct clients accepted (default :data:`MIN_CLIENTS`).

    Returns
    -------
    TrajectoryModel

    Raises
    ------
    ValueError
        On missing or infinite values (the row is named), mismatched lengths, a baseline
        that varies within a client, a time that never varies, fewer than ``min_clients``
        clients, or fewer observations than lme4 would accept.

    Notes
    -----
    Clients with a single observation are kept: they carry information on the intercept
    variance and the fixed effects, and their random slope is shrunk to the mean slope.
    Whether to include the intake observation itself (time 0) as a response is the
    caller's choice; with ``baseline`` as covariate the usual design fits only follow-up
    scores (time > 0).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> client = np.repeat(np.arange(40), 6); week = np.tile(np.arange(6.0), 40)
    >>> intake = rng.normal(15, 3, 40)[client]
    >>> phq9 = 0.9 * intake - 1.0 * week + rng.normal(0, 2, 240)
    >>> model = fit_trajectory_model(phq9, week, client, intake)
    >>> round(model.fit.to_dict()["fixed_effects"]["time"])
    -1
    """
    y = _finite_vector("score", score)
    n = y.shape[0]
    t = _finite_vector("time", time, n)
    ids = np.asarray(client)
    if ids.shape != (n,):
        raise ValueError(f"client has {ids.size} values, expected {n}")
    labels, codes = np.unique(ids, return_inverse=True)
    if len(labels) < min_clients:
        raise ValueError(
            f"need at least {min_clients} clients to fit a trajectory model, got {len(labels)}"
        )
    if np.ptp(t) == 0:
        raise ValueError("time never varies, so no slope can be estimated")
    base: FloatArray | None = None
    if baseline is not None:
        base = _finite_vector("baseline", baseline, n)
        lo = np.full(len(labels), np.inf)
        hi = np.full(len(labels), -np.inf)
        np.minimum.at(lo, codes, base)
        np.maximum.at(hi, codes, base)
        varying = np.flatnonzero(hi - lo > 1e-9 * np.maximum(1.0, np.abs(hi)))
        if varying.size:
            raise ValueError(f"baseline varies within client {labels[varying[0]].item()!r}")
    elif time_by_baseline:
        raise ValueError("time_by_baseline needs a baseline")
    x, z = _design(t, base, base is not None, time_by_baseline)
    names = ("intercept", "time", "baseline", "time:baseline")[: x.shape[1]]
    fit = fit_mixed_model(
        y,
        x,
        z,
        codes,
        fixed_names=names,
        random_names=("intercept", "time"),
        method=method,
    )
    # Report the caller's client identifiers, not the internal codes.
    fit = _relabel(fit, labels)
    return TrajectoryModel(
        fit=fit, has_baseline=base is not None, time_by_baseline=time_by_baseline
    )


def _relabel(fit: MixedModelFit, labels: np.ndarray[Any, Any]) -> MixedModelFit:
    return replace(fit, group_labels=labels[fit.group_labels.astype(np.intp)])


def expected_trajectory(
    model: TrajectoryModel,
    times: ArrayLike,
    baseline: float | None = None,
    *,
    level: float = DEFAULT_LEVEL,
) -> ExpectedTrajectory:
    """Expected score and prediction band for a client with this baseline.

    The expected score is ``x' beta``; the band is for a single observed score of a new
    client whose own random effects are unknown::

        Var  = x' Var(beta) x + z' Sigma_b z + sigma^2
        band = x' beta -/+ z_{(1 + level) / 2} sqrt(Var)

    (the marginal predictive variance of a linear mixed model, e.g. Pinheiro & Bates 2000,
    *Mixed-Effects Models in S and S-PLUS*, section 2.4, with the fixed-effect uncertainty
    added). The variance components are treated as known, which is accurate for the
    hundreds of clients a trajectory model needs.

    Parameters
    ----------
    model : TrajectoryModel
        A fitted model.
    times : array_like
        Times at which to evaluate the trajectory.
    baseline : float, optional
        The client's baseline score (required if the model has one).
    level : float
        Central coverage of the band, 0 < level < 1 (default 0.80).

    Returns
    -------
    ExpectedTrajectory
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    t = _finite_vector("times", np.atleast_1d(np.asarray(times, dtype=float)))
    x, z = model.design(t, baseline)
    fit = model.fit
    expected = x @ fit.fixed_effects
    var = (
        np.einsum("ij,jk,ik->i", x, fit.fixed_cov, x)
        + np.einsum("ij,jk,ik->i", z, fit.random_cov, z)
        + fit.residual_sd**2
    )
    se = np.sqrt(var)
    half = band_quantile(level) * se
    return ExpectedTrajectory(
        times=t, expected=expected, lower=expected - half, upper=expected + half, se=se, level=level
    )


def flag_not_on_track(
    model: TrajectoryModel,
    times: ArrayLike,
    observed: ArrayLike,
    baseline: float | None = None,
    *,
    higher_is_better: bool,
    level: float = DEFAULT_LEVEL,
) -> OnTrackCheck:
    """Flag observed scores that are worse than the expected band.

    Parameters
    ----------
    model : TrajectoryModel
        A fitted model.
    times, observed : array_like
        The client's observation times and scores.
    baseline : float, optional
        The client's baseline score (required if the model has one).
    higher_is_better : bool
        ``True`` for instruments where a higher score is better (WHO-5 well-being);
        ``False`` for symptom scales (PHQ-9, GAD-7), where worse means above the band.
    level : float
        Central coverage of the band (default 0.80, so 10% false alarms per visit).

    Returns
    -------
    OnTrackCheck

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(7)
    >>> client = np.repeat(np.arange(40), 6); week = np.tile(np.arange(6.0), 40)
    >>> intake = rng.normal(15, 3, 40)[client]
    >>> phq9 = 0.9 * intake - 1.0 * week + rng.normal(0, 2, 240)
    >>> model = fit_trajectory_model(phq9, week, client, intake)
    >>> check = flag_not_on_track(model, [1, 2, 3], [13, 14, 16], 15.0, higher_is_better=False)
    >>> check.latest_not_on_track
    True
    """
    t = _finite_vector("times", np.atleast_1d(np.asarray(times, dtype=float)))
    y = _finite_vector("observed", np.atleast_1d(np.asarray(observed, dtype=float)), t.shape[0])
    band = expected_trajectory(model, t, baseline, level=level)
    worse = y < band.lower if higher_is_better else y > band.upper
    return OnTrackCheck(
        band=band, observed=y, not_on_track=worse, higher_is_better=higher_is_better
    )
