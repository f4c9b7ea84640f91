"""Association between change in physiology and change in symptom scores.

For pairs (Δphysiology, Δsymptom) — one pair per client, or per course of care within one
client — we report the sample size and:

* **Pearson r** with a 95 % confidence interval from Fisher's z transformation,
  z = atanh(r), SE = 1/√(n - 3), CI = tanh(z ± 1.96·SE) (Fisher RA 1921, Metron 1:3-32;
  computed by ``scipy.stats.pearsonr(...).confidence_interval``), and its two-sided p;
* **Spearman rho**, robust to outliers and to non-linear monotone relations, with a 95 % CI
  from Fisher's z with SE = √(1.06 / (n - 3)) (Fieller EC, Hartley HO, Pearson ES 1957,
  Biometrika 44:470-481), and its p from ``scipy.stats.spearmanr``.

Pairs in which either value is missing (``None`` or NaN) are dropped and counted in
``n_dropped``. A correlation needs n ≥ 3 and its CI n ≥ 4; a constant series has no
correlation. Any undefined result is ``None`` with the reason in ``note``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from touchstone.science.physiology import PhysiologyError

CAUSATION_NOTE = (
    "Association is not causation: clients whose body measures improved may also have "
    "improved in mood for other reasons (time, other treatment, life events, regression to "
    "the mean), and a correlation here does not show that massage caused either change."
)
Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Association:
    """Pearson and Spearman association between two change scores, with 95 % CIs."""

    n: int
    n_dropped: int
    pearson_r: float | None
    pearson_ci_low: float | None
    pearson_ci_high: float | None
    pearson_p: float | None
    spearman_rho: float | None
    spearman_ci_low: float | None
    spearman_ci_high: float | None
    spearman_p: float | None
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _clean(values: Sequence[float | None], name: str) -> np.ndarray:
    out = np.array([np.nan if v is None else v for v in values], dtype=float)
    if np.isinf(out).any():
        raise PhysiologyError(f"{name} contains an infinite value")
    return out


def fisher_ci(r: float, n: int, variance_factor: float = 1.0) -> tuple[float, float]:
    """95 % CI of a correlation by Fisher's z: tanh(atanh(r) ± 1.96·√(f/(n - 3)))."""
    if abs(r) == 1.0:
        return r, r
    z, se = math.atanh(r), math.sqrt(variance_factor / (n - 3))
    return math.tanh(z - Z95 * se), math.tanh(z + Z95 * se)


def association(
    physiology_change: Sequence[float | None], symptom_change: Sequence[float | None]
) -> Association:
    """Association between change in a body measure and change in a symptom score.

    Parameters
    ----------
    physiology_change : sequence of float or None
        E.g. change in RMSSD, cortisol, sleep efficiency or PHQ-15, one value per unit.
    symptom_change : sequence of float or None
        The paired change in PHQ-9 or GAD-7, same length and order.

    Returns
    -------
    Association
        With ``note`` always carrying :data:`CAUSATION_NOTE`.
    """
    if len(physiology_change) != len(symptom_change):
        raise PhysiologyError("the two change series must be paired (same length)")
    x = _clean(physiology_change, "physiology change")
    y = _clean(symptom_change, "symptom change")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n, dropped = int(x.size), int((~keep).sum())
    empty = Association(n, dropped, None, None, None, None, None, None, None, None, "")
    if n < 3:
        return _with_note(empty, f"n = {n}: a correlation needs at least 3 pairs.")
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return _with_note(empty, "One series is constant: no correlation can be computed.")
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    r, rho = float(pearson.statistic), float(spearman.statistic)
    reasons = ""
    p_low = p_high = s_low = s_high = None
    if n >= 4:
        ci = pearson.confidence_interval(confidence_level=0.95)
        p_low, p_high = float(ci.low), float(ci.high)
        s_low, s_high = fisher_ci(rho, n, variance_factor=1.06)
    else:
        reasons = "n = 3: too few pairs for a confidence interval. "
    result = Association(
        n=n,
        n_dropped=dropped,
        pearson_r=r,
        pearson_ci_low=p_low,
        pearson_ci_high=p_high,
        pearson_p=float(pearson.pvalue),
        spearman_rho=rho,
        spearman_ci_low=s_low,
        spearman_ci_high=s_high,
        spearman_p=float(spearman.pvalue),
        note="",
    )
    return _with_note(result, reasons)


def _with_note(result: Association, reason: str) -> Association:
    note = f"{reason.strip()} {CAUSATION_NOTE}".strip()
    return Association(**{**asdict(result), "note": note})
