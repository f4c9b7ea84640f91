"""Intention-to-treat analysis of a two-arm controlled study's primary outcome.

Every randomised client is analysed in the arm they were allocated to, whatever they
received (intention to treat; CONSORT 2010 item 16, Moher et al. 2010, BMJ 340:c869,
doi:10.1136/bmj.c869). The pre-specified methods, in the order the report shows them:

* **primary — ANCOVA, complete cases**: ordinary least squares of the follow-up score on the
  arm and the baseline score (statsmodels ``OLS``; R ``lm(follow_up ~ arm + baseline)``),
  over the clients with both scores. The arm coefficient is the adjusted difference in
  follow-up means (intervention minus control) with its t-based 95% CI. ANCOVA is the
  recommended analysis of a randomised pre-post design (Vickers & Altman 2001, BMJ 323:1123,
  doi:10.1136/bmj.323.7321.1123). Complete cases are unbiased when missingness depends on
  the baseline and the arm only (covariate-dependent missingness).
* **sensitivity 1 — mixed model, all observed scores** (constrained longitudinal data
  analysis, Liang & Zeger 2000, Sankhya B 62:134-148; Coffman et al. 2016, BMC Med Res
  Methodol 16:113, doi:10.1186/s12874-016-0214-0): every score of every randomised client,
  baseline and follow-up, in ``score ~ post + post:arm + (1 | client)`` fitted by REML with
  the project's lme4-equivalent engine (:func:`touchstone.science.trajectories.
  fit_mixed_model`; R ``lmer``). Baseline means are constrained equal (randomisation makes
  them so); the ``post:arm`` coefficient is the treatment effect, valid under missing at
  random given the observed scores, so clients with a baseline but no follow-up contribute.
  Its 95% CI is Wald (R ``confint(fit, method = "Wald")``).
* **sensitivity 2 — ANCOVA, baseline observation carried forward**: a missing follow-up is
  replaced by the client's baseline (no change), a conservative single imputation.

A randomised client without a baseline cannot enter an ANCOVA; they are counted as
randomised and not analysed in the CONSORT flow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats
from statsmodels.regression.linear_model import OLS

from touchstone.science.trajectories import fit_mixed_model

#: Methods in the order the report lists them (the first is primary).
ANCOVA_COMPLETE_CASE = "ancova_complete_case"
MIXED_MODEL = "mixed_model_all_observed"
ANCOVA_BOCF = "ancova_bocf"
METHOD_LABELS = {
    ANCOVA_COMPLETE_CASE: "ANCOVA on follow-up adjusted for baseline, complete cases (primary)",
    MIXED_MODEL: "Mixed model on all observed scores, random intercept per client (sensitivity)",
    ANCOVA_BOCF: "ANCOVA with baseline observation carried forward (sensitivity)",
}
LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """The treatment effect (intervention minus control) by one method."""

    method: str
    label: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_clients: int
    n_observations: int
    df: float | None  # residual degrees of freedom of a t-based CI; None for a Wald CI

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ArmSummary:
    """Descriptive figures of one arm (allocated, ITT)."""

    arm: int
    randomised: int
    with_baseline: int
    with_follow_up: int
    baseline_mean: float | None
    baseline_sd: float | None
    follow_up_mean: float | None
    follow_up_sd: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrialAnalysis:
    """Primary and sensitivity estimates and arm summaries."""

    estimates: tuple[Estimate, ...]
    arms: tuple[ArmSummary, ...]

    @property
    def primary(self) -> Estimate:
        return self.estimates[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": LEVEL,
            "estimates": [e.to_dict() for e in self.estimates],
            "arms": [a.to_dict() for a in self.arms],
        }


FloatArray = npt.NDArray[np.float64]


def _inputs(
    arm: npt.ArrayLike, baseline: npt.ArrayLike, follow_up: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    a = np.asarray(arm)
    b = np.asarray(baseline, dtype=float)
    f = np.asarray(follow_up, dtype=float)
    if not (a.shape == b.shape == f.shape) or a.ndim != 1:
        raise ValueError("arm, baseline and follow_up must be 1-d and of the same length")
    if not np.isin(a, (0, 1)).all():
        raise ValueError("arm must be 0 (control) or 1 (intervention)")
    for name, values in (("baseline", b), ("follow_up", f)):
        if np.isinf(values).any():
            raise ValueError(f"{name} has an infinite value")
    return a.astype(np.int64), b, f


def ancova(
    arm: npt.ArrayLike, baseline: npt.ArrayLike, follow_up: npt.ArrayLike, *, method: str
) -> Estimate:
    """OLS of follow-up on arm and baseline over rows with both scores (NaN = missing).

    Examples
    --------
    >>> e = ancova([0, 0, 0, 1, 1, 1], [10, 12, 14, 11, 13, 15], [9, 12, 13, 6, 8, 11],
    ...            method=ANCOVA_COMPLETE_CASE)
    >>> round(e.estimate, 4), e.df
    (-4.125, 3.0)
    """
    a, b, f = _inputs(arm, baseline, follow_up)
    keep = ~np.isnan(b) & ~np.isnan(f)
    n = int(keep.sum())
    groups = set(a[keep].tolist())
    if n < 4 or groups != {0, 1}:
        raise ValueError("ANCOVA needs at least 4 clients with both scores, in both arms")
    x = np.column_stack([np.ones(n), a[keep].astype(float), b[keep]])
    if np.linalg.matrix_rank(x) < 3:
        raise ValueError("ANCOVA design is rank deficient (constant baseline within arms?)")
    fit = OLS(f[keep], x).fit()
    estimate, se = float(fit.params[1]), float(fit.bse[1])
    low, high = (float(v) for v in fit.conf_int(alpha=1 - LEVEL)[1])
    return Estimate(
        method=method,
        label=METHOD_LABELS[method],
        estimate=estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=float(fit.pvalues[1]),
        n_clients=n,
        n_observations=n,
        df=float(fit.df_resid),
    )


def mixed_model(arm: npt.ArrayLike, baseline: npt.ArrayLike, follow_up: npt.ArrayLike) -> Estimate:
    """cLDA: ``score ~ post + post:arm + (1 | client)`` by REML over all observed scores."""
    a, b, f = _inputs(arm, baseline, follow_up)
    clients = np.arange(len(a))
    y = np.concatenate([b, f])
    post = np.concatenate([np.zeros(len(a)), np.ones(len(a))])
    treated = np.concatenate([np.zeros(len(a)), a.astype(float)])
    group = np.concatenate([clients, clients])
    keep = ~np.isnan(y)
    if not ((treated[keep] == 1).any() and ((post[keep] == 1) & (treated[keep] == 0)).any()):
        raise ValueError("the mixed model needs follow-up scores in both arms")
    x = np.column_stack([np.ones(keep.sum()), post[keep], treated[keep]])
    fit = fit_mixed_model(
        y[keep],
        x,
        np.ones((int(keep.sum()), 1)),
        group[keep],
        fixed_names=("intercept", "post", "post:arm"),
        random_names=("client",),
        method="REML",
    )
    estimate, se = float(fit.fixed_effects[2]), float(fit.fixed_se[2])
    z = float(stats.norm.ppf(0.5 + LEVEL / 2))
    return Estimate(
        method=MIXED_MODEL,
        label=METHOD_LABELS[MIXED_MODEL],
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        p_value=float(2 * stats.norm.sf(abs(estimate / se))),
        n_clients=fit.n_groups,
        n_observations=fit.n_obs,
        df=None,
    )


def _mean_sd(values: FloatArray) -> tuple[float | None, float | None]:
    present = values[~np.isnan(values)]
    mean = float(present.mean()) if len(present) else None
    sd = float(present.std(ddof=1)) if len(present) > 1 else None
    return mean, sd


def analyse(arm: npt.ArrayLike, baseline: npt.ArrayLike, follow_up: npt.ArrayLike) -> TrialAnalysis:
    """The pre-specified ITT analysis: one row per randomised client, by allocated arm.

    Parameters
    ----------
    arm : array_like of int
        Allocated arm: 0 control (e.g. wait-list), 1 intervention.
    baseline, follow_up : array_like of float
        Primary-outcome scores; NaN where missing.

    Returns
    -------
    TrialAnalysis
        Estimates in the order primary, mixed model, BOCF (a sensitivity that cannot be
        estimated, e.g. without any missing data to impute, is still listed).
    """
    a, b, f = _inputs(arm, baseline, follow_up)
    estimates = [ancova(a, b, f, method=ANCOVA_COMPLETE_CASE), mixed_model(a, b, f)]
    bocf = np.where(np.isnan(f), b, f)
    estimates.append(ancova(a, b, bocf, method=ANCOVA_BOCF))
    arms = []
    for k in (0, 1):
        rows = a == k
        bm, bs = _mean_sd(b[rows])
        fm, fs = _mean_sd(f[rows])
        arms.append(
            ArmSummary(
                arm=k,
                randomised=int(rows.sum()),
                with_baseline=int((rows & ~np.isnan(b)).sum()),
                with_follow_up=int((rows & ~np.isnan(f)).sum()),
                baseline_mean=bm,
                baseline_sd=bs,
                follow_up_mean=fm,
                follow_up_sd=fs,
            )
        )
    return TrialAnalysis(estimates=tuple(estimates), arms=tuple(arms))
