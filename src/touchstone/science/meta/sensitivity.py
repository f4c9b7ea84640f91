"""Sensitivity and moderator analyses: leave-one-out, subgroups, meta-regression.

``leave_one_out`` is metafor's ``leave1out.rma.uni``; ``metareg`` (re-exported from
:mod:`touchstone.science.meta.models`) is ``rma(yi, vi, mods=~x)``. ``subgroups`` fits the
model separately within each subgroup (each with its own tau2) and compares the subgroup
estimates with a fixed-effect Q test (Borenstein et al. 2009, *Introduction to Meta-Analysis*,
ch. 19, "separate estimates of tau2"; metafor tip "comparing estimates of independent
meta-analyses or subgroups": ``rma(b, sei=se, method="FE")``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from touchstone.science.meta.models import (
    DEFAULT_LEVEL,
    MetaRegResult,
    MetaResult,
    _design,
    _fit,
    _pvals,
    as_study_arrays,
    metareg,
    rma,
)

__all__ = [
    "LeaveOneOutResult",
    "MetaRegResult",
    "SubgroupResult",
    "leave_one_out",
    "metareg",
    "subgroups",
]


@dataclass(frozen=True)
class LeaveOneOutResult:
    """One row per omitted study (metafor ``leave1out`` columns), in input order."""

    estimate: tuple[float, ...]
    se: tuple[float, ...]
    stat: tuple[float, ...]
    pval: tuple[float, ...]
    ci_lb: tuple[float, ...]
    ci_ub: tuple[float, ...]
    q: tuple[float, ...]
    q_p: tuple[float, ...]
    tau2: tuple[float, ...]
    i2: tuple[float, ...]
    h2: tuple[float, ...]
    method: str
    test: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-serialisable dict."""
        return asdict(self)


def leave_one_out(
    yi: ArrayLike,
    vi: ArrayLike,
    method: str = "REML",
    test: str = "z",
    level: float = DEFAULT_LEVEL,
) -> LeaveOneOutResult:
    """Refit the model ``k`` times, each time without one study (metafor ``leave1out``).

    ``stat`` is the z (or, with ``test="knha"``, t) statistic of each refit.

    Examples
    --------
    >>> res = leave_one_out([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06], method="FE")
    >>> len(res.estimate)
    4
    """
    y, v = as_study_arrays(yi, vi)
    k = y.size
    if k < 3:
        raise ValueError("leave-one-out needs at least 3 studies")
    rows: list[tuple[float, ...]] = []
    keep = np.ones(k, dtype=bool)
    for i in range(k):
        keep[i] = False
        ys, vs = y[keep], v[keep]
        fit = _fit(ys, vs, _design(ys, None), method, test, level)
        keep[i] = True
        b, se = float(fit.beta[0]), math.sqrt(float(fit.vb[0, 0]))
        stat = b / se
        pval = float(_pvals(np.array([stat]), fit.ddf)[0])
        ci = (b - fit.crit * se, b + fit.crit * se)
        rows.append((b, se, stat, pval, *ci, fit.q, fit.q_p, fit.tau2.tau2, fit.i2, fit.h2))
    c = [tuple(col) for col in zip(*rows, strict=True)]
    return LeaveOneOutResult(
        estimate=c[0], se=c[1], stat=c[2], pval=c[3], ci_lb=c[4], ci_ub=c[5], q=c[6],
        q_p=c[7], tau2=c[8], i2=c[9], h2=c[10], method=method, test=test,
    )  # fmt: skip


@dataclass(frozen=True)
class SubgroupResult:
    """Per-subgroup fits and the test of subgroup differences.

    ``q_between`` is the Q statistic of a fixed-effect meta-analysis of the subgroup estimates
    (their SEs as known), chi-square with ``q_between_df`` = (number of subgroups - 1) df.
    """

    groups: tuple[str, ...]
    results: tuple[MetaResult, ...]
    q_between: float
    q_between_df: int
    q_between_p: float

    def to_dict(self) -> dict[str, Any]:
        """Return the subgroup fits keyed by group, and the between-groups test."""
        return {
            "groups": {g: r.to_dict() for g, r in zip(self.groups, self.results, strict=True)},
            "q_between": self.q_between,
            "q_between_df": self.q_between_df,
            "q_between_p": self.q_between_p,
        }


def subgroups(
    yi: ArrayLike,
    vi: ArrayLike,
    groups: Sequence[str],
    method: str = "REML",
    test: str = "z",
    level: float = DEFAULT_LEVEL,
) -> SubgroupResult:
    """Subgroup analysis with a separate tau2 per subgroup.

    A subgroup with a single study is summarised by that study (fixed-effect, ``test="z"``).

    Examples
    --------
    >>> res = subgroups([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06], ["a", "a", "b", "b"],
    ...                 method="FE")
    >>> res.groups, res.q_between_df
    (('a', 'b'), 1)
    """
    y, v = as_study_arrays(yi, vi)
    labels = np.asarray([str(g) for g in groups])
    if labels.size != y.size:
        raise ValueError(f"groups has {labels.size} labels for {y.size} studies")
    levels = tuple(sorted(set(labels.tolist())))
    if len(levels) < 2:
        raise ValueError("a subgroup analysis needs at least two subgroups")
    results = []
    for g in levels:
        mask = labels == g
        if mask.sum() == 1:
            results.append(rma(y[mask], v[mask], "FE", "z", level))
        else:
            results.append(rma(y[mask], v[mask], method, test, level))
    est = np.array([r.estimate for r in results])
    w = 1.0 / np.array([r.se for r in results]) ** 2
    q_between = float(np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2))
    df = len(levels) - 1
    return SubgroupResult(
        levels, tuple(results), q_between, df, float(stats.chi2.sf(q_between, df))
    )
