"""Effect sizes and their sampling variances, as R metafor's ``escalc`` computes them.

Parameter names are metafor's (``m1i, sd1i, n1i, m2i, sd2i, n2i``; ``ai, bi, ci, di``;
``ni, ri``), so a CSV prepared for metafor feeds these functions unchanged. Every formula
below is the one in ``metafor::escalc`` 3.8.1 (read from the installed package source) with
the published source it implements; ``tests/test_effects.py`` checks them against escalc.

Measures
--------
``SMD``
    Hedges' g: ``g = c(m) (m1 - m2) / s_pooled`` with ``m = n1 + n2 - 2`` and the *exact*
    small-sample correction ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))`` (Hedges 1981,
    eq. 6e; metafor ``.cmicalc``) -- not the approximation ``1 - 3/(4m - 1)``.
    Variance ``vtype="LS"`` (metafor's default): ``1/n1 + 1/n2 + g^2 / (2 (n1 + n2))``
    (Hedges 1982); ``vtype="UB"``: ``1/n1 + 1/n2 + (1 - (m - 2)/(m c(m)^2)) g^2``
    (Hedges 1983, the unbiased estimator).
``MD``
    Raw mean difference ``m1 - m2``, variance ``sd1^2/n1 + sd2^2/n2`` (metafor ``vtype="LS"``;
    ``"HO"`` assumes equal variances: ``s_pooled^2 (1/n1 + 1/n2)``).
``RR`` / ``OR``
    Log risk ratio ``log(a/(a+b)) - log(c/(c+d))``, variance ``1/a - 1/(a+b) + 1/c - 1/(c+d)``;
    log odds ratio ``log(ad/bc)``, variance ``1/a + 1/b + 1/c + 1/d`` (Fleiss & Berlin 2009).
    Zero cells follow escalc's default ``add=1/2, to="only0"``: 1/2 is added to all four cells
    of the studies that have a zero cell, and only to those.
``SMCR`` (pre-post, standardised by the raw baseline SD -- Becker 1988)
    ``m1i`` is the follow-up mean, ``m2i`` the baseline mean, ``sd1i`` the **baseline** SD,
    ``ni`` the number of people, ``ri`` the pre-post correlation: ``g = c(n - 1)(m1 - m2)/sd1``,
    variance ``2 (1 - r)/n + g^2/(2n)`` (metafor ``vtype="LS"``; Morris 2000). This is the
    clinic's own pre-post estimate: a change in baseline-SD units.
``SMCC`` (pre-post, standardised by the SD of the change scores -- Gibbons et al. 1993)
    ``sd_d = sqrt(sd1^2 + sd2^2 - 2 r sd1 sd2)``, ``g = c(n - 1)(m1 - m2)/sd_d``, variance
    ``1/n + g^2/(2n)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaln

FloatArray = NDArray[np.float64]

MEASURES = ("GEN", "SMD", "MD", "RR", "OR", "SMCR", "SMCC")


@dataclass(frozen=True)
class EffectSizes:
    """Effect sizes ``yi`` with sampling variances ``vi`` (one per study), as escalc returns."""

    measure: str
    yi: FloatArray
    vi: FloatArray

    def to_dict(self) -> dict[str, Any]:
        """Return ``measure`` and plain lists of ``yi`` and ``vi``."""
        return {"measure": self.measure, "yi": self.yi.tolist(), "vi": self.vi.tolist()}


def _arr(name: str, values: ArrayLike) -> FloatArray:
    a = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite numbers")
    return a


def _same_length(**arrays: FloatArray) -> None:
    sizes = {a.size for a in arrays.values()}
    if len(sizes) != 1:
        raise ValueError(f"{', '.join(arrays)} must have the same length")
    if sizes == {0}:
        raise ValueError("no studies")


def hedges_correction(m: ArrayLike) -> FloatArray:
    """Exact small-sample bias correction ``c(m)`` for a standardised mean difference.

    ``c(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m - 1)/2))`` (Hedges 1981, *J Educ Stat* 6:107-128,
    eq. 6e), computed on the log scale as metafor's ``.cmicalc`` does; ``m`` is the degrees of
    freedom (``n1 + n2 - 2`` for two groups, ``n - 1`` for a pre-post design).

    Examples
    --------
    >>> round(float(hedges_correction(10)[0]), 6)
    0.922746
    """
    mm = np.asarray(m, dtype=float).ravel()
    if np.any(mm <= 1):
        raise ValueError("the bias correction needs more than 1 degree of freedom")
    return np.asarray(np.exp(gammaln(mm / 2) - np.log(np.sqrt(mm / 2)) - gammaln((mm - 1) / 2)))


def _group_summaries(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
) -> tuple[FloatArray, ...]:
    arrays = {
        "m1i": _arr("m1i", m1i),
        "sd1i": _arr("sd1i", sd1i),
        "n1i": _arr("n1i", n1i),
        "m2i": _arr("m2i", m2i),
        "sd2i": _arr("sd2i", sd2i),
        "n2i": _arr("n2i", n2i),
    }
    _same_length(**arrays)
    if np.any(arrays["sd1i"] < 0) or np.any(arrays["sd2i"] < 0):
        raise ValueError("standard deviations must not be negative")
    if np.any(arrays["n1i"] <= 0) or np.any(arrays["n2i"] <= 0):
        raise ValueError("group sizes must be positive")
    return tuple(arrays.values())


def smd(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
    vtype: str = "LS",
) -> EffectSizes:
    """Standardised mean difference as Hedges' g (metafor ``escalc("SMD", ...)``).

    Parameters
    ----------
    m1i, sd1i, n1i : array_like
        Mean, standard deviation and size of the treatment (massage) group.
    m2i, sd2i, n2i : array_like
        The same for the comparison group.
    vtype : {"LS", "UB"}
        Large-sample (metafor's default) or unbiased variance estimator.

    Examples
    --------
    >>> es = smd([94], [22], [60], [92], [20], [60])
    >>> round(float(es.yi[0]), 6), round(float(es.vi[0]), 6)
    (0.094524, 0.033371)
    """
    m1, s1, n1, m2, s2, n2 = _group_summaries(m1i, sd1i, n1i, m2i, sd2i, n2i)
    m = n1 + n2 - 2
    sdp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / m)
    if np.any(sdp == 0):
        raise ValueError("the pooled standard deviation is 0")
    cm = hedges_correction(m)
    g = cm * (m1 - m2) / sdp
    if vtype == "LS":
        v = 1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2))
    elif vtype == "UB":
        v = 1 / n1 + 1 / n2 + (1 - (m - 2) / (m * cm**2)) * g**2
    else:
        raise ValueError("vtype must be 'LS' or 'UB'")
    return EffectSizes("SMD", g, v)


def md(
    m1i: ArrayLike,
    sd1i: ArrayLike,
    n1i: ArrayLike,
    m2i: ArrayLike,
    sd2i: ArrayLike,
    n2i: ArrayLike,
    vtype: str = "LS",
) -> EffectSizes:
    """Raw mean difference ``m1i - m2i`` (metafor ``escalc("MD", ...)``).

    ``vtype="LS"`` (default, heteroscedastic) or ``"HO"`` (pooled variance).

    Examples
    --------
    >>> es = md([10.0], [2.0], [20], [8.0], [2.0], [20])
    >>> float(es.yi[0]), float(es.vi[0])
    (2.0, 0.4)
    """
    m1, s1, n1, m2, s2, n2 = _group_summaries(m1i, sd1i, n1i, m2i, sd2i, n2i)
    if vtype == "LS":
        v = s1**2 / n1 + s2**2 / n2
    elif vtype == "HO":
        v = ((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2) * (1 / n1 + 1 / n2)
    else:
        raise ValueError("vtype must be 'LS' or 'HO'")
    return EffectSizes("MD", m1 - m2, v)


def _two_by_two(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    a, b, c, d = (_arr(n, x) for n, x in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)))
    _same_length(ai=a, bi=b, ci=c, di=d)
    if any(np.any(x < 0) for x in (a, b, c, d)):
        raise ValueError("cell counts must not be negative")
    if np.any(a + b == 0) or np.any(c + d == 0):
        raise ValueError("each group needs at least one person")
    # escalc to="only0": add to all four cells of the studies with at least one zero cell
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    shift = np.where(zero, add, 0.0)
    return a + shift, b + shift, c + shift, d + shift


def log_rr(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float = 0.5
) -> EffectSizes:
    """Log risk ratio from 2x2 counts (metafor ``escalc("RR", ...)``).

    ``ai``/``bi``: events/non-events in the treatment group; ``ci``/``di`` in the control
    group. Studies with a zero cell get ``add`` in every cell (escalc ``to="only0"``).

    Examples
    --------
    >>> es = log_rr([4], [119], [11], [128])  # dat.bcg trial 1 (Aronson 1948)
    >>> round(float(es.yi[0]), 4), round(float(es.vi[0]), 4)
    (-0.8893, 0.3256)
    """
    a, b, c, d = _two_by_two(ai, bi, ci, di, add)
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore"):
        y = np.log(a / n1) - np.log(c / n2)
        v = 1 / a - 1 / n1 + 1 / c - 1 / n2
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("a group with no events at all; the log risk ratio is undefined")
    return EffectSizes("RR", y, v)


def log_or(
    ai: ArrayLike, bi: ArrayLike, ci: ArrayLike, di: ArrayLike, add: float = 0.5
) -> EffectSizes:
    """Log odds ratio from 2x2 counts (metafor ``escalc("OR", ...)``), zero cells as for RR.

    Examples
    --------
    >>> es = log_or([0], [22], [1], [20])  # dat.egger2001, Bertschat 1989: zero cell
    >>> round(float(es.yi[0]), 4)
    -1.1917
    """
    a, b, c, d = _two_by_two(ai, bi, ci, di, add)
    with np.errstate(divide="ignore"):
        y = np.log(a * d / (b * c))
        v = 1 / a + 1 / b + 1 / c + 1 / d
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v))):
        raise ValueError("the log odds ratio is undefined for these counts")
    return EffectSizes("OR", y, v)


def _pre_post(
    m1i: ArrayLike, m2i: ArrayLike, ni: ArrayLike, ri: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    m1, m2, n, r = _arr("m1i", m1i), _arr("m2i", m2i), _arr("ni", ni), _arr("ri", ri)
    _same_length(m1i=m1, m2i=m2, ni=n, ri=r)
    if np.any(np.abs(r) > 1):
        raise ValueError("correlations ri must lie between -1 and 1")
    if np.any(n <= 2):
        raise ValueError("a pre-post effect size needs more than 2 people")
    return m1, m2, n, r


def smcr(
    m1i: ArrayLike, m2i: ArrayLike, sd1i: ArrayLike, ni: ArrayLike, ri: ArrayLike
) -> EffectSizes:
    """Standardised mean change, raw-score (baseline SD) standardisation (escalc ``"SMCR"``).

    ``m1i`` follow-up mean, ``m2i`` baseline mean, ``sd1i`` baseline SD (Becker 1988,
    *Br J Math Stat Psychol* 41:257-278; variance Morris 2000, *Psychol Methods* 5:401).

    Examples
    --------
    >>> es = smcr([9.1], [15.3], [4.2], [24], [0.55])
    >>> round(float(es.yi[0]), 4)
    -1.4274
    """
    m1, m2, n, r = _pre_post(m1i, m2i, ni, ri)
    s1 = _arr("sd1i", sd1i)
    _same_length(m1i=m1, sd1i=s1)
    if np.any(s1 <= 0):
        raise ValueError("standard deviations must be positive")
    g = hedges_correction(n - 1) * (m1 - m2) / s1
    return EffectSizes("SMCR", g, 2 * (1 - r) / n + g**2 / (2 * n))


def smcc(
    m1i: ArrayLike,
    m2i: ArrayLike,
    sd1i: ArrayLike,
    sd2i: ArrayLike,
    ni: ArrayLike,
    ri: ArrayLike,
) -> EffectSizes:
    """Standardised mean change, change-score standardisation (escalc ``"SMCC"``).

    Examples
    --------
    >>> es = smcc([9.1], [15.3], [4.2], [4.9], [24], [0.55])
    >>> round(float(es.yi[0]), 4)
    -1.375
    """
    m1, m2, n, r = _pre_post(m1i, m2i, ni, ri)
    s1, s2 = _arr("sd1i", sd1i), _arr("sd2i", sd2i)
    _same_length(m1i=m1, sd1i=s1, sd2i=s2)
    if np.any(s1 < 0) or np.any(s2 < 0):
        raise ValueError("standard deviations must not be negative")
    sdd = np.sqrt(s1**2 + s2**2 - 2 * r * s1 * s2)
    if np.any(sdd == 0):
        raise ValueError("the SD of the change scores is 0")
    g = hedges_correction(n - 1) * (m1 - m2) / sdd
    return EffectSizes("SMCC", g, 1 / n + g**2 / (2 * n))


def escalc(measure: str, **data: ArrayLike) -> EffectSizes:
    """Compute effect sizes by metafor measure name, with metafor's argument names.

    ``GEN`` passes ``yi`` and ``vi`` through (after checking them).

    Examples
    --------
    >>> escalc("RR", ai=[4], bi=[119], ci=[11], di=[128]).measure
    'RR'
    """
    if measure == "GEN":
        y, v = _arr("yi", data["yi"]), _arr("vi", data["vi"])
        _same_length(yi=y, vi=v)
        if np.any(v < 0):
            raise ValueError("sampling variances must not be negative")
        return EffectSizes("GEN", y, v)
    functions = {"SMD": smd, "MD": md, "RR": log_rr, "OR": log_or, "SMCR": smcr, "SMCC": smcc}
    if measure not in functions:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    result: EffectSizes = functions[measure](**data)  # type: ignore[operator]
    return result
