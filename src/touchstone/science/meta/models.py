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

with ``A = (X'WX)^-1`` and ``Bj = X' W^j X``. One REML step is therefore O(k p^2).

Exact optima, not metafor's stopping points: metafor stops Fisher scoring when tau2 changes by
at most 1e-5 (an *absolute* threshold) and finds PM and Q-profile roots with ``uniroot`` at an
absolute tolerance of ``eps^0.25``, so its default results are a few 1e-6 from the optimum and
wrong in relative terms for data on a small scale. Here every iterative estimate is solved to
a *relative* tolerance: ML/REML start with metafor's path (Fisher scoring from the HE estimate,
step halving at 0) and finish with Newton's method on the score equation (its exact
derivative, to ~1e-12 relative); PM and the Q-profile bounds use Brent's method with a
relative tolerance only. Results equal metafor run with
``control=list(threshold=1e-12, maxiter=10000)`` (and a matching ``tol``) to 1e-8 relative
(``tests/test_exact.py``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, stats

from touchstone.science.meta._precise import Precise, secant_root

FloatArray = NDArray[np.float64]

#: tau2 estimators; ``"EE"`` is metafor's newer name for the equal-effects (FE) model.
METHODS = ("FE", "EE", "DL", "HE", "ML", "REML", "PM")
TESTS = ("z", "knha")
#: metafor's ``con$tol`` = ``.Machine$double.eps^0.25``, used by its ``ll0check``.
_LL0_TOL = float(np.finfo(float).eps) ** 0.25
#: Relative tolerance of the PM and Q-profile roots (Brent's method stops when the bracket is
#: below ``ROOT_RTOL * tau2``) and of Fisher steps where Newton's is not used: exact up to
#: the floating-point resolution of the estimating equation itself.
ROOT_RTOL = 4 * float(np.finfo(float).eps)
#: Rounding bound of an estimating equation computed in double precision, in units of its
#: largest term (64 ulps: sums of k positive terms, each a few operations deep).
_NOISE = 64 * float(np.finfo(float).eps)
#: A root resolved by double precision only to worse than this (relative) is refined in
#: 60-digit decimal arithmetic (:mod:`touchstone.science.meta._precise`): this happens when
#: tau2 is below about 1e-6 of the sampling variances.
_RESOLVED = 1e-10
#: Default confidence level, a proportion (the same scale everywhere in the science core).
DEFAULT_LEVEL = 0.95
#: metafor ``confint.rma.uni``: the Q-profile search range is ``[0, max(100, 10 tau2)]``; a
#: bound beyond it is censored (printed "> 100").
TAU2_SEARCH_MAX = 100.0


@dataclass(frozen=True)
class MetaResult:
    """The result of an intercept-only (fixed- or random-effects) meta-analysis.

    Field names follow metafor's printed output: ``estimate`` is metafor's ``b``/``beta``,
    ``q``/``q_df``/``q_p`` its ``QE`` test, ``i2`` is in percent as metafor reports it.
    Exactly one of ``zval`` (``test="z"``) and ``tval`` (``test="knha"``, with ``df``) is set.
    ``level`` is a proportion (0.95).

    Censored Q-profile bounds: the tau2 interval is searched on ``[0, tau2_ci_limit]``
    (metafor's ``max(100, 10 tau2)``). A bound beyond that limit is not a number: its field
    (and the matching I2/H2 bound) is ``None`` and ``tau2_ci_ub_censored`` (or
    ``tau2_ci_lb_censored``, when the whole interval lies beyond) is true -- metafor prints
    it as "> 100". :meth:`tau2_ci_text` formats the interval that way.
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
    tau2_ci_lb_censored: bool
    tau2_ci_ub_censored: bool
    tau2_ci_limit: float | None
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

    def tau2_ci_text(self, digits: int = 4) -> str | None:
        """The tau2 interval as metafor prints it, e.g. ``"0.1197 to 1.1115"`` or
        ``"0.5000 to > 100"``; None for a fixed-effect model."""
        if self.tau2_ci_limit is None:
            return None
        limit = f"> {self.tau2_ci_limit:g}"
        lb = limit if self.tau2_ci_lb_censored else f"{self.tau2_ci_lb:.{digits}f}"
        ub = limit if self.tau2_ci_ub_censored else f"{self.tau2_ci_ub:.{digits}f}"
        return f"{lb} to {ub}"


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
    _check_level(level)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level is a proportion between 0 and 1 (e.g. 0.95), not {level!r}")


def _is_fixed(method: str) -> bool:
    return method in ("FE", "EE")


# ------------------------------------------------------------------------ linear algebra


# The products over the k studies below are written with np.einsum (numpy's own loops), not
# with @ / np.dot: X has k rows but only p (1-3) columns, and @ hands such a product to BLAS,
# which on a multi-core machine starts threads for it; on a busy 2-core server that made a
# k = 20,000 analysis 20-100 times slower (docs/benchmarks.md). Only the p x p products use @.


def _xt(x: FloatArray, d: FloatArray) -> FloatArray:
    """``X'd`` (p-vector) in numpy's loops."""
    return np.einsum("ki,k->i", x, d)


def _xb(x: FloatArray, b: FloatArray) -> FloatArray:
    """``Xb`` (k-vector) in numpy's loops."""
    return np.einsum("ki,i->k", x, b)


def _wls(y: FloatArray, x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted least squares: ``beta``, ``A = (X'WX)^-1`` and the residuals ``e``."""
    a = np.asarray(np.linalg.inv(_gram(x, w)), dtype=float)
    beta = a @ _xt(x, w * y)
    return beta, a, y - _xb(x, beta)


def _gram(x: FloatArray, d: FloatArray) -> FloatArray:
    """``X' diag(d) X`` (p x p) without forming ``diag(d)``, in numpy's loops."""
    return np.asarray(np.einsum("ki,kj,k->ij", x, x, d), dtype=float)


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
    return (float(np.einsum("k,k->", e, e)) - tr_pv) / (k - p), tr_pv, tr_pvpv


def _unresolved_excess(q: float, excess: float) -> bool:
    """Is ``excess = Q - (k - p)`` positive but too small for double precision to give it
    to 1e-10 relative? (Clearly negative excesses give 0 whatever the rounding.)"""
    return -_NOISE * q < excess < _NOISE * q / _RESOLVED


def _tau2_dl(y: FloatArray, v: FloatArray, x: FloatArray) -> _Tau2:
    """DerSimonian & Laird (1986): ``(Q - (k - p)) / tr(P)`` with ``W = 1/v``, floored at 0."""
    k, p = x.shape
    w = 1.0 / v
    _, a, e = _wls(y, x, w)
    tr_p, tr_pp = _traces(x, w, a)
    q = float(np.sum(w * e**2))
    tau2 = max(0.0, (q - (k - p)) / tr_p)
    if _unresolved_excess(q, q - (k - p)):
        # Q - (k - p) is a difference of two numbers of order k: exact arithmetic decides
        tau2 = max(0.0, float(Precise(y, v, x).dl()))
    # metafor rma.uni: se.tau2 for DL
    se = math.sqrt((2 * (k - p) + 4 * tau2 * tr_p + 2 * tau2**2 * tr_pp) / tr_p**2)
    return _Tau2(tau2, se, True, 0)


def _brent(f: Any, lo: float, hi: float) -> tuple[float, int]:
    """Root of ``f`` in ``[lo, hi]`` to a relative tolerance only (no absolute floor, so a
    root of 4e-15 is found as precisely as one of 4)."""
    root, info = optimize.brentq(
        f, lo, hi, xtol=float(np.finfo(float).tiny), rtol=ROOT_RTOL, maxiter=1000,
        full_output=True,
    )  # fmt: skip
    return float(root), int(info.iterations)


class _Lazy:
    """The data as exact decimals (:class:`Precise`), built only if a root needs them."""

    def __init__(self, y: FloatArray, v: FloatArray, x: FloatArray) -> None:
        self.args = (y, v, x)
        self.value: Precise | None = None

    def get(self) -> Precise:
        if self.value is None:
            self.value = Precise(*self.args)
        return self.value


def _q_and_slope(tau2: float, y: FloatArray, v: FloatArray, x: FloatArray) -> tuple[float, float]:
    """Generalised Q and its derivative ``dQ/dtau2 = -y'PPy = -sum (w e)^2``."""
    w = 1.0 / (v + tau2)
    _, _, e = _wls(y, x, w)
    return float(np.sum(w * e**2)), -float(np.sum((w * e) ** 2))


def _q_below(
    tau2: float, target: float, y: FloatArray, v: FloatArray, x: FloatArray, precise: _Lazy
) -> bool:
    """``Q(tau2) < target``, decided in exact arithmetic when rounding could flip it."""
    q = _q_stat(tau2, y, v, x)
    if abs(q - target) <= _NOISE * q:
        return bool(precise.get().q_stat(tau2) < Decimal(target))
    return q < target


def _refine_q_root(
    root: float, target: float, y: FloatArray, v: FloatArray, x: FloatArray, precise: _Lazy
) -> float:
    """The root of ``Q(tau2) = target`` exactly, if double precision left it unresolved."""
    q, slope = _q_and_slope(root, y, v, x)
    if root <= 0 or _NOISE * q <= _RESOLVED * root * abs(slope):
        return root
    exact = precise.get()
    return secant_root(lambda t: exact.q_stat(t) - Decimal(target), root, 1e-3 * root)


def _tau2_pm(y: FloatArray, v: FloatArray, x: FloatArray) -> _Tau2:
    """Paule & Mandel (1982): the tau2 at which generalised Q equals ``k - p``.

    metafor finds the root with ``uniroot`` on ``[0, max(100, 10 mad(y)^2)]`` at the absolute
    tolerance ``control$tol`` (default ``eps^0.25``); Brent's method here runs to a relative
    tolerance of :data:`ROOT_RTOL`, so compare with metafor run with a tight ``tol`` (see
    ``tests/fixtures``). The upper end is doubled until it brackets the root instead of
    failing as metafor does.
    """
    k, p = x.shape
    target = float(k - p)
    iterations = 0
    precise = _Lazy(y, v, x)
    if _q_below(0.0, target, y, v, x, precise):
        tau2 = 0.0
    else:
        mad = 1.4826 * float(np.median(np.abs(y - np.median(y))))  # R's mad(), constant 1.4826
        upper = max(100.0, 10 * mad**2)
        while _q_stat(upper, y, v, x) > target:
            upper *= 2.0
        tau2, iterations = _brent(lambda t: _q_stat(t, y, v, x) - target, 0.0, upper)
        tau2 = _refine_q_root(tau2, target, y, v, x, precise)
    w = 1.0 / (v + tau2)
    se = math.sqrt(2 * k**2 / (k - p) / float(w.sum()) ** 2)  # metafor rma.uni, PM
    return _Tau2(tau2, se, True, iterations)


def _score(
    tau2: float, y: FloatArray, v: FloatArray, x: FloatArray, reml: bool, slope: bool = True
) -> tuple[float, float, float, float]:
    """The (restricted) likelihood's score equation at tau2, as Fisher scoring uses it.

    Returns ``(score, information, noise, slope)``: the Fisher step is ``score /
    information``; ``score = y'PPy - tr(P)`` (REML) or ``y'PPy - sum w`` (ML) is twice the
    derivative of the log-likelihood, its root the (restricted) maximum-likelihood estimate
    (Viechtbauer 2005, *J Educ Behav Stat* 30:261-293, eqs. 9 and 11); ``noise`` bounds the
    rounding error of ``score`` (a difference of two sums of positive terms); ``slope`` is its
    exact derivative, ``-2 y'PPPy + tr(PP)`` (REML) or ``-2 y'PPPy + sum w^2`` (ML), using
    ``dP/dtau2 = -PP`` and ``P (w e) = w (w e) - W X A X'W (w e)`` (no k x k matrix);
    NaN when not asked for (``slope=False``).
    """
    w = 1.0 / (v + tau2)
    _, a, e = _wls(y, x, w)
    we = w * e
    ypp = float(np.einsum("k,k->", we, we))
    if reml:
        tr_p, tr_pp = _traces(x, w, a)
        score, info = ypp - tr_p, tr_pp
    else:
        score, info = ypp - float(w.sum()), float((w**2).sum())
    noise = 64 * float(np.finfo(float).eps) * (abs(ypp) + abs(score - ypp))
    derivative = math.nan
    if slope:
        p_we = w * we - w * _xb(x, a @ _xt(x, w * we))
        derivative = info - 2.0 * float(np.einsum("k,k->", we, p_we))
    return score, info, noise, derivative


#: Fisher scoring (metafor's steps) until its step is below this fraction of tau2; then
#: Newton's method with the exact derivative of the score, which converges quadratically.
_NEWTON_SWITCH = 0.1
#: A Newton step below this (relative) is taken without another evaluation: quadratic
#: convergence leaves an error of order its square, ~1e-12.
_NEWTON_LAST = 1e-6


def _tau2_fisher(y: FloatArray, v: FloatArray, x: FloatArray, reml: bool, maxiter: int) -> _Tau2:
    """ML / REML: metafor's Fisher-scoring path, finished by Newton's method to the exact root.

    1. Start at ``max(0, HE)``; step ``score / information`` (Viechtbauer 2005); halve the
       step while it would take tau2 below 0, as metafor does. If halving is needed and the
       score at 0 is not positive, the likelihood falls from tau2 = 0 on: the optimum is the
       boundary, tau2 = 0.
    2. Once a step is below 0.1 of tau2, Newton steps on the score equation with its exact
       derivative (metafor instead stops Fisher scoring when the *absolute* change is at most
       ``threshold``, 1e-5 by default). Done when a Newton step is below 1e-6 (relative; the
       step is taken, leaving ~1e-12) or the score is within its rounding noise; a Newton step
       that does not shrink the score switches back to Fisher steps, which then run to a
       relative change of :data:`ROOT_RTOL`. ``converged=False`` after ``maxiter`` steps.
    3. If double precision resolves the root only to worse than 1e-10 (tau2 tiny against the
       sampling variances), the root is refined in decimal arithmetic.
    4. metafor's ``ll0check``: if the likelihood at tau2 = 0 beats the one at the estimate by
       more than ``eps^0.25``, tau2 is set to 0.
    """
    tau2 = max(0.0, _tau2_he(y, v, x)[0])
    iterations, converged, resolution = 0, False, 0.0
    precise = _Lazy(y, v, x)
    newton_ok, near, last_score = True, False, math.inf
    while True:
        iterations += 1
        if iterations > maxiter:
            break
        # the exact derivative only near the root (after a small step), where it is used
        score, info, noise, slope = _score(tau2, y, v, x, reml, slope=near)
        resolution = noise / abs(slope) if near and slope else noise / info
        if tau2 > 0 and abs(score) <= noise:
            converged = True
            break
        fisher = score / info if info > 0 else 0.0
        if math.isnan(fisher):
            fisher = 0.0
        if abs(score) > abs(last_score):
            newton_ok = False  # the last Newton step did not help: Fisher steps from here
        newton = newton_ok and near and tau2 > 0 and slope < 0
        adj = -score / slope if newton else fisher
        last_score = score if newton else math.inf
        if tau2 + adj < 0:
            if tau2 == 0 or not _score_positive_at_zero(y, v, x, reml, precise):
                tau2, converged = 0.0, True
                break
            while tau2 + adj < 0:
                adj /= 2.0
        new = tau2 + adj
        done = abs(adj) <= (_NEWTON_LAST if newton else ROOT_RTOL) * new
        near = abs(adj) <= _NEWTON_SWITCH * new
        tau2 = new
        if done:
            converged = True
            break
    if converged and tau2 > 0:
        if resolution > _RESOLVED * tau2:
            exact = precise.get()
            tau2 = max(0.0, secant_root(lambda t: exact.score(t, reml), tau2, 1e-3 * tau2))
        ll0 = _loglik(0.0, y, v, x, reml)
        if ll0 - _loglik(tau2, y, v, x, reml) > _LL0_TOL:
            tau2 = 0.0
    w = 1.0 / (v + tau2)
    if reml:
        _, a, _ = _wls(y, x, w)
        se = math.sqrt(2.0 / _traces(x, w, a)[1])
    else:
        se = math.sqrt(2.0 / float((w**2).sum()))
    return _Tau2(tau2, se, converged, iterations)


def _score_positive_at_zero(
    y: FloatArray, v: FloatArray, x: FloatArray, reml: bool, precise: _Lazy
) -> bool:
    """Does the likelihood rise from tau2 = 0? Exact arithmetic decides near the noise."""
    score, _, noise, _ = _score(0.0, y, v, x, reml)
    if abs(score) <= noise:
        return bool(precise.get().score(0.0, reml) > 0)
    return score > 0


def _estimate_tau2(y: FloatArray, v: FloatArray, x: FloatArray, method: str, maxiter: int) -> _Tau2:
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
    return _tau2_fisher(y, v, x, reml=method == "REML", maxiter=maxiter)


# --------------------------------------------------------------------------------- fitting


def _crit(test: str, level: float, ddf: int | None) -> float:
    alpha = 1 - level
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
    maxiter: int = 100,
) -> _Fit:
    _check_options(method, test, level)
    k, p = x.shape
    if k < p:
        raise ValueError(f"more coefficients ({p}) than studies ({k})")
    tau2 = _estimate_tau2(y, v, x, method, maxiter)
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
            excess = q - (k - p)
            if q > 0 and _unresolved_excess(q, excess):
                excess = float(Precise(y, v, x).q_stat(0.0) - (k - p))  # cancellation
            i2 = max(0.0, 100 * excess / q) if q > 0 else 0.0
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


@dataclass(frozen=True)
class Tau2Interval:
    """A Q-profile confidence interval for tau2.

    ``lb``/``ub`` are None where the bound is censored: beyond the search limit ``limit``
    (metafor prints it as "> 100"). When even ``Q(0)`` is below the lower quantile, both
    bounds are 0 (metafor's "null" interval), not censored.
    """

    lb: float | None
    ub: float | None
    lb_censored: bool
    ub_censored: bool
    limit: float


def tau2_qprofile_ci(
    yi: ArrayLike,
    vi: ArrayLike,
    mods: ArrayLike | None = None,
    level: float = DEFAULT_LEVEL,
    tau2: float = 0.0,
) -> Tau2Interval:
    """Q-profile confidence interval for tau2 (Viechtbauer 2007, *Stat Med* 26:37-52).

    The bounds solve ``Q(tau2) = chi2_{1-alpha/2, k-p}`` (lower) and ``chi2_{alpha/2, k-p}``
    (upper), searched on ``[0, max(100, 10 tau2)]`` as metafor ``confint.rma.uni`` does. A
    bound not crossed inside the range is censored at the range end (metafor: "> 100"); both
    bounds are 0 when even ``Q(0)`` is below the lower quantile. Brent's method runs to a
    relative tolerance only (metafor uses ``uniroot`` at the absolute ``eps^0.25`` unless
    given ``control=list(tol=...)``).

    Parameters
    ----------
    yi, vi : array_like
        Effect sizes and sampling variances.
    mods : array_like, optional
        One moderator (the interval is then for the residual tau2).
    level : float
        Confidence level, a proportion (default 0.95).
    tau2 : float
        The model's tau2 estimate; only widens the search range, as in metafor.

    Examples
    --------
    >>> ci = tau2_qprofile_ci([0.1, 0.5, 0.9, 1.4], [0.04, 0.05, 0.04, 0.06])
    >>> 0 < ci.lb < ci.ub, ci.ub_censored
    (True, False)
    """
    y, v = as_study_arrays(yi, vi)
    _check_level(level)
    x = _design(y, mods)
    k, p = x.shape
    alpha = 1 - level
    crit_u = float(stats.chi2.isf(alpha / 2, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2, k - p))
    t_max = max(TAU2_SEARCH_MAX, tau2 * 10)
    q_max = _q_stat(t_max, y, v, x)
    precise = _Lazy(y, v, x)

    def root(target: float) -> float:
        found = _brent(lambda t: _q_stat(t, y, v, x) - target, 0.0, t_max)[0]
        return _refine_q_root(found, target, y, v, x, precise)

    if _q_below(0.0, crit_l, y, v, x, precise):
        return Tau2Interval(0.0, 0.0, False, False, t_max)
    if q_max > crit_u:
        return Tau2Interval(None, None, True, True, t_max)
    ub = None if q_max > crit_l else root(crit_l)
    lb = 0.0 if _q_below(0.0, crit_u, y, v, x, precise) else root(crit_u)
    return Tau2Interval(lb, ub, False, ub is None, t_max)


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
    level: float = DEFAULT_LEVEL,
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
        Confidence level, a proportion (default 0.95; metafor's ``level=95``).
    maxiter : int
        Most Fisher-scoring steps for ML/REML before ``converged=False`` (metafor
        ``control$maxiter``). The estimate is then solved exactly (see the module notes).

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
    fit = _fit(y, v, x, method, test, level, maxiter)
    b, se = float(fit.beta[0]), math.sqrt(float(fit.vb[0, 0]))
    stat = b / se if se > 0 else math.nan
    pval = float(_pvals(np.array([stat]), fit.ddf)[0])
    tau2 = fit.tau2.tau2
    pi_half = fit.crit * math.sqrt(se**2 + tau2)
    ci = Tau2Interval(None, None, False, False, math.nan)
    has_ci = not _is_fixed(method) and fit.k > 1
    if has_ci:
        ci = tau2_qprofile_ci(y, v, level=level, tau2=tau2)

    def i2(bound: float | None) -> float | None:
        # metafor confint.rma.uni: I2 and H2 bounds from the tau2 bounds and vt
        return None if bound is None else 100 * bound / (fit.vt + bound)

    def h2(bound: float | None) -> float | None:
        return None if bound is None else bound / fit.vt + 1

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
        tau2_ci_lb=ci.lb,
        tau2_ci_ub=ci.ub,
        tau2_ci_lb_censored=ci.lb_censored,
        tau2_ci_ub_censored=ci.ub_censored,
        tau2_ci_limit=ci.limit if has_ci else None,
        i2=fit.i2,
        i2_ci_lb=i2(ci.lb),
        i2_ci_ub=i2(ci.ub),
        h2=fit.h2,
        h2_ci_lb=h2(ci.lb),
        h2_ci_ub=h2(ci.ub),
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
    level: float = DEFAULT_LEVEL,
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
    method, test, level, maxiter
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
    fit = _fit(y, v, x, method, test, level, maxiter)
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
        tau2_re = _estimate_tau2(y, v, _design(y, None), method, maxiter).tau2
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
