"""The estimating equations of tau2 in 60-digit decimal arithmetic, for roots near 0.

In double precision the PM, ML and REML equations are differences of sums of order ``k``
(e.g. ``Q(tau2) - (k - p)``, ``y'PPy - tr(P)``), computed to about 1e-14 relative. When the
root tau2 is tiny compared with the sampling variances (say tau2 = 4e-15 with ``vi`` near
0.1) that rounding moves the root by a few tenths of a percent: the double-precision value
is not the exact optimum. :mod:`touchstone.science.meta.models` then refines the root with
these functions, which evaluate the same formulas on the exact binary values of the inputs
(``Decimal(float)`` is exact) with 60 significant digits, so the refined root is exact to
far better than 1e-8. They are slow (pure Python, O(k p^2) decimal operations) and are only
called in that case.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, localcontext

import numpy as np
from numpy.typing import ArrayLike

PRECISION = 60

Matrix = list[list[Decimal]]


def _inverse(m: Matrix) -> Matrix:
    """Gauss-Jordan inverse of a small symmetric positive-definite matrix."""
    p = len(m)
    aug = [row[:] + [Decimal(int(i == j)) for j in range(p)] for i, row in enumerate(m)]
    for col in range(p):
        pivot = aug[col][col]
        aug[col] = [value / pivot for value in aug[col]]
        for r in range(p):
            if r != col and aug[r][col] != 0:
                factor = aug[r][col]
                aug[r] = [a - factor * b for a, b in zip(aug[r], aug[col], strict=True)]
    return [row[p:] for row in aug]


class Precise:
    """One data set (``yi``, ``vi``, design ``x``) held as exact decimals."""

    def __init__(self, y: ArrayLike, v: ArrayLike, x: ArrayLike) -> None:
        self.y = [Decimal(a) for a in np.asarray(y, dtype=float).tolist()]
        self.v = [Decimal(a) for a in np.asarray(v, dtype=float).tolist()]
        self.x = [[Decimal(a) for a in row] for row in np.asarray(x, dtype=float).tolist()]
        self.k, self.p = len(self.y), len(self.x[0])

    def _fit(self, tau2: Decimal) -> tuple[list[Decimal], Matrix, list[Decimal]]:
        """Weights, ``A = (X'WX)^-1`` and weighted-least-squares residuals at tau2."""
        w = [1 / (vi + tau2) for vi in self.v]
        p = self.p
        xwx = [
            [sum((wi * row[a] * row[b] for wi, row in zip(w, self.x, strict=True)), Decimal(0))
             for b in range(p)]
            for a in range(p)
        ]  # fmt: skip
        xwy = [
            sum((wi * row[a] * yi for wi, row, yi in zip(w, self.x, self.y, strict=True)),
                Decimal(0))
            for a in range(p)
        ]  # fmt: skip
        inv = _inverse(xwx)
        beta = [sum((inv[a][b] * xwy[b] for b in range(p)), Decimal(0)) for a in range(p)]
        e = [
            yi - sum((row[a] * beta[a] for a in range(p)), Decimal(0))
            for yi, row in zip(self.y, self.x, strict=True)
        ]
        return w, inv, e

    def _trace_p(self, w: list[Decimal], inv: Matrix) -> Decimal:
        """``tr(P) = sum w - tr(A X'W^2X)``."""
        p = self.p
        xw2x = [
            [sum((wi * wi * row[a] * row[b] for wi, row in zip(w, self.x, strict=True)),
                 Decimal(0))
             for b in range(p)]
            for a in range(p)
        ]  # fmt: skip
        trace = sum((inv[a][b] * xw2x[b][a] for a in range(p) for b in range(p)), Decimal(0))
        return sum(w, Decimal(0)) - trace

    def q_stat(self, tau2: float | Decimal) -> Decimal:
        """Generalised Q, ``y'P(tau2)y``."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            w, _, e = self._fit(Decimal(tau2))
            return sum((wi * ei * ei for wi, ei in zip(w, e, strict=True)), Decimal(0))

    def score(self, tau2: float | Decimal, reml: bool) -> Decimal:
        """``y'PPy - tr(P)`` (REML) or ``y'PPy - sum w`` (ML)."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            w, inv, e = self._fit(Decimal(tau2))
            ypp = sum(((wi * ei) ** 2 for wi, ei in zip(w, e, strict=True)), Decimal(0))
            return ypp - (self._trace_p(w, inv) if reml else sum(w, Decimal(0)))

    def dl(self) -> Decimal:
        """DerSimonian-Laird before truncation: ``(Q - (k - p)) / tr(P)`` with ``W = 1/v``."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            w, inv, e = self._fit(Decimal(0))
            q = sum((wi * ei * ei for wi, ei in zip(w, e, strict=True)), Decimal(0))
            return (q - (self.k - self.p)) / self._trace_p(w, inv)


def secant_root(
    f: Callable[[Decimal], Decimal],
    start: float,
    step: float,
    rtol: float = 1e-13,
    maxiter: int = 30,
) -> float:
    """Root of the decimal function ``f`` near ``start`` by the secant method.

    ``step`` is a first Newton step (from double-precision derivatives); the iteration stops
    when a step is below ``rtol`` relative to the root.
    """
    with localcontext() as ctx:
        ctx.prec = PRECISION
        t0, t1 = Decimal(start), Decimal(start) + Decimal(step)
        f0 = f(t0)
        for _ in range(maxiter):
            f1 = f(t1)
            if f1 == f0:
                break
            t2 = t1 - f1 * (t1 - t0) / (f1 - f0)
            t0, f0, t1 = t1, f1, t2
            if abs(t1 - t0) <= Decimal(rtol) * abs(t1):
                break
        return float(t1)
