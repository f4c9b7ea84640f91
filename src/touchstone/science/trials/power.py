"""Sample size and power for the primary outcome of a two-arm controlled study.

The primary analysis is ANCOVA on the follow-up score adjusted for the baseline score, so the
sample size is the two-sample t-test's multiplied by the design factor ``1 - rho^2``, where
``rho`` is the baseline-follow-up correlation (Borm, Fransen & Lemmens 2007, "A simple sample
size formula for analysis of covariance in randomized clinical trials", J Clin Epidemiol
60:1234-1238, doi:10.1016/j.jclinepi.2007.02.006). The t-test sample size comes from
statsmodels' ``TTestIndPower`` (two-sided, both tails of the noncentral t; R's
``power.t.test(..., strict = TRUE)``), which the tests check against R.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from statsmodels.stats.power import TTestIndPower


@dataclass(frozen=True)
class SampleSize:
    """A sample-size calculation with everything needed to repeat it.

    ``n_ttest_control`` is the continuous solution for the control arm (the first arm of the
    ratio), ``n_ancova_control`` the same times ``1 - rho^2``; ``n_per_arm`` rounds each arm up
    and ``n_total_with_dropout`` inflates the total for the expected loss to follow-up.
    """

    difference: float
    sd: float
    alpha: float
    power: float
    correlation: float
    ratio: float
    dropout: float
    effect_size: float
    n_ttest_control: float
    n_ancova_control: float
    n_per_arm: tuple[int, int]
    n_total: int
    n_total_with_dropout: int

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "n_per_arm": list(self.n_per_arm)}


def sample_size(
    difference: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    correlation: float = 0.0,
    ratio: float = 1.0,
    dropout: float = 0.0,
) -> SampleSize:
    """Clients needed to detect ``difference`` in the follow-up mean with ANCOVA.

    Parameters
    ----------
    difference : float
        The smallest between-arm difference worth detecting (score points, positive).
    sd : float
        The outcome's standard deviation.
    alpha, power : float
        Two-sided significance level and power.
    correlation : float
        Baseline-follow-up correlation ``rho`` (0 gives the plain t-test).
    ratio : float
        Clients in the second arm per client in the first.
    dropout : float
        Expected share lost to follow-up, in ``[0, 1)``.

    Examples
    --------
    >>> s = sample_size(5, 10, power=0.8, correlation=0.5)
    >>> s.n_per_arm, round(s.n_ttest_control, 3)
    ((48, 48), 63.766)
    """
    for name, value, low, high in (
        ("difference", difference, 0.0, math.inf),
        ("sd", sd, 0.0, math.inf),
        ("alpha", alpha, 0.0, 0.5),
        ("power", power, alpha, 1.0),
    ):
        if not (low < value < high):
            raise ValueError(f"{name} must be between {low:g} and {high:g}")
    if not (-1.0 < correlation < 1.0):
        raise ValueError("correlation must be between -1 and 1")
    if not (0.0 <= dropout < 1.0):
        raise ValueError("dropout must be at least 0 and below 1")
    if not ratio > 0:
        raise ValueError("ratio must be positive")
    effect = difference / sd
    n1 = float(
        TTestIndPower().solve_power(
            effect_size=effect, alpha=alpha, power=power, ratio=ratio, alternative="two-sided"
        )
    )
    n1_ancova = n1 * (1.0 - correlation**2)
    arms = (math.ceil(n1_ancova - 1e-9), math.ceil(n1_ancova * ratio - 1e-9))
    total = sum(arms)
    return SampleSize(
        difference=difference,
        sd=sd,
        alpha=alpha,
        power=power,
        correlation=correlation,
        ratio=ratio,
        dropout=dropout,
        effect_size=effect,
        n_ttest_control=n1,
        n_ancova_control=n1_ancova,
        n_per_arm=arms,
        n_total=total,
        n_total_with_dropout=math.ceil(total / (1.0 - dropout) - 1e-9),
    )


def achieved_power(
    n_control: float, difference: float, sd: float, *, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """Power of the two-sided two-sample t-test with ``n_control`` clients in the first arm."""
    return float(
        TTestIndPower().power(
            effect_size=difference / sd,
            nobs1=n_control,
            alpha=alpha,
            ratio=ratio,
            alternative="two-sided",
        )
    )
