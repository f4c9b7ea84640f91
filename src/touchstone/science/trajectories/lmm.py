"""Linear mixed-effects models with one grouping factor, fitted by a profiled deviance.

The model is lme4's (Bates, Mächler, Bolker & Walker 2015, *J Stat Softw* 67(1),
doi:10.18637/jss.v067.i01, section 3)::

    y = X beta + Z b + e,   b_i ~ N(0, sigma^2 Lambda Lambda'),   e ~ N(0, sigma^2 I)

with one grouping factor (the client), a small number ``q`` of random effects per group
(intercept and slope, so ``q = 2``) and ``Lambda`` the ``q x q`` lower-triangular relative
covariance factor, parametrised by ``theta`` (its lower triangle, column by column, as in
lme4's ``getME(fit, "theta")``). ``beta`` and ``sigma`` are profiled out, so the optimiser
only searches the ``q (q + 1) / 2`` entries of ``theta`` (3 for intercept and slope).

Why hand-written rather than ``statsmodels.MixedLM``: statsmodels solves the same model
but loops over groups in Python; at 1,000 clients it already takes seconds (measured in
``bench/trajectories.py``, see ``docs/benchmarks.md``), and the issue asks for 10,000
clients in about the time lme4 needs. Because there is one grouping factor, the sparse
Cholesky factor of lme4's eq. (18) is block diagonal: each group contributes through
``q x q`` and ``q x p`` blocks, which numpy handles for all groups at once. The per-group
sufficient statistics (``Z_i'Z_i``, ``Z_i'X_i``, ``Z_i'y_i``) are computed once, so each
deviance evaluation costs O(groups), not O(observations).

Deviance (Bates et al. 2015, eqs. 34 and 41), with ``L_i L_i' = Lambda' Z_i'Z_i Lambda + I``,
``R_ZX,i = L_i^-1 Lambda' Z_i'X_i``, ``c_u,i = L_i^-1 Lambda' Z_i'y_i``,
``R_X'R_X = X'X - sum_i R_ZX,i' R_ZX,i`` and ``r^2`` the penalised residual sum of squares::

    ML:   -2 l(theta)   = log|L|^2 + n (1 + log(2 pi r^2 / n))
    REML: -2 l_R(theta) = log|L|^2 + log|R_X|^2 + (n - p) (1 + log(2 pi r^2 / (n - p)))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

FloatArray = NDArray[np.float64]

#: Diagonal entries of ``Lambda`` below this are reported as a singular fit; lme4's
#: ``isSingular(fit, tol = 1e-4)`` uses the same default (lme4 ``?isSingular``).
SINGULAR_TOL = 1e-4


@dataclass(frozen=True)
class GroupedData:
    """Per-group sufficient statistics of a one-factor mixed model.

    Attributes
    ----------
    ztz : numpy.ndarray
        ``Z_i'Z_i`` for each group, shape (q, q, m) (group axis last, so each entry of the
        small blocks is one contiguous vector over groups).
    ztxy : numpy.ndarray
        ``[Z_i'X_i | Z_i'y_i]`` for each group, shape (q, p + 1, m).
    xtx, xty : numpy.ndarray
        ``X'X`` (p, p) and ``X'y`` (p,).
    yty : float
        ``y'y``.
    n_obs, n_groups : int
        Number of observations and groups.
    """

    ztz: FloatArray
    ztxy: FloatArray
    xtx: FloatArray
    xty: FloatArray
    yty: float
    n_obs: int
    n_groups: int

    @property
    def q(self) -> int:
        """Number of random effects per group."""
        return int(self.ztz.shape[0])

    @property
    def p(self) -> int:
        """Number of fixed effects."""
        return int(self.xtx.shape[0])


@dataclass(frozen=True)
class MixedModelFit:
    """A fitted linear mixed model with one grouping factor.

    Attributes
    ----------
    fixed_names, random_names : tuple of str
        Names of the fixed-effect columns and the random-effect columns.
    fixed_effects, fixed_se : numpy.ndarray
        ``beta`` and its standard errors, ``sqrt(diag(sigma^2 (R_X'R_X)^-1))`` as lme4's
        ``vcov()`` (conditional on ``theta``).
    fixed_cov : numpy.ndarray
        Covariance matrix of ``beta``.
    random_cov : numpy.ndarray
        ``q x q`` covariance of the random effects, ``sigma^2 Lambda Lambda'``.
    residual_sd : float
        ``sigma``.
    theta : numpy.ndarray
        The optimised relative covariance parameters (lme4's ``getME(fit, "theta")``).
    method : str
        ``"REML"`` or ``"ML"``.
    deviance : float
        The REML criterion or the ML deviance at the optimum (``-2`` log-likelihood).
    n_obs, n_groups : int
        Number of observations and groups.
    converged : bool
        The convergence test held at the reported ``theta``: no negative curvature, and a
        further Newton step would lower the deviance by at most :data:`DEVIANCE_RTOL`
        relative (see :func:`fit_mixed_model`, Notes).
    singular : bool
        A diagonal entry of ``Lambda`` is below :data:`SINGULAR_TOL` (a variance or a
        correlation on the boundary, as lme4's ``isSingular``).
    n_evaluations : int
        Deviance (with gradient) evaluations used by the optimiser.
    group_labels : numpy.ndarray
        Group labels in the order of :attr:`random_effects`.
    random_effects : numpy.ndarray
        Conditional modes (BLUPs) of the random effects, shape (groups, q), as lme4's
        ``ranef()``.
    """

    fixed_names: tuple[str, ...]
    random_names: tuple[str, ...]
    fixed_effects: FloatArray
    fixed_se: FloatArray
    fixed_cov: FloatArray
    random_cov: FloatArray
    residual_sd: float
    theta: FloatArray
    method: str
    deviance: float
    n_obs: int
    n_groups: int
    converged: bool
    singular: bool
    n_evaluations: int
    group_labels: NDArray[Any] = field(repr=False)
    random_effects: FloatArray = field(repr=False)

    @property
    def log_likelihood(self) -> float:
        """Log-likelihood (restricted log-likelihood for REML), ``-deviance / 2``."""
        return -0.5 * self.deviance

    @property
    def n_parameters(self) -> int:
        """Fixed effects + covariance parameters + residual variance (lme4's ``df``)."""
        return len(self.fixed_effects) + len(self.theta) + 1

    @property
    def aic(self) -> float:
        """Akaike information criterion, ``deviance + 2 df`` (as lme4's ``AIC``)."""
        return self.deviance + 2 * self.n_parameters

    @property
    def bic(self) -> float:
        """Bayesian information criterion, ``deviance + log(n) df`` (as lme4's ``BIC``)."""
        return self.deviance + np.log(self.n_obs) * self.n_parameters

    @property
    def random_sd(self) -> FloatArray:
        """Standard deviations of the random effects."""
        return np.sqrt(np.diag(self.random_cov))

    @property
    def random_corr(self) -> FloatArray:
        """Correlation matrix of the random effects (NaN where an SD is zero)."""
        sd = self.random_sd
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.random_cov / np.outer(sd, sd)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary (no per-group random effects)."""
        corr = self.random_corr
        q = len(self.random_names)
        correlations = {
            f"{self.random_names[i]}:{self.random_names[j]}": _float_or_none(corr[i, j])
            for i in range(q)
            for j in range(i)
        }
        return {
            "method": self.method,
            "n_obs": self.n_obs,
            "n_groups": self.n_groups,
            "fixed_effects": dict(
                zip(self.fixed_names, map(float, self.fixed_effects), strict=True)
            ),
            "fixed_se": dict(zip(self.fixed_names, map(float, self.fixed_se), strict=True)),
            "random_sd": dict(zip(self.random_names, map(float, self.random_sd), strict=True)),
            "random_corr": correlations,
            "residual_sd": self.residual_sd,
            "theta": [float(t) for t in self.theta],
            "deviance": self.deviance,
            "log_likelihood": self.log_likelihood,
            "aic": self.aic,
            "bic": self.bic,
            "converged": self.converged,
            "singular": self.singular,
            "n_evaluations": self.n_evaluations,
        }


def _float_or_none(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def group_sums(
    y: FloatArray, x: FloatArray, z: FloatArray, codes: NDArray[np.intp], n_groups: int
) -> GroupedData:
    """Sufficient statistics per group, computed once before optimisation.

    Parameters
    ----------
    y : numpy.ndarray
        Responses, shape (n,).
    x, z : numpy.ndarray
        Fixed- and random-effect design matrices, shapes (n, p) and (n, q).
    codes : numpy.ndarray
        Group index 0..n_groups-1 of each observation; every group must occur.
    n_groups : int
        Number of groups.

    Returns
    -------
    GroupedData
    """
    order = np.argsort(codes, kind="stable")
    sorted_codes = codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    ys, xs, zs = y[order], x[order], z[order]
    ztz = np.add.reduceat(zs[:, :, None] * zs[:, None, :], starts, axis=0)
    xys = np.concatenate([xs, ys[:, None]], axis=1)
    ztxy = np.add.reduceat(zs[:, :, None] * xys[:, None, :], starts, axis=0)
    return GroupedData(
        ztz=np.ascontiguousarray(ztz.transpose(1, 2, 0)),
        ztxy=np.ascontiguousarray(ztxy.transpose(1, 2, 0)),
        xtx=x.T @ x,
        xty=x.T @ y,
        yty=float(y @ y),
        n_obs=len(y),
        n_groups=n_groups,
    )


def theta_to_lambda(theta: FloatArray, q: int) -> FloatArray:
    """Lower-triangular ``Lambda`` from ``theta``, filled column by column (lme4's order)."""
    lam = np.zeros((q, q))
    rows, cols = _theta_order(q)
    lam[rows, cols] = theta
    return lam


def _solve_blocks(a: FloatArray, rhs: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``A_i^-1 rhs_i`` and ``log det A_i`` for every group's small SPD block.

    ``a`` has shape (q, q, m) and ``rhs`` (q, k, m): the group axis is last, so each entry
    of the small blocks is one contiguous vector over groups. Closed forms for 1x1 and 2x2
    blocks (the trajectory model) work on those vectors and avoid LAPACK's per-block
    overhead; larger blocks go through numpy's batched Cholesky and solve.
    """
    q = a.shape[0]
    if q == 1:
        d = a[0, 0]
        return rhs / d, np.log(d)
    if q == 2:
        det = a[0, 0] * a[1, 1] - a[0, 1] * a[0, 1]
        i00, i01, i11 = a[1, 1] / det, -a[0, 1] / det, a[0, 0] / det
        r0, r1 = rhs[0], rhs[1]
        return np.stack([i00 * r0 + i01 * r1, i01 * r0 + i11 * r1]), np.log(det)
    blocks = a.transpose(2, 0, 1)
    chol = np.linalg.cholesky(blocks)
    logdet: FloatArray = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    solved = np.linalg.solve(blocks, rhs.transpose(2, 0, 1)).transpose(1, 2, 0)
    return np.ascontiguousarray(solved, dtype=np.float64), logdet


@dataclass(frozen=True)
class _Profile:
    """Everything the profiled deviance computes at one ``theta``."""

    deviance: float
    beta: FloatArray
    sigma2: float
    rx_inv: FloatArray  # (R_X'R_X)^-1
    lam: FloatArray
    a_inv_rhs: FloatArray  # A_i^-1 [Lambda'Z_i'X_i | Lambda'Z_i'y_i], shape (q, p + 1, m)
    gradient: FloatArray | None = None  # d deviance / d theta, when asked for


def _theta_order(q: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column of each ``theta`` entry in ``Lambda`` (column-major, lme4's ``Lind``)."""
    rows, cols = np.tril_indices(q)
    order = np.lexsort((rows, cols))
    return rows[order], cols[order]


def profile(
    theta: FloatArray, data: GroupedData, reml: bool, *, gradient: bool = False
) -> _Profile:
    """Evaluate the profiled deviance and the profiled ``beta`` and ``sigma^2`` at ``theta``.

    Follows Bates et al. (2015), section 3.6 (eqs. 34 and 41). Instead of forming the
    Cholesky factors ``L_i`` and ``R_ZX,i`` explicitly it uses the identities
    ``R_ZX,i'R_ZX,i = B_i' A_i^-1 B_i``, ``R_ZX,i'c_u,i = B_i' A_i^-1 c_i`` and
    ``c_u,i'c_u,i = c_i' A_i^-1 c_i`` with ``A_i = L_i L_i'``, ``B_i = Lambda' Z_i'X_i``
    and ``c_i = Lambda' Z_i'y_i``; ``log|L|^2 = sum_i log det A_i``.

    With ``gradient=True`` it also returns the exact derivative of the deviance with respect
    to ``theta``. Write ``D = Lambda Lambda'`` and ``V_i = I + Z_i D Z_i'`` (the marginal
    covariance of group ``i`` over ``sigma^2``). The profiled REML criterion is
    ``log|V| + log|X'V^-1 X| + (n - p) log r^2 + const`` with ``r^2 = y'Py``,
    ``P = V^-1 - V^-1 X (X'V^-1 X)^-1 X'V^-1``, so its derivative along ``dD`` is
    ``tr(G dD)`` with (Harville 1977, *J Am Stat Assoc* 72:320-338, eqs. 4.4-4.5; the
    usual REML score with ``sigma^2`` profiled out)::

        G = sum_i Z_i'P Z_i - (n - p) / r^2 sum_i u_i u_i',   u_i = Z_i'V_i^-1 (y_i - X_i beta)
        Z_i'P Z_i = S_i - K_i (X'V^-1 X)^-1 K_i',  S_i = Z_i'V_i^-1 Z_i,  K_i = Z_i'V_i^-1 X_i

    (for ML drop the ``K_i`` term and use ``n``). Woodbury's identity
    ``V_i^-1 = I - Z_i Lambda A_i^-1 Lambda' Z_i'`` gives ``Z_i'V_i^-1 [Z_i|X_i|y_i] =
    M_i - M_i Lambda A_i^-1 Lambda' M_i`` with ``M_i = Z_i'[Z_i|X_i|y_i]``, so the gradient
    costs one more pass over the same per-group blocks. Finally
    ``d deviance / d Lambda = 2 G Lambda``, read at the ``theta`` positions.
    """
    q, p, n, m = data.q, data.p, data.n_obs, data.n_groups
    lam = theta_to_lambda(theta, q)
    # Every per-group array has the group axis last (contiguous vectors over groups).
    # Lambda' Z_i'Z_i, entry (b, a); its transpose is Z_i'Z_i Lambda (Z_i'Z_i is symmetric)
    lzz = (lam.T @ data.ztz.reshape(q, -1)).reshape(q, q, m)
    zl = np.ascontiguousarray(lzz.transpose(1, 0, 2))
    # A_i = Lambda' Z_i'Z_i Lambda + I
    a = (lam.T @ zl.reshape(q, -1)).reshape(q, q, m)
    a[np.arange(q), np.arange(q)] += 1.0
    rhs = (lam.T @ data.ztxy.reshape(q, -1)).reshape(q, p + 1, m)
    if gradient:
        # also A_i^-1 Lambda' Z_i'Z_i, as q extra right-hand sides
        solved, logdet_a = _solve_blocks(a, np.concatenate([rhs, lzz], axis=1))
        a_inv_rhs, a_inv_lzz = solved[:, : p + 1], solved[:, p + 1 :]
    else:
        a_inv_rhs, logdet_a = _solve_blocks(a, rhs)
    # sum_i rhs_i' A_i^-1 rhs_i: one BLAS product per row of the blocks
    cross = sum(rhs[b] @ a_inv_rhs[b].T for b in range(q))
    rx = data.xtx - cross[:p, :p]
    rx_y = data.xty - cross[:p, p]
    chol_rx = np.linalg.cholesky(rx)
    rx_inv = np.asarray(np.linalg.inv(rx), dtype=np.float64)
    beta = rx_inv @ rx_y
    r2 = float(data.yty - cross[p, p] - rx_y @ beta)
    log_l = float(logdet_a.sum())
    if reml:
        dof = n - p
        log_rx = 2.0 * float(np.log(np.diag(chol_rx)).sum())
        dev = log_l + log_rx + dof * (1.0 + np.log(2.0 * np.pi * r2 / dof))
    else:
        dof = n
        dev = log_l + n * (1.0 + np.log(2.0 * np.pi * r2 / n))
    grad = None
    if gradient:
        # Z_i'V_i^-1 [X_i | y_i] = Z_i'[X_i | y_i] - Z_i'Z_i Lambda A_i^-1 Lambda'Z_i'[X_i | y_i]
        # and sum_i Z_i'V_i^-1 Z_i; loops over the q x q block entries, vectors over groups.
        vxy = data.ztxy.copy()
        s_sum = data.ztz.sum(axis=2)
        for r in range(q):
            for c in range(q):
                vxy[r] -= zl[r, c] * a_inv_rhs[c]
                for t in range(q):
                    s_sum[r, t] -= float(zl[r, c] @ a_inv_lzz[c, t])
        k = vxy[:, :p]
        u = vxy[:, p] - beta @ k  # Z_i'V_i^-1 (y_i - X_i beta), shape (q, m)
        g = s_sum - (dof / r2) * (u @ u.T)
        if reml:
            kf = [rx_inv @ k[r] for r in range(q)]
            for r in range(q):
                for t in range(q):
                    g[r, t] -= float(np.vdot(kf[r], k[t]))
        g = 0.5 * (g + g.T)
        rows, cols = _theta_order(q)
        grad = (2.0 * g @ lam)[rows, cols]
    return _Profile(float(dev), beta, float(r2 / dof), rx_inv, lam, a_inv_rhs, grad)


# ------------------------------------------------------------------------------ optimiser

#: Convergence test: the fit has converged when a Newton step on the (box-constrained)
#: quadratic model of the deviance would lower it by at most this much relative to
#: ``max(1, |deviance|)``. 1e-10 leaves the log-likelihood within 1e-10 relative of the
#: optimum; the deviance itself is computed to about 1e-14 relative, so the test is never
#: below the floating-point noise.
DEVIANCE_RTOL = 1e-10
#: Diagonal starts ``s I`` tried besides lme4's identity start (the best one is used).
_SCALED_STARTS = (0.1, 0.3, 3.0, 10.0)
#: Relative size of an eigenvalue of the Hessian treated as zero (a flat direction, e.g. the
#: redundant angle of a singular fit) rather than as curvature.
_FLAT = 1e-7


@dataclass(frozen=True)
class _Optimum:
    theta: FloatArray
    deviance: float
    evaluations: int
    converged: bool
    predicted_decrease: float


class _Objective:
    """The profiled deviance and its gradient, counting evaluations."""

    def __init__(self, data: GroupedData, reml: bool) -> None:
        self.data, self.reml, self.count = data, reml, 0

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        self.count += 1
        try:
            prof = profile(np.asarray(theta, dtype=float), self.data, self.reml, gradient=True)
        except np.linalg.LinAlgError:
            return np.inf, np.zeros_like(theta)
        if not np.isfinite(prof.deviance):
            return np.inf, np.zeros_like(theta)
        assert prof.gradient is not None
        return prof.deviance, prof.gradient

    def hessian(self, theta: FloatArray) -> FloatArray:
        """Central differences of the exact gradient (the deviance is smooth in ``theta``
        on both sides of a zero diagonal: flipping a column of ``Lambda`` leaves
        ``Lambda Lambda'`` unchanged)."""
        n = theta.size
        hess = np.empty((n, n))
        for j in range(n):
            step = 1e-5 * max(1.0, abs(float(theta[j])))
            up, down = theta.copy(), theta.copy()
            up[j] += step
            down[j] -= step
            hess[:, j] = (self(up)[1] - self(down)[1]) / (2.0 * step)
        return 0.5 * (hess + hess.T)


def _newton_step(
    objective: _Objective, theta: FloatArray, is_diag: NDArray[np.bool_]
) -> tuple[FloatArray, float, bool]:
    """The Newton step of the bound-constrained quadratic model at ``theta``.

    Returns ``(step, predicted decrease, curvature ok)``. Diagonal entries at their bound 0
    may be released into the interior (every subset is tried; there are at most ``q``).
    "Curvature ok" is false when the Hessian on the free entries has a clearly negative
    eigenvalue: ``theta`` is then a saddle point (e.g. a diagonal of ``Lambda`` stuck at 0,
    where the gradient vanishes although moving away lowers the deviance).
    """
    _, grad = objective(theta)
    hess = objective.hessian(theta)
    at_bound = np.flatnonzero(is_diag & (theta <= 0.0))
    best_step, best_decrease, curvature_ok = np.zeros_like(theta), 0.0, True
    for mask in range(1 << at_bound.size):
        released = at_bound[[bool(mask >> i & 1) for i in range(at_bound.size)]]
        free = ~(is_diag & (theta <= 0.0))
        free[released] = True
        idx = np.flatnonzero(free)
        if idx.size == 0:
            continue
        eigval, eigvec = np.linalg.eigh(hess[np.ix_(idx, idx)])
        scale = max(float(np.abs(eigval).max()), np.finfo(float).tiny)
        if eigval.min() < -_FLAT * scale:
            curvature_ok = False
            continue
        inv = np.where(eigval > _FLAT * scale, 1.0 / np.where(eigval > 0, eigval, 1.0), 0.0)
        sub = -(eigvec * inv) @ (eigvec.T @ grad[idx])
        step = np.zeros_like(theta)
        step[idx] = sub
        if np.any(step[released] < 0.0):
            continue  # a released diagonal would have to go below 0: not this subset
        decrease = -float(grad[idx] @ sub) / 2.0  # = g'H^+g / 2 for the Newton step
        if decrease > best_decrease:
            best_step, best_decrease = step, decrease
    return best_step, best_decrease, curvature_ok


def _minimise(
    objective: _Objective, start: FloatArray, is_diag: NDArray[np.bool_]
) -> tuple[FloatArray, float]:
    """Bounded L-BFGS-B with the exact gradient (diagonal of ``Lambda`` >= 0, as lme4)."""
    bounds = [(0.0, None) if d else (None, None) for d in is_diag]
    res = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-11, "gtol": 1e-8, "maxiter": 1000},
    )
    return np.asarray(res.x, dtype=float), float(res.fun)


def _interior(theta: FloatArray, is_diag: NDArray[np.bool_]) -> FloatArray:
    """``theta`` with every zero diagonal of ``Lambda`` moved into the interior."""
    moved = theta.copy()
    zero = is_diag & (theta <= 0.0)
    moved[zero] = max(0.5, float(np.abs(theta[is_diag]).max()) / 2.0)
    return moved


def _optimise(
    data: GroupedData, reml: bool, start: FloatArray | None, is_diag: NDArray[np.bool_]
) -> _Optimum:
    """Minimise the profiled deviance over ``theta`` from several starts.

    1. Starts: the caller's ``theta0`` (default lme4's identity) and the best of the
       diagonal starts ``s I``, ``s`` in :data:`_SCALED_STARTS` (or the second best if
       the caller's start is among them); each is run to the end by L-BFGS-B with the
       exact gradient.
    2. Whenever a run ends with a diagonal of ``Lambda`` at 0 -- a genuine singular fit, or
       a stall at the saddle where that diagonal's gradient vanishes -- it is restarted from
       the interior; the better of the two ends is kept.
    3. The best end is polished by Newton steps (Hessian from central differences of the
       exact gradient), then tested: converged only if the Hessian has no negative
       curvature there and a further Newton step would lower the deviance by at most
       :data:`DEVIANCE_RTOL` relative.
    """
    objective = _Objective(data, reml)
    identity = is_diag.astype(float)
    first = identity if start is None else start
    scaled = sorted(
        ((objective(s * identity)[0], s) for s in _SCALED_STARTS),
        key=lambda pair: pair[0],
    )
    starts = [first, scaled[0][1] * identity]
    best_theta, best_dev = first, np.inf
    for s in starts:
        theta, dev = _minimise(objective, s, is_diag)
        if np.any(is_diag & (theta <= 0.0)):
            again, dev_again = _minimise(objective, _interior(theta, is_diag), is_diag)
            if dev_again < dev:
                theta, dev = again, dev_again
        if dev < best_dev:
            best_theta, best_dev = theta, dev
    theta, dev = best_theta, best_dev
    tol = DEVIANCE_RTOL * max(1.0, abs(dev))
    decrease, curvature_ok, passed = np.inf, False, False
    for _ in range(8):
        step, decrease, curvature_ok = _newton_step(objective, theta, is_diag)
        if not curvature_ok:
            # a saddle: restart from the interior once more and keep the better end
            again, dev_again = _minimise(objective, _interior(theta, is_diag), is_diag)
            if dev_again < dev - tol:
                theta, dev = again, dev_again
                continue
            break
        passed = decrease <= tol
        # take the Newton step (projected onto the bounds), backtracking if it overshoots;
        # once the test has passed this last step only sharpens theta
        for fraction in (1.0, 0.5, 0.25, 0.125):
            trial = theta + fraction * step
            trial[is_diag] = np.maximum(trial[is_diag], 0.0)
            dev_trial = objective(trial)[0]
            if dev_trial < dev:
                theta, dev = trial, dev_trial
                break
            if passed:
                break
        else:
            break  # no progress: the model's predicted decrease is below the noise
        if passed:
            break
        tol = DEVIANCE_RTOL * max(1.0, abs(dev))
    converged = bool(curvature_ok and passed and np.isfinite(dev))
    return _Optimum(theta, float(dev), objective.count, converged, float(decrease))


def fit_mixed_model(
    y: ArrayLike,
    x: ArrayLike,
    z: ArrayLike,
    groups: ArrayLike,
    *,
    fixed_names: tuple[str, ...] | None = None,
    random_names: tuple[str, ...] | None = None,
    method: str = "REML",
    theta0: ArrayLike | None = None,
) -> MixedModelFit:
    """Fit ``y ~ X beta + (Z | group)`` by REML or ML, as lme4's ``lmer``.

    Parameters
    ----------
    y : array_like
        Responses, shape (n,).
    x : array_like
        Fixed-effect design matrix (n, p), full column rank, usually with an intercept.
    z : array_like
        Random-effect design matrix (n, q), e.g. columns ``[1, time]``.
    groups : array_like
        Group label of each observation (any hashable values numpy can sort).
    fixed_names, random_names : tuple of str, optional
        Column names for the summaries; default ``x0, x1, ...`` and ``z0, z1, ...``.
    method : {"REML", "ML"}
        Restricted (lme4's default) or full maximum likelihood.
    theta0 : array_like, optional
        First starting ``theta``; default the identity factor, as lme4. A second start is
        always tried as well and the better optimum kept.

    Returns
    -------
    MixedModelFit

    Raises
    ------
    ValueError
        On NaN or infinite values, mismatched lengths, a rank-deficient ``X``, or fewer
        observations than lme4 accepts: like lme4's ``lmerControl`` checks
        ``check.nobs.vs.nlev`` and ``check.nobs.vs.nRE`` it refuses models with at least as
        many groups, or as many random effects (groups x q), as observations.

    Notes
    -----
    The ``q (q + 1) / 2`` entries of ``theta`` are optimised with the diagonal bounded
    below by 0, as lme4 does with BOBYQA (Bates et al. 2015, section 3.7), by
    :func:`_optimise`: SciPy's L-BFGS-B with the exact gradient of the profiled deviance from
    several starts, an interior restart whenever a diagonal of ``Lambda`` ends at 0, Newton
    polishing, and ``converged`` only when a Newton step would lower the deviance by at most
    :data:`DEVIANCE_RTOL` (relative) at a point without negative curvature. It reaches lme4's
    optimum (lme4 run with tight control) to about 1e-14 in the log-likelihood on every
    BLAS kernel tried; lme4's default control stops about 1e-5 short in ``theta``.

    Groups with a single observation are used as they are: their ``Z_i'Z_i`` is singular
    but ``A_i = Lambda'Z_i'Z_i Lambda + I`` is always positive definite, so they inform the
    intercept variance and the fixed effects.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(30), 5); t = np.tile(np.arange(5.0), 30)
    >>> y = 10 + 2 * t + rng.normal(0, 2, 30)[g] + rng.normal(0, 1, 150)
    >>> fit = fit_mixed_model(y, np.c_[np.ones(150), t], np.c_[np.ones(150), t], g)
    >>> round(float(fit.fixed_effects[1]), 1)
    2.0
    """
    if method not in ("REML", "ML"):
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
    y_arr = np.asarray(y, dtype=float)
    x_arr = np.asarray(x, dtype=float)
    z_arr = np.asarray(z, dtype=float)
    g_arr = np.asarray(groups)
    if x_arr.ndim == 1:
        x_arr = x_arr[:, None]
    if z_arr.ndim == 1:
        z_arr = z_arr[:, None]
    n = y_arr.shape[0]
    if y_arr.ndim != 1 or x_arr.shape[0] != n or z_arr.shape[0] != n or g_arr.shape != (n,):
        raise ValueError("y, x, z and groups must have the same number of rows")
    for name, arr in (("y", y_arr), ("x", x_arr), ("z", z_arr)):
        if not np.all(np.isfinite(arr)):
            bad = int(np.flatnonzero(~np.isfinite(arr.reshape(n, -1)).all(axis=1))[0])
            raise ValueError(f"{name} has a missing or infinite value at row {bad}")
    p, q = x_arr.shape[1], z_arr.shape[1]
    if np.linalg.matrix_rank(x_arr) < p:
        raise ValueError("the fixed-effect design matrix is rank deficient")
    labels, codes = np.unique(g_arr, return_inverse=True)
    m = len(labels)
    if m >= n:
        raise ValueError(
            f"{m} groups for {n} observations: need fewer groups than observations "
            "(lme4 check.nobs.vs.nlev)"
        )
    if m * q >= n:
        raise ValueError(
            f"{m * q} random effects for {n} observations: need fewer random effects than "
            "observations (lme4 check.nobs.vs.nRE)"
        )
    data = group_sums(y_arr, x_arr, z_arr, codes.astype(np.intp), m)
    reml = method == "REML"
    n_theta = q * (q + 1) // 2
    rows, cols = _theta_order(q)
    is_diag = rows == cols
    start = None if theta0 is None else np.asarray(theta0, dtype=float)
    if start is not None and start.shape != (n_theta,):
        raise ValueError(f"theta0 must have {n_theta} entries")
    best = _optimise(data, reml, start, is_diag)
    theta, converged, n_evaluations = best.theta, best.converged, best.evaluations
    prof = profile(theta, data, reml)
    lam = prof.lam
    # Conditional modes u_i = A_i^-1 (c_i - B_i beta), b_i = Lambda u_i
    # (Bates et al. 2015, eq. 17 with the blocks above).
    u = (prof.a_inv_rhs[:, p] - prof.beta @ prof.a_inv_rhs[:, :p]).T
    fixed_cov = prof.sigma2 * prof.rx_inv
    return MixedModelFit(
        fixed_names=fixed_names or tuple(f"x{i}" for i in range(p)),
        random_names=random_names or tuple(f"z{i}" for i in range(q)),
        fixed_effects=prof.beta,
        fixed_se=np.sqrt(np.diag(fixed_cov)),
        fixed_cov=fixed_cov,
        random_cov=prof.sigma2 * lam @ lam.T,
        residual_sd=float(np.sqrt(prof.sigma2)),
        theta=theta,
        method=method,
        deviance=prof.deviance,
        n_obs=n,
        n_groups=m,
        converged=converged,
        singular=bool(np.any(np.diag(lam) < SINGULAR_TOL)),
        n_evaluations=n_evaluations,
        group_labels=labels,
        random_effects=u @ lam.T,
    )
