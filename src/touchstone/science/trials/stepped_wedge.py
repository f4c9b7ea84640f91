"""Stepped-wedge cluster randomised studies across the clinics of a network.

**Design** (Hussey & Hughes 2007, "Design and analysis of stepped wedge cluster randomized
trials", Contemp Clin Trials 28:182-191, doi:10.1016/j.cct.2006.05.007; reporting: Hemming et
al. 2018, the CONSORT extension for stepped wedge trials, BMJ 363:k1614,
doi:10.1136/bmj.k1614). ``T`` periods; every clinic (cluster) gives usual care in period 1,
and at each of the steps 2..T a group of clinics crosses to the intervention and stays there.
The clinics are randomised to the step at which they cross: :func:`schedule` deals them out as
evenly as possible over the ``T - 1`` steps, in an order shuffled (Fisher-Yates) by the same
concealed HMAC-SHA256 stream as the individual allocations (:mod:`.randomisation`, stream
label ``stepped-wedge``), so the schedule is a pure function of the sealed seed and the list
of clinics, and can be regenerated for audit.

**Analysis**: the Hussey & Hughes model over the clients' scores,
``y = mu + beta_period + theta * treated + alpha_clinic + e`` with ``alpha ~ N(0, tau^2)`` and
``e ~ N(0, sigma^2)``, fitted by REML with the project's lme4-equivalent engine (R:
``lmer(score ~ factor(period) + treated + (1 | cluster))``); ``theta`` is the intervention
effect adjusted for secular trend, with a Wald 95% CI (R ``confint(fit, method = "Wald")``).
The tests compare it with R to 1e-6.

**Power** (:func:`power`): Hussey & Hughes' closed form (their equation 8) for the variance of
``theta`` estimated from the cluster-period means,

    Var = I s2 (s2 + T tau2) / ((I U - W) s2 + (U^2 + I T U - T W - I V) tau2),

with ``s2 = sigma^2 / n`` (``n`` clients per clinic and period), ``U`` the number of treated
clinic-periods, ``W`` the sum over periods of the squared number of treated clinics and ``V``
the sum over clinics of the squared number of treated periods; power
``Phi(|theta| / sqrt(Var) - z_{1 - alpha/2})``. The tests check the closed form against the
generalised-least-squares variance computed from the design matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from touchstone.science.trajectories import fit_mixed_model
from touchstone.science.trials.randomisation import shuffled

STRATUM = "stepped-wedge"
LEVEL = 0.95


def schedule(seed: bytes, clusters: Sequence[str], periods: int) -> dict[str, int]:
    """The period (2..``periods``) in which each clinic starts the intervention.

    Clinics are shuffled by the concealed stream, then dealt to the ``periods - 1`` steps in
    turn, so each step gets ``floor`` or ``ceil`` of ``len(clusters) / (periods - 1)`` clinics.

    >>> s = schedule(b"0" * 32, ["a", "b", "c", "d"], 3)
    >>> sorted(s.values())
    [2, 2, 3, 3]
    """
    if periods < 2:
        raise ValueError("a stepped-wedge study needs at least 2 periods")
    names = list(clusters)
    if len(set(names)) != len(names):
        raise ValueError("each clinic once")
    if len(names) < periods - 1:
        raise ValueError(f"{periods - 1} steps need at least {periods - 1} clinics")
    order = shuffled(seed, STRATUM, names)
    return {name: 2 + k % (periods - 1) for k, name in enumerate(order)}


def design_matrix(starts: Sequence[int], periods: int) -> npt.NDArray[np.int_]:
    """``X[i, j] = 1`` when clinic ``i`` (starting in period ``starts[i]``, 1-based) gives the
    intervention in period ``j + 1``."""
    start = np.asarray(starts, dtype=int)
    return (np.arange(1, periods + 1)[None, :] >= start[:, None]).astype(int)


@dataclass(frozen=True)
class SteppedWedgePower:
    clusters: int
    periods: int
    per_cluster_period: int
    difference: float
    sigma: float
    tau: float
    icc: float
    alpha: float
    variance: float
    power: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def theta_variance(x: npt.ArrayLike, sigma2_mean: float, tau2: float) -> float:
    """Hussey & Hughes' equation 8: the variance of ``theta`` for design ``x`` (clinics x
    periods, 0/1), the variance of a cluster-period mean ``sigma2_mean`` and between-clinic
    variance ``tau2``."""
    design = np.asarray(x, dtype=float)
    n_clusters, n_periods = design.shape
    u = design.sum()
    w = float((design.sum(axis=0) ** 2).sum())
    v = float((design.sum(axis=1) ** 2).sum())
    numerator = n_clusters * sigma2_mean * (sigma2_mean + n_periods * tau2)
    denominator = (n_clusters * u - w) * sigma2_mean + (
        u**2 + n_clusters * n_periods * u - n_periods * w - n_clusters * v
    ) * tau2
    if denominator <= 0:
        raise ValueError("the design cannot estimate the effect (no contrast within periods)")
    return float(numerator / denominator)


def power(
    clusters: int,
    periods: int,
    per_cluster_period: int,
    difference: float,
    sigma: float,
    icc: float,
    *,
    alpha: float = 0.05,
) -> SteppedWedgePower:
    """Power of a balanced stepped-wedge study to detect ``difference`` (two-sided ``alpha``).

    ``sigma`` is the total standard deviation of a client's score and ``icc`` the share of its
    variance between clinics: ``tau^2 = icc sigma^2``, residual ``sigma^2 (1 - icc)``.
    """
    if not 0 <= icc < 1:
        raise ValueError("the ICC must be in [0, 1)")
    if per_cluster_period < 1 or sigma <= 0 or not 0 < alpha < 1:
        raise ValueError("clients per clinic and period >= 1, sigma > 0, 0 < alpha < 1")
    if periods < 2 or clusters < periods - 1:
        raise ValueError(f"{periods - 1} steps need at least {max(periods - 1, 1)} clinics")
    starts = [2 + k % (periods - 1) for k in range(clusters)]
    tau2 = icc * sigma**2
    residual2 = (1 - icc) * sigma**2
    variance = theta_variance(design_matrix(starts, periods), residual2 / per_cluster_period, tau2)
    z = float(stats.norm.ppf(1 - alpha / 2))
    achieved = float(stats.norm.cdf(abs(difference) / np.sqrt(variance) - z))
    return SteppedWedgePower(
        clusters=clusters,
        periods=periods,
        per_cluster_period=per_cluster_period,
        difference=difference,
        sigma=sigma,
        tau=float(np.sqrt(tau2)),
        icc=icc,
        alpha=alpha,
        variance=variance,
        power=achieved,
    )


@dataclass(frozen=True)
class SteppedWedgeResult:
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    tau: float  # between-clinic SD
    sigma: float  # residual SD
    icc: float
    n_clusters: int
    n_observations: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def analyse(
    score: npt.ArrayLike, cluster: npt.ArrayLike, period: npt.ArrayLike, treated: npt.ArrayLike
) -> SteppedWedgeResult:
    """The intervention effect by the Hussey & Hughes model (REML), one row per score.

    ``period`` holds 1-based period numbers (a fixed effect per period after the first);
    ``treated`` is 1 where the clinic gave the intervention in that period.
    """
    y = np.asarray(score, dtype=float)
    groups = np.asarray(cluster)
    p = np.asarray(period, dtype=int)
    t = np.asarray(treated, dtype=float)
    if not (len(y) == len(groups) == len(p) == len(t)):
        raise ValueError("score, cluster, period and treated must have the same length")
    if not np.isfinite(y).all():
        raise ValueError("scores must be finite (drop missing ones before the analysis)")
    if not set(np.unique(t)) <= {0.0, 1.0} or t.min() == t.max():
        raise ValueError("the analysis needs scores under both usual care and the intervention")
    levels = np.unique(p)
    columns = [np.ones(len(y))] + [(p == level).astype(float) for level in levels[1:]]
    x = np.column_stack([*columns, t])
    names = ("intercept", *(f"period{level}" for level in levels[1:]), "treated")
    fit = fit_mixed_model(
        y,
        x,
        np.ones((len(y), 1)),
        groups,
        fixed_names=names,
        random_names=("clinic",),
        method="REML",
    )
    estimate, se = float(fit.fixed_effects[-1]), float(fit.fixed_se[-1])
    z = float(stats.norm.ppf(0.5 + LEVEL / 2))
    tau2, sigma2 = float(fit.random_cov[0, 0]), float(fit.residual_sd**2)
    return SteppedWedgeResult(
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        p_value=float(2 * stats.norm.sf(abs(estimate / se))),
        tau=float(np.sqrt(tau2)),
        sigma=float(np.sqrt(sigma2)),
        icc=tau2 / (tau2 + sigma2),
        n_clusters=fit.n_groups,
        n_observations=fit.n_obs,
    )
