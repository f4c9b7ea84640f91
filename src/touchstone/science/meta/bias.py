"""Small-study / publication-bias tools: Egger's regression test and trim-and-fill.

Both follow metafor 3.8.1 (``regtest`` and ``trimfill.rma.uni``, read from the package
source). With fewer than 10 studies these tests have little power (Cochrane Handbook
section 13.3.5.2; evidence.md, design implication 3): show them as sensitivity analyses only.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from touchstone.science.meta.models import (  # shared internals
    DEFAULT_LEVEL,
    MetaResult,
    _design,
    _fit,
    _wls,
    as_study_arrays,
    metareg,
    rma,
)

ESTIMATORS = ("L0", "R0")


@dataclass(frozen=True)
class EggerResult:
    """Egger-type regression test for funnel-plot asymmetry.

    ``zval``/``tval`` and ``pval`` test the slope on the standard error; ``limit_estimate`` is
    the intercept, the effect expected in an infinitely large study (metafor's "limit
    estimate"), with its confidence interval.
    """

    k: int
    model: str
    predictor: str
    zval: float | None
    tval: float | None
    df: int | None
    pval: float
    limit_estimate: float
    limit_ci_lb: float
    limit_ci_ub: float
    method: str
    test: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-serialisable dict."""
        return asdict(self)


def egger_test(
    yi: ArrayLike,
    vi: ArrayLike,
    model: str = "rma",
    method: str = "REML",
    test: str = "z",
    level: float = DEFAULT_LEVEL,
) -> EggerResult:
    """Regression test for funnel-plot asymmetry (metafor ``regtest``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    model : {"rma", "lm"}
        ``"rma"`` (metafor's default): a meta-regression of ``yi`` on ``sqrt(vi)`` with the
        given ``method``/``test`` -- the mixed-effects version of Egger's test (Sterne & Egger
        2005). ``"lm"``: the classical test of Egger et al. (1997, *BMJ* 315:629), a weighted
        linear regression with weights ``1/vi`` and a residual variance, tested with
        t(k - 2).
    method, test, level
        As for :func:`touchstone.science.meta.models.rma` (``model="rma"`` only).

    Examples
    --------
    >>> res = egger_test([0.1, 0.3, 0.5, 0.9, 1.4], [0.01, 0.04, 0.09, 0.16, 0.25], model="lm")
    >>> res.tval > 0
    True
    """
    y, v = as_study_arrays(yi, vi)
    sei = np.sqrt(v)
    if y.size < 3:
        raise ValueError("Egger's test needs at least 3 studies")
    if model == "rma":
        res = metareg(y, v, sei, method=method, test=test, level=level, name="sei")
        stat = (res.tval or res.zval or (math.nan, math.nan))[1]
        return EggerResult(
            k=res.k,
            model=model,
            predictor="sei",
            zval=None if res.df is not None else stat,
            tval=stat if res.df is not None else None,
            df=res.df,
            pval=res.pval[1],
            limit_estimate=res.estimate[0],
            limit_ci_lb=res.ci_lb[0],
            limit_ci_ub=res.ci_ub[0],
            method=method,
            test=test,
        )
    if model != "lm":
        raise ValueError("model must be 'rma' or 'lm'")
    x = _design(y, sei)
    beta, a, e = _wls(y, x, 1.0 / v)
    df = y.size - 2
    sigma2 = float(np.sum(e**2 / v)) / df  # residual variance of lm(yi ~ sei, weights = 1/vi)
    se = np.sqrt(sigma2 * np.diag(a))
    tval = float(beta[1] / se[1])
    crit = float(stats.t.isf((1 - level) / 2, df))
    return EggerResult(
        k=y.size,
        model=model,
        predictor="sei",
        zval=None,
        tval=tval,
        df=df,
        pval=float(2 * stats.t.sf(abs(tval), df)),
        limit_estimate=float(beta[0]),
        limit_ci_lb=float(beta[0] - crit * se[0]),
        limit_ci_ub=float(beta[0] + crit * se[0]),
        method="FE",
        test="t",
    )


@dataclass(frozen=True)
class TrimFillResult:
    """Trim-and-fill: ``k0`` studies imputed on ``side``, and the model refitted with them.

    ``yi_filled``/``vi_filled`` hold only the imputed studies; ``result`` is the fit on the
    ``k + k0`` studies (the original fit when ``k0 == 0``).
    """

    k0: int
    se_k0: float
    side: str
    estimator: str
    p_k0: float | None
    yi_filled: tuple[float, ...]
    vi_filled: tuple[float, ...]
    result: MetaResult

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-serialisable dict."""
        return asdict(self)


#: Residuals about the trimmed estimate whose sizes differ by at most this (relative) are
#: ties, and a residual this small relative to the largest is zero. On a symmetric funnel
#: the mirrored residuals are equal in exact arithmetic but differ by ~1e-17 in floating
#: point, which would otherwise decide their ranks (and k0) by rounding noise.
TIE_RTOL = 1e-10


def _signed_ranks(centred: np.ndarray) -> np.ndarray:
    """Signed ranks of ``|centred|``, ties broken by position (R ``ties.method="first"``).

    Values within :data:`TIE_RTOL` (relative) of each other rank as ties, and values within
    :data:`TIE_RTOL` of 0 (relative to the largest) have sign 0, so the ranks are those of
    exact arithmetic: metafor's on an exactly symmetric funnel about 0 (k0 = 0), and the same
    for any shift of it (where metafor itself can give k0 = 1 from a 1e-17 difference).
    """
    size = np.abs(centred)
    n = size.size
    order = np.argsort(size, kind="stable")
    ordered = size[order]
    # consecutive sizes within the tolerance share a tie group
    starts = np.r_[True, np.diff(ordered) > TIE_RTOL * ordered[1:]]
    group = np.empty(n)
    group[order] = np.cumsum(starts)
    zero = size <= TIE_RTOL * size.max()
    group[zero] = 0
    ranks = np.empty(n)
    ranks[np.lexsort((np.arange(n), group))] = np.arange(1, n + 1)
    sign = np.sign(centred)
    sign[zero] = 0
    return sign * ranks


def trimfill(
    yi: ArrayLike,
    vi: ArrayLike,
    method: str = "REML",
    estimator: str = "L0",
    side: str | None = None,
    test: str = "z",
    level: float = DEFAULT_LEVEL,
    maxiter: int = 100,
) -> TrimFillResult:
    """Duval & Tweedie's (2000, *Biometrics* 56:455-463) trim-and-fill method.

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    method : str
        Model used to trim and to refit (metafor uses the method of the fitted model).
    estimator : {"L0", "R0"}
        Estimator of the number of missing studies (metafor's default is L0).
    side : {"left", "right"}, optional
        Side on which studies are missing. By default chosen as metafor does: fit the Egger
        meta-regression of ``yi`` on ``sqrt(vi)``; a negative slope means "right", otherwise
        "left".
    test : {"z", "knha"}
        Inference for the refitted model; metafor's ``trimfill`` always refits with its
        default ``"z"``, so keep ``"z"`` to compare with it.

    Examples
    --------
    >>> res = trimfill([0.1, 0.3, 0.5, 0.9, 1.4], [0.01, 0.04, 0.09, 0.16, 0.25], method="FE")
    >>> res.side, res.k0 >= 0
    ('left', True)
    """
    y, v = as_study_arrays(yi, vi)
    k = y.size
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}")
    if k < 3:
        raise ValueError("trim-and-fill needs at least 3 studies")
    if side is None:
        slope = metareg(y, v, np.sqrt(v), method=method).estimate[1]
        side = "right" if slope < 0 else "left"
    if side not in ("left", "right"):
        raise ValueError("side must be 'left' or 'right'")
    work = -y if side == "right" else y.copy()
    order = np.argsort(work, kind="stable")
    ys, vs = work[order], v[order]
    ones = np.ones((k, 1))
    k0, k0_prev, iterations, beta, se_k0 = 0, -1, 0, 0.0, 0.0
    while k0 != k0_prev:
        k0_prev = k0
        iterations += 1
        if iterations > maxiter:
            raise ValueError("trim-and-fill did not converge")
        n = k - k0
        beta = float(_fit(ys[:n], vs[:n], ones[:n], method, "z", level).beta[0])
        ranks = _signed_ranks(ys - beta)
        if estimator == "L0":
            sr = float(ranks[ranks > 0].sum())
            est = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * est**3
                + 27 * est**2
                + 17 * est
                - 18 * k * est**2
                - 18 * k * est
                + 6 * k**2 * est
            ) / 24
            se_k0 = 4 * math.sqrt(var_sr) / (2 * k - 1)
        else:
            negatives = -ranks[ranks < 0]
            est = k - (float(negatives.max()) if negatives.size else 0.0) - 1
            se_k0 = math.sqrt(2 * max(0.0, est) + 2)
        k0 = min(k - 1, max(0, round(est)))  # R round(): half to even, as Python's round
        se_k0 = max(0.0, se_k0)
    p_k0 = None
    if estimator == "R0":
        # metafor: 1 - sum(choose(m + 1, m + 1) * 0.5^(m + 2)), m = -1..k0-1, = 0.5^(k0 + 1)
        p_k0 = 0.5 ** (k0 + 1)
    if k0 == 0:
        return TrimFillResult(
            0, se_k0, side, estimator, p_k0, (), (), rma(y, v, method, test, level)
        )
    # mirror the k0 most extreme studies about the trimmed estimate
    filled_work = 2 * beta - ys[k - k0 :]
    filled = -filled_work if side == "right" else filled_work
    v_fill = vs[k - k0 :]
    result = rma(np.concatenate([y, filled]), np.concatenate([v, v_fill]), method, test, level)
    return TrimFillResult(
        k0=k0,
        se_k0=se_k0,
        side=side,
        estimator=estimator,
        p_k0=p_k0,
        yi_filled=tuple(float(f) for f in filled),
        vi_filled=tuple(float(f) for f in v_fill),
        result=result,
    )
