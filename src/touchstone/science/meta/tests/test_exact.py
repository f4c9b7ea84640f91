"""The exact optimum: rma() against metafor run to its optimum, and checks that need no R.

Reference: ``fixtures/metafor_3_8_1_tight.json`` (``make_metafor_tight_fixtures.R``), metafor
3.8.1 with tight control -- ML/REML ``threshold = 1e-12`` (scaled with the data), PM and
Q-profile roots with ``uniroot`` at relative machine precision -- on the default-control
datasets, 15 random datasets, the same on a tiny scale (tau2 about 1e-15, where absolute
tolerances break), two with a censored Q-profile bound, and four with tau2 of about 4e-15 on
an ordinary scale.

Agreement required: 1e-8 relative for every reported number (FE, DL, REML, ML, PM, with and
without Hartung-Knapp-Sidik-Jonkman, the prediction and Q-profile intervals). Location
quantities (estimate, CI and PI bounds) are compared relative to the larger of their size and
their SE, z/t relative to the larger of their size and 1. Two documented exceptions:

* metafor stops ML/REML when tau2 changes by at most its *absolute* threshold, so where the
  optimum is tau2 = 0 it reports a remainder below that threshold (e.g. 2.7e-13); tau2 and I2
  are compared with that allowance, and the test checks that 0 is the exact optimum (the
  score equation is not positive at 0).
* On the "near0" datasets tau2 (about 4e-15 against sampling variances of about 0.1) is a
  difference of numbers of order k, which double precision resolves only to a few 1e-3 --
  metafor included; there tau2 is compared with the exact root computed here in rational
  arithmetic (:class:`fractions.Fraction`), and with metafor within metafor's threshold.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from touchstone.science.meta.models import _score, rma, tau2_qprofile_ci
from touchstone.science.meta.tests.conftest import TIGHT

EXACT = 1e-8
DATASETS: dict[str, Any] = TIGHT["datasets"]
CASES = [
    (name, fit)
    for name, data in DATASETS.items()
    for fit in data["fits"]
]  # fmt: skip
ORDINARY = [(n, f) for n, f in CASES if not n.startswith("near0")]
NEAR0 = [(n, f) for n, f in CASES if n.startswith("near0")]


def _vt(vi: list[float]) -> float:
    """metafor's typical within-study variance ``(k - 1) / tr(P)`` with ``W = 1 / vi``."""
    w = 1 / np.asarray(vi)
    return (len(vi) - 1) / float(w.sum() - (w**2).sum() / w.sum())


def _compare(res: Any, ref: dict, tau2_slack: float, vt: float, skip: tuple[str, ...] = ()):
    stat = res.tval if ref["test"] == "knha" else res.zval
    se = ref["se"]
    location = {"beta": res.estimate, "ci_lb": res.ci_lb, "ci_ub": res.ci_ub}
    if "pi_lb" in ref:
        location.update(pi_lb=res.pi_lb, pi_ub=res.pi_ub)
    for key, got in location.items():
        assert abs(got - ref[key]) <= EXACT * max(abs(ref[key]), se), key
    assert abs(stat - ref["zval"]) <= EXACT * max(abs(ref["zval"]), 1.0)
    plain = {"se": res.se, "pval": res.pval, "QE": res.q, "QEp": res.q_p, "H2": res.h2}
    if ref["se_tau2"] is not None:
        plain["se_tau2"] = res.se_tau2
    for key, got in plain.items():
        assert got == pytest.approx(ref[key], rel=EXACT, abs=1e-300), key
    if "tau2" not in skip:
        assert abs(res.tau2 - ref["tau2"]) <= EXACT * ref["tau2"] + tau2_slack
        assert abs(res.i2 - ref["I2"]) <= EXACT * ref["I2"] + 100 * tau2_slack / vt


@pytest.mark.parametrize(("name", "ref"), ORDINARY, ids=[f"{n}:{f['call']}" for n, f in ORDINARY])
def test_it_equals_metafor_run_to_the_optimum(name: str, ref: dict) -> None:
    data = DATASETS[name]
    res = rma(data["yi"], data["vi"], method=ref["method"], test=ref["test"])
    assert res.converged
    # metafor's ML/REML stop at |change| <= threshold = 1e-12 * scale (absolute)
    slack = 1e-12 * data["scale"] if ref["method"] in ("ML", "REML") else 0.0
    _compare(res, ref, slack, _vt(data["vi"]))
    if res.tau2 == 0 and ref["method"] in ("ML", "REML"):
        # the exact optimum is the boundary: the likelihood does not rise from tau2 = 0
        y, v = np.asarray(data["yi"]), np.asarray(data["vi"])
        assert _score(0.0, y, v, np.ones((y.size, 1)), ref["method"] == "REML")[0] <= 0
    if "tau2_ci" in ref:
        _compare_interval(res, ref)


def _compare_interval(res: Any, ref: dict) -> None:
    signs = ref["tau2_ci_sign"]
    got = [res.tau2_ci_lb, res.tau2_ci_ub]
    censored = [res.tau2_ci_lb_censored, res.tau2_ci_ub_censored]
    for bound, flag, expected, sign, i2, h2, i2_ref, h2_ref in zip(
        got, censored, ref["tau2_ci"], signs, [res.i2_ci_lb, res.i2_ci_ub],
        [res.h2_ci_lb, res.h2_ci_ub], ref["I2_ci"], ref["H2_ci"], strict=True,
    ):  # fmt: skip
        if sign == ">":
            # metafor: the bound lies beyond the search limit and is printed "> limit"
            assert flag and bound is None and i2 is None and h2 is None
            assert res.tau2_ci_limit == pytest.approx(expected, rel=1e-15)
        else:
            assert not flag
            assert bound == pytest.approx(expected, rel=EXACT, abs=0.0)
            assert i2 == pytest.approx(i2_ref, rel=EXACT, abs=0.0)
            assert h2 == pytest.approx(h2_ref, rel=EXACT)


def test_it_reports_a_censored_bound_as_metafor_prints_it() -> None:
    data = DATASETS["censored100"]
    res = rma(data["yi"], data["vi"], method="DL")
    # metafor: confint() gives tau^2 ci.ub = 100 with ub.sign ">" (printed ">100.0000")
    assert res.tau2_ci_ub is None and res.tau2_ci_ub_censored
    assert res.tau2_ci_limit == 100.0
    assert res.tau2_ci_text() == f"{res.tau2_ci_lb:.4f} to > 100"
    assert res.to_dict()["tau2_ci_ub"] is None


def test_it_censors_both_bounds_when_the_whole_interval_is_beyond_the_limit() -> None:
    # Two studies 40 apart with tiny variances: Q(100) is still above the upper quantile
    # (metafor: lb.sign = ub.sign = ">", both bounds at tau2.max).
    ci = tau2_qprofile_ci([0.0, 40.0], [0.01, 0.01], tau2=0.0)
    assert (ci.lb, ci.ub, ci.lb_censored, ci.ub_censored) == (None, None, True, True)
    assert ci.limit == 100.0


def _exact_root(data: dict, method: str) -> float:
    """The estimating equation's root in exact rational arithmetic, by bisection."""
    y = [Fraction(a) for a in data["yi"]]
    v = [Fraction(a) for a in data["vi"]]
    k = len(y)

    def equation(t: Fraction) -> Fraction:
        w = [1 / (vi + t) for vi in v]
        sw = sum(w)
        mean = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sw
        e = [yi - mean for yi in y]
        if method in ("PM", "DL"):
            q = sum(wi * ei * ei for wi, ei in zip(w, e, strict=True))
            if method == "DL":  # closed form at t = 0
                return (q - (k - 1)) / (sw - sum(wi * wi for wi in w) / sw)
            return q - (k - 1)
        ypp = sum((wi * ei) ** 2 for wi, ei in zip(w, e, strict=True))
        if method == "ML":
            return ypp - sw
        return ypp - (sw - sum(wi * wi for wi in w) / sw)

    if method == "DL":
        return float(equation(Fraction(0)))
    lo, hi = Fraction(0), Fraction(1, 10**12)
    assert equation(lo) > 0 > equation(hi)
    while hi - lo > hi * Fraction(1, 10**12):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if equation(mid) > 0 else (lo, mid)
    return float((lo + hi) / 2)


@pytest.mark.parametrize(("name", "ref"), NEAR0, ids=[f"{n}:{f['call']}" for n, f in NEAR0])
def test_it_finds_the_exact_optimum_when_tau2_is_near_zero(name: str, ref: dict) -> None:
    data = DATASETS[name]
    res = rma(data["yi"], data["vi"], method=ref["method"], test=ref["test"])
    assert res.converged
    _compare(res, ref, 0.0, _vt(data["vi"]), skip=("tau2",))
    if ref["method"] == "FE":
        # I2 = 100 (Q - df) / Q: Q - df is the same near-cancellation
        q = Fraction(res.q)
        exact_q = _exact_q(data)
        expected = max(0.0, float(100 * (exact_q - (res.k - 1)) / q))
        assert res.i2 == pytest.approx(expected, rel=EXACT, abs=0.0)
        return
    exact = _exact_root(data, ref["method"])
    assert 1e-15 < exact < 1e-14
    assert res.tau2 == pytest.approx(exact, rel=EXACT, abs=0.0)
    # metafor's own value is off by its absolute threshold (ML/REML) or by double rounding
    assert abs(res.tau2 - ref["tau2"]) <= 1e-12


def _exact_q(data: dict) -> Fraction:
    y = [Fraction(a) for a in data["yi"]]
    w = [1 / Fraction(a) for a in data["vi"]]
    mean = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    return sum(wi * (yi - mean) ** 2 for wi, yi in zip(w, y, strict=True))


@pytest.mark.parametrize("method", ["DL", "REML", "ML", "PM"])
@pytest.mark.parametrize("scale", [1e-7, 1e-3, 1e4])
def test_it_is_scale_equivariant(method: str, scale: float) -> None:
    # Effects measured in other units: y -> c y, v -> c^2 v must give tau2 -> c^2 tau2 and
    # leave every unitless statistic unchanged. An absolute tolerance anywhere breaks this.
    data = DATASETS["random-k10-tau0.3"]
    y, v = np.asarray(data["yi"]), np.asarray(data["vi"])
    base = rma(y, v, method=method)
    scaled = rma(scale * y, scale**2 * v, method=method)
    assert scaled.tau2 == pytest.approx(scale**2 * base.tau2, rel=EXACT)
    assert scaled.estimate == pytest.approx(scale * base.estimate, rel=EXACT)
    assert scaled.tau2_ci_lb == pytest.approx(scale**2 * base.tau2_ci_lb, rel=EXACT)
    assert scaled.tau2_ci_ub == pytest.approx(scale**2 * base.tau2_ci_ub, rel=EXACT)
    for key in ("i2", "h2", "q", "pval", "zval"):
        assert getattr(scaled, key) == pytest.approx(getattr(base, key), rel=EXACT), key


def test_it_keeps_the_linear_in_k_path_for_large_k() -> None:
    # The exact-arithmetic refinement is for roots near 0 only; an ordinary large-k fit
    # stays in double precision (this would take minutes in decimal arithmetic).
    rng = np.random.default_rng(12)
    k = 50_000
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.08))
    res = rma(yi, vi)
    assert res.converged and math.isfinite(res.tau2)
    assert res.tau2 == pytest.approx(0.08, abs=0.01)
