"""Fixed- and random-effects meta-analysis, following R metafor's ``rma.uni`` definitions.

Every formula here is the one metafor 3.8.1 uses (Viechtbauer W. Conducting meta-analyses in R
with the metafor package. *J Stat Softw* 2010;36(3); source read from the installed package,
``metafor:::rma.uni``), so results can be checked against R to 1e-6 (see ``tests/``):

* weights ``w_i = 1 / (v_i + tau2)``, estimate ``b = (X'WX)^-1 X'Wy``, ``Var(b) = (X'WX)^-1``;
* tau2 estimators ``DL`` (DerSimonian & Laird 1986), ``HE`` (Hedges 1983), ``ML`` / ``REML``
  (Fisher scoring, Viechtbauer 2005), ``PM`` (Paule & Mandel 1982);
* ``test="knha"``: Hartung-Knapp-Sidik-Jonkman (Knapp & Hartung 2003; Sidik & Jonkman 2002):
  ``Var(b)`` scaled by ``s2 = sum w e^2 / (k - p)`` and t(k - p) quantiles;
* ``Q`` with fixed-effect weights ``1/v_i``; ``I2 = 100 tau2 / (vt + tau2)`` and
  ``H2 = tau2 / vt + 1`` with the "typical" within-study variance ``vt = (k - p) / tr(P)``
  (Higgins & Thompson 2002, eq. 9; metafor's ``i2def="1"``); for FE models
  ``I2 = 100 (Q - (k-p)) / Q`` and ``H2 = Q / (k - p)``;
* the Q-profile interval for tau2 (Viechtbauer 2007, *Stat Med* 26:37-52);
* the prediction interval ``b +- crit * sqrt(SE^2 + tau2)`` (metafor ``predict.rma``, default
  ``pi.type``: normal quantile for ``test="z"``, t(k - p) for ``"knha"``).

Speed: nothing here builds a k x k matrix. metafor forms ``P = W - WX(X'WX)^-1 X'W`` as a dense
k x k matrix in every Fisher-scoring step (cubic in k); the quantities the algorithm needs are
traces and quadratic forms of ``P``, which reduce to sums over studies and p x p products:

* ``P y = w * e`` (``e`` the weighted-least-squares residuals), so ``y'PPy = sum (w e)^2``;
* ``tr(P)  = sum w - tr(A B2)``;
* ``tr(PP) = sum w^2 - 2 tr(A B3) + tr(A B2 A B2)``,

with ``A = (X'WX)^-1`` and ``Bj = X' W^j X``. One REML step is therefore O(k p^2). The
algorithm itself (start at the HE estimate, Fisher scoring with step halving at the tau2 = 0
boundary, stop when the change is at most ``tol`` = 1e-5, at most ``maxiter`` = 100 steps, then
metafor's ``ll0check``) is metafor's, step for step, so the iterates are the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

FloatArray = NDArray[np.float64]

#: tau2 estimators; ``"EE"`` is metafor's newer name for the equal-effects (FE) model.
METHODS = ("FE", "EE", "DL", "HE", "ML", "REML", "PM")
TESTS = ("z", "knha")
#: metafor's ``con$tol`` = ``.Machine$double.eps^0.25``, used by its ``ll0check``.
_LL0_TOL = float(np.finfo(float).eps) ** 0.25


@dataclass(frozen=True)
class MetaResult:
    """The result of an intercept-only (fixed- or random-effects) meta-analysis.

    Field names follow metafor's printed output: ``estimate`` is metafor's ``b``/``beta``,
    ``q``/``q_df``/``q_p`` its ``QE`` test, ``i2`` is in percent as metafor reports it.
    Exactly one of ``zval`` (``test="z"``) and ``tval`` (``test="knha"``, with ``df``) is set.
    """

    k: int
    estimate: float
    se: float
    zval: float | None
    tval: float | None
    df: int | None
    pval: float
    ci_lb: float
    ci_ub: float
    tau2: float
    se_tau2: float | None
    tau2_ci_lb: float | None
    tau2_ci_ub: float | None
    i2: float
    i2_ci_lb: float | None
    i2_ci_ub: float | None
    h2: float
    h2_ci_lb: float | None
    h2_ci_ub: float | None
    q: float
    q_df: int
    q_p: float
    pi_lb: float
    pi_ub: float
    method: str
    test: str
    level: float
    converged: bool
    iterations: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class MetaRegResult:
    """A mixed-effects meta-regression (metafor ``rma(yi, vi, mods=...)``).

    Coefficient fields are tuples in the order ``names`` (intercept first). ``qm`` is the
    omnibus test of the moderators (chi-square with ``qm_df`` df for ``test="z"``; F with
    ``(qm_df, df)`` df for ``"knha"``); ``q`` is the residual-heterogeneity test ``QE``; ``r2`` is
    metafor's pseudo R^2 in percent, ``100 * max(0, (tau2_RE - tau2) / tau2_RE)``
    (Raudenbush 2009; metafor ``r2def="1"``).
    """

    k: int
    names: tuple[str, ...]
    estimate: tuple[float, ...]
    se: tuple[float, ...]
    zval: tuple[float, ...] | None
    tval: tuple[float, ...] | None
    df: int | None
    pval: tuple[float, ...]
    ci_lb: tuple[float, ...]
    ci_ub: tuple[float, ...]
    tau2: float
    se_tau2: float | None
    i2: float
    h2: float
    r2: float | None
    q: float
    q_df: int
    q_p: float
    qm: float
    qm_df: int
    qm_p: float
    method: str
    test: str
    level: float
    converged: bool
    iterations: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-serialisable dict."""
        return asdict(self)


@dataclass(frozen=True)
class _Tau2:
    tau2: float
    se_tau2: float | None
    converged: bool
    iterations: int


@dataclass(frozen=True)
class _Fit:
    """Everything one model fit produces; the public results are views of it."""

    k: int
    p: int
    beta: FloatArray
    vb: FloatArray
    tau2: _Tau2
    ddf: int | None
    q: float
    q_p: float
    vt: float
    i2: float
    h2: float
    crit: float


# --------------------------------------------------------------------------- input checks


def as_study_arrays(yi: ArrayLike, vi: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return ``yi`` and ``vi`` as float arrays after checking them.

    Raises
    ------
    ValueError
        If the lengths differ, there are no studies, a value is not finite, or a sampling
        variance is not positive (inverse-variance weights need ``vi > 0``).
    """
    y = np.asarray(yi, dtype=float).ravel()
    v = np.asarray(vi, dtype=float).ravel()
    if y.shape != v.shape:
        raise ValueError(f"yi and vi differ in length ({y.size} and {v.size})")
    if y.size == 0:
        raise ValueError("no studies")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("yi and vi must be finite numbers")
    if np.any(v <= 0):
        raise ValueError("sampling variances vi must be positive")
    return y, v


def _check_options(method: str, test: str, level: float) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if test not in TESTS:
        raise ValueError(f"test must be one of {', '.join(TESTS)}, not {test!r}")
    if not 0 < level < 100:
        raise ValueError("level is a percentage between 0 and 100")


def _is_fixed(method: str) -> bool:
    return method in ("FE", "EE")


# ------------------------------------------------------------------------ linear algebra


def _wls(y: FloatArray, x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted least squares: ``beta``, ``A = (X'WX)^-1`` and the residuals ``e``."""
    xw = x * w[:, None]
    a = np.asarray(np.linalg.inv(x.T @ xw), dtype=float)
    beta = a @ (xw.T @ y)
    return beta, a, y - x @ beta


def _gram(x: FloatArray, d: FloatArray) -> FloatArray:
    """``X' diag(d) X`` without forming ``diag(d)``."""
    return np.asarray(x.T @ (x * d[:, None]), dtype=float)


def _traces(x: FloatArray, w: FloatArray, a: FloatArray) -> tuple[float, float]:
    """``tr(P)`` and ``tr(PP)`` (= ``sum(P * P)``, P symmetric) for ``P = W - WXAX'W``."""
    ab2 = a @ _gram(x, w**2)
    tr_p = float(w.sum() - np.trace(ab2))
    tr_pp = float((w**2).sum() - 2.0 * np.trace(a @ _gram(x, w**3)) + np.trace(ab2 @ ab2))
    return tr_p, tr_pp


def _q_stat(tau2: float, y: FloatArray, v: FloatArray, x: FloatArray) -> float:
    """Generalised Q, ``y'P(tau2)y`` (metafor ``.QE.func``), decreasing in tau2."""
    w = 1.0 / (v + tau2)
    _, _, e = _wls(y, x, w)
    return float(np.sum(w * e**2))


def _loglik(tau2: float, y: FloatArray, v: FloatArray, x: FloatArray, reml: bool) -> float:
    """(Restricted) log-likelihood as in metafor's ``ll0check`` (``REMLf = TRUE``)."""
    k, p = x.shape
    w = 1.0 / (v + tau2)
    _, a, e = _wls(y, x, w)
    rss = float(np.sum(w * e**2))
    if not reml:
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.log(v + tau2).sum()) - 0.5 * rss
    logdet = -float(np.linalg.slogdet(a)[1])  # log|X'WX| = -log|A|
    return (
        -0.5 * (k - p) * math.log(2 * math.pi)
        - 0.5 * float(np.log(v + tau2).sum())
        - 0.5 * logdet
        - 0.5 * rss
    )


# ------------------------------------------------------------------------ tau2 estimators


def _tau2_he(y: FloatArray, v: FloatArray, x: FloatArray) -> tuple[float, float, float]:
    """Hedges (1983) moment estimator, unclamped, with ``tr(PV)`` and ``tr(PVPV)``.

    ``P = I - X(X'X)^-1 X'``; ``tau2 = (e'e - tr(PV)) / (k - p)`` (metafor ``method="HE"``).
    """
    k, p = x.shape
    _, c, e = _wls(y, x, np.ones(k))
    cv = c @ _gram(x, v)
    tr_pv = float(v.sum() - np.trace(cv))
    tr_pvpv = float((v**2).sum() - 2.0 * np.trace(c @ _gram(x, v**2)) + np.trace(cv @ cv))
    return (float(e @ e) - tr_pv) / (k - p), tr_pv, tr_pvpv


def _tau2_dl(y: FloatArray, v: FloatArray, x: FloatArray) -> _Tau2:
    """DerSimonian & Laird (1986): ``(Q - (k - p)) / tr(P)`` with ``W = 1/v``, floored at 0."""
    k, p = x.shape
    w = 1.0 / v
    _, a, e = _wls(y, x, w)
    tr_p, tr_pp = _traces(x, w, a)
    tau2 = max(0.0, (float(np.sum(w * e**2)) - (k - p)) / tr_p)
    # metafor rma.uni: se.tau2 for DL
    se = math.sqrt((2 * (k - p) + 4 * tau2 * tr_p + 2 * tau2**2 * tr_pp) / tr_p**2)
    return _Tau2(tau2, se, True, 0)


def _tau2_pm(y: FloatArray, v: FloatArray, x: FloatArray) -> _Tau2:
    """Paule & Mandel (1982): the tau2 at which generalised Q equals ``k - p``.

    metafor finds the root with ``uniroot`` on ``[0, max(100, 10 mad(y)^2)]`` at tolerance
    ``eps^0.25``; Brent's method (scipy ``brentq``) here runs to full double precision, so
    compare with metafor run as ``control=list(tol=1e-12)`` (see ``tests/fixtures``). The
    upper end is doubled until it brackets the root instead of failing as metafor does.
    """
    k, p = x.shape
    target = float(k - p)
    converged, iterations = True, 0
    if _q_stat(0.0, y, v, x) < target:
        tau2 = 0.0
    else:
        mad = 1.4826 * float(np.median(np.abs(y - np.median(y))))  # R's mad(), constant 1.4826
        upper = max(100.0, 10 * mad**2)
        while _q_stat(upper, y, v, x) > target:
            upper *= 2.0
        root, info = optimize.brentq(
            lambda t: _q_stat(t, y, v, x) - target,
            0.0,
            upper,
            xtol=1e-15,
            rtol=4 * float(np.finfo(float).eps),
            maxiter=1000,
            full_output=True,
        )
        tau2, converged, iterations = float(root), bool(info.converged), int(info.iterations)
    w = 1.0 / (v + tau2)
    se = math.sqrt(2 * k**2 / (k - p) / float(w.sum()) ** 2)  # metafor rma.uni, PM
    return _Tau2(tau2, se, converged, iterations)


def _tau2_fisher(
    y: FloatArray, v: FloatArray, x: FloatArray, reml: bool, tol: float, maxiter: int
) -> _Tau2:
    """ML / REML by Fisher scoring, exactly as metafor ``rma.uni`` iterates.

    Start at ``max(0, HE)``; step ``(y'PPy - tr(P)) / tr(PP)`` (REML) or
    ``(y'PPy - sum w) / sum w^2`` (ML) (Viechtbauer 2005, *J Educ Behav Stat* 30:261-293);
    halve the step while it would take tau2 below 0; stop when ``|change| <= tol``; declare
    non-convergence after ``maxiter`` steps. Then metafor's ``ll0check``: if the likelihood at
    tau2 = 0 beats the one at the estimate by more than ``eps^0.25``, tau2 is set to 0.
    """
    tau2 = max(0.0, _tau2_he(y, v, x)[0])
    change, iterations, converged = tol + 1.0, 0, True
    while change > tol:
        iterations += 1
        old = tau2
        w = 1.0 / (v + tau2)
        _, a, e = _wls(y, x, w)
        we = w * e
        if reml:
            tr_p, tr_pp = _traces(x, w, a)
            adj = (float(we @ we) - tr_p) / tr_pp
        else:
            adj = (float(we @ we) - float(w.sum())) / float((w**2).sum())
        if math.isnan(adj):
            adj = 0.0
        if tau2 + adj < 0:
            # metafor halves until tau2 + adj >= 0; from tau2 = 0 that ends at adj = -0.0
            adj = 0.0 if tau2 == 0 else adj
            while tau2 + adj < 0:
                adj /= 2.0
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if iterations > maxiter:
            converged = False
            break
    if converged and tau2 > tol:
        ll0 = _loglik(0.0, y, v, x, reml)
        if ll0 - _loglik(tau2, y, v, x, reml) > _LL0_TOL:
            tau2 = 0.0
    tau2 = max(0.0, tau2)
    w = 1.0 / (v + tau2)
    if reml:
        _, a, _ = _wls(y, x, w)
        se = math.sqrt(2.0 / _traces(x, w, a)[1])
    else:
        se = math.sqrt(2.0 / float((w**2).sum()))
    return _Tau2(tau2, se, converged, iterations)


def _estimate_tau2(
    y: FloatArray, v: FloatArray, x: FloatArray, method: str, tol: float, maxiter: int
) -> _Tau2:
    k, p = x.shape
    if _is_fixed(method):
        return _Tau2(0.0, None, True, 0)
    if k - p < 1:
        raise ValueError(f"a random-effects model needs more studies than coefficients (k={k})")
    if method == "DL":
        return _tau2_dl(y, v, x)
    if method == "PM":
        return _tau2_pm(y, v, x)
    if method == "HE":
        raw, tr_pv, tr_pvpv = _tau2_he(y, v, x)
        tau2 = max(0.0, raw)
        se = math.sqrt((2 * tr_pvpv + 4 * tau2 * tr_pv + 2 * tau2**2 * (k - p)) / (k - p) ** 2)
        return _Tau2(tau2, se, True, 0)
    return _tau2_fisher(y, v, x, reml=method == "REML", tol=tol, maxiter=maxiter)


# --------------------------------------------------------------------------------- fitting


def _crit(test: str, level: float, ddf: int | None) -> float:
    alpha = 1 - level / 100
    if test == "knha":
        return float(stats.t.isf(alpha / 2, ddf))
    return float(stats.norm.isf(alpha / 2))


def _fit(
    y: FloatArray,
    v: FloatArray,
    x: FloatArray,
    method: str,
    test: str,
    level: float,
    tol: float,
    maxiter: int,
) -> _Fit:
    _check_options(method, test, level)
    k, p = x.shape
    if k < p:
        raise ValueError(f"more coefficients ({p}) than studies ({k})")
    tau2 = _estimate_tau2(y, v, x, method, tol, maxiter)
    w = 1.0 / (v + tau2.tau2)
    beta, vb, e = _wls(y, x, w)
    ddf: int | None = None
    if test == "knha":
        if k - p < 1:
            raise ValueError("test='knha' needs more studies than coefficients")
        rss = float(np.sum(w * e**2))
        s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - p)
        vb = vb * s2w
        ddf = k - p
    # heterogeneity with fixed-effect weights (metafor: allvipos branch)
    if k > p:
        w_fe = 1.0 / v
        _, a_fe, e_fe = _wls(y, x, w_fe)
        q = max(0.0, float(np.sum(w_fe * e_fe**2)))
        q_p = float(stats.chi2.sf(q, k - p))
        vt = (k - p) / _traces(x, w_fe, a_fe)[0]
        if _is_fixed(method):
            i2 = max(0.0, 100 * (q - (k - p)) / q) if q > 0 else 0.0
            h2 = q / (k - p)
        else:
            i2 = 100 * tau2.tau2 / (vt + tau2.tau2)
            h2 = tau2.tau2 / vt + 1
    else:
        q, q_p, vt, i2, h2 = 0.0, 1.0, 0.0, 0.0, 1.0
    return _Fit(k, p, beta, vb, tau2, ddf, q, q_p, vt, i2, h2, _crit(test, level, ddf))


def _pvals(stat: FloatArray, ddf: int | None) -> FloatArray:
    if ddf is not None:
        return np.asarray(2 * stats.t.sf(np.abs(stat), ddf), dtype=float)
    return np.asarray(2 * stats.norm.sf(np.abs(stat)), dtype=float)


def tau2_qprofile_ci(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: ArrayLike | None = None,
    level: float = 95.0,
    tau2: float = 0.0,
) -> tuple[float, float]:
    """Q-profile confidence interval for tau2 (Viechtbauer 2007).

    The bounds solve ``Q(tau2) = chi2_{1-alpha/2, k-p}`` (lower) and ``chi2_{alpha/2, k-p}``
    (upper), searched on ``[0, max(100, 10 tau2)]`` as metafor ``confint.rma.uni`` does; a bound
    that is not crossed inside the range is set to the range end, and both bounds are 0 when
    even ``Q(0)`` is below the lower quantile. Brent's method runs to full precision (metafor
    uses ``uniroot`` at ``eps^0.25`` unless given ``control=list(tol=...)``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    mods : array_like, optional
        One moderator (the interval is then for the residual tau2).
    level : float
        Confidence level in percent.
    tau2 : float
        The model's tau2 estimate; only widens the search range, as in metafor.

    Examples
    --------
    >>> lb, ub = tau2_qprofile_ci([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06])
    >>> 0 < lb < ub
    True
    """
    y, v = as_study_arrays(yi, vi)
    x = _design(y, mods)
    k, p = x.shape
    alpha = 1 - level / 100
    crit_u = float(stats.chi2.isf(alpha / 2, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2, k - p))
    t_max = max(100.0, tau2 * 10)
    q_min, q_max = _q_stat(0.0, y, v, x), _q_stat(t_max, y, v, x)

    def root(target: float) -> float:
        return float(
            optimize.brentq(
                lambda t: _q_stat(t, y, v, x) - target,
                0.0,
                t_max,
                xtol=1e-15,
                rtol=4 * float(np.finfo(float).eps),
                maxiter=1000,
            )
        )

    if q_min < crit_l:
        return 0.0, 0.0
    ub = t_max if q_max > crit_l else root(crit_l)
    if q_max > crit_u:
        return t_max, t_max
    lb = 0.0 if q_min < crit_u else root(crit_u)
    return lb, ub


def _design(y: FloatArray, mods: ArrayLike | None) -> FloatArray:
    ones = np.ones((y.size, 1))
    if mods is None:
        return ones
    m = np.asarray(mods, dtype=float).ravel()
    if m.shape != y.shape:
        raise ValueError(f"mods has {m.size} values for {y.size} studies")
    if not np.all(np.isfinite(m)):
        raise ValueError("mods must be finite numbers")
    if np.ptp(m) == 0:
        raise ValueError("the moderator is constant; the model is not identifiable")
    return np.column_stack([ones, m])


def rma(
    yi: ArrayLike,
    vi: ArrayLike,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    tol: float = 1e-5,
    maxiter: int = 100,
) -> MetaResult:
    """Fixed- or random-effects meta-analysis of ``k`` effect sizes (metafor ``rma(yi, vi)``).

    Parameters
    ----------
    yi : array_like
        Observed effect sizes (e.g. Hedges' g or log risk ratios), one per study.
    vi : array_like
        Their sampling variances (positive).
    method : {"REML", "DL", "PM", "ML", "HE", "FE", "EE"}
        tau2 estimator; ``"FE"``/``"EE"`` fit the fixed-(equal-)effect model.
    test : {"z", "knha"}
        Normal-theory inference, or the Hartung-Knapp-Sidik-Jonkman adjustment.
    level : float
        Confidence level in percent (metafor ``level``).
    tol, maxiter : float, int
        Fisher-scoring stopping rule for ML/REML (metafor ``control$threshold``,
        ``control$maxiter``).

    Returns
    -------
    MetaResult
        Frozen dataclass; ``.to_dict()`` for a plain dict.

    Examples
    --------
    >>> res = rma([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06], method="DL")
    >>> round(res.estimate, 4), res.k, res.converged
    (0.7157, 4, True)
    """
    y, v = as_study_arrays(yi, vi)
    x = _design(y, None)
    fit = _fit(y, v, x, method, test, level, tol, maxiter)
    b, se = float(fit.beta[0]), math.sqrt(float(fit.vb[0, 0]))
    stat = b / se if se > 0 else math.nan
    pval = float(_pvals(np.array([stat]), fit.ddf)[0])
    tau2 = fit.tau2.tau2
    pi_half = fit.crit * math.sqrt(se**2 + tau2)
    ci_tau: tuple[float | None, float | None] = (None, None)
    ci_i2: tuple[float | None, float | None] = (None, None)
    ci_h2: tuple[float | None, float | None] = (None, None)
    if not _is_fixed(method) and fit.k > 1:
        lb, ub = tau2_qprofile_ci(y, v, level=level, tau2=tau2)
        ci_tau = (lb, ub)
        # metafor confint.rma.uni: I2 and H2 bounds from the tau2 bounds and vt
        ci_i2 = (100 * lb / (fit.vt + lb), 100 * ub / (fit.vt + ub))
        ci_h2 = (lb / fit.vt + 1, ub / fit.vt + 1)
    return MetaResult(
        k=fit.k,
        estimate=b,
        se=se,
        zval=None if fit.ddf is not None else stat,
        tval=stat if fit.ddf is not None else None,
        df=fit.ddf,
        pval=pval,
        ci_lb=b - fit.crit * se,
        ci_ub=b + fit.crit * se,
        tau2=tau2,
        se_tau2=fit.tau2.se_tau2,
        tau2_ci_lb=ci_tau[0],
        tau2_ci_ub=ci_tau[1],
        i2=fit.i2,
        i2_ci_lb=ci_i2[0],
        i2_ci_ub=ci_i2[1],
        h2=fit.h2,
        h2_ci_lb=ci_h2[0],
        h2_ci_ub=ci_h2[1],
        q=fit.q,
        q_df=fit.k - 1,
        q_p=fit.q_p,
        pi_lb=b - pi_half,
        pi_ub=b + pi_half,
        method=method,
        test=test,
        level=level,
        converged=fit.tau2.converged,
        iterations=fit.tau2.iterations,
    )


def metareg(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: ArrayLike,
    method: str = "REML",
    test: str = "z",
    level: float = 95.0,
    tol: float = 1e-5,
    maxiter: int = 100,
    name: str = "mods",
) -> MetaRegResult:
    """Mixed-effects meta-regression on one moderator (metafor ``rma(yi, vi, mods=~x)``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    mods : array_like
        One numeric moderator per study (e.g. absolute latitude, number of sessions).
    method, test, level, tol, maxiter
        As for :func:`rma`; tau2 is then the residual heterogeneity.
    name : str
        Label of the moderator's coefficient.

    Returns
    -------
    MetaRegResult

    Examples
    --------
    >>> res = metareg([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06], [1, 2, 3, 4], method="FE")
    >>> round(res.estimate[1], 4)
    0.4259
    """
    y, v = as_study_arrays(yi, vi)
    x = _design(y, mods)
    fit = _fit(y, v, x, method, test, level, tol, maxiter)
    se = np.sqrt(np.diag(fit.vb))
    stat = fit.beta / se
    slope, slope_var = float(fit.beta[1]), float(fit.vb[1, 1])
    qm = slope**2 / slope_var  # Wald test of the moderator (btt = 2); with knha, F = QM / m
    qm_p = float(stats.f.sf(qm, 1, fit.ddf) if fit.ddf is not None else stats.chi2.sf(qm, 1))
    if _is_fixed(method):
        # metafor: 100 * max(0, adjusted R^2 of lm(yi ~ X, weights = 1/vi))
        w_fe = 1.0 / v
        ybar = float(np.sum(w_fe * y) / w_fe.sum())
        _, _, e_fe = _wls(y, x, w_fe)
        tss = float(np.sum(w_fe * (y - ybar) ** 2))
        r2: float | None = 0.0
        if tss > 0 and fit.k > fit.p:
            r2_raw = 1 - float(np.sum(w_fe * e_fe**2)) / tss
            r2 = 100 * max(0.0, 1 - (1 - r2_raw) * (fit.k - 1) / (fit.k - fit.p))
    else:
        tau2_re = _estimate_tau2(y, v, _design(y, None), method, tol, maxiter).tau2
        r2 = 0.0 if tau2_re == 0 else 100 * max(0.0, (tau2_re - fit.tau2.tau2) / tau2_re)
    return MetaRegResult(
        k=fit.k,
        names=("intrcpt", name),
        estimate=tuple(float(b) for b in fit.beta),
        se=tuple(float(s) for s in se),
        zval=None if fit.ddf is not None else tuple(float(s) for s in stat),
        tval=tuple(float(s) for s in stat) if fit.ddf is not None else None,
        df=fit.ddf,
        pval=tuple(float(s) for s in _pvals(stat, fit.ddf)),
        ci_lb=tuple(float(s) for s in fit.beta - fit.crit * se),
        ci_ub=tuple(float(s) for s in fit.beta + fit.crit * se),
        tau2=fit.tau2.tau2,
        se_tau2=fit.tau2.se_tau2,
        i2=fit.i2,
        h2=fit.h2,
        r2=r2,
        q=fit.q,
        q_df=fit.k - fit.p,
        q_p=fit.q_p,
        qm=qm,
        qm_df=1,
        qm_p=qm_p,
        method=method,
        test=test,
        level=level,
        converged=fit.tau2.converged,
        iterations=fit.tau2.iterations,
    )
