"""rma() and metareg() against R metafor 3.8.1 and the published values in evidence.md."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from touchstone.science.meta.models import metareg, rma, tau2_qprofile_ci
from touchstone.science.meta.tests.conftest import METAFOR, TIGHT, close, default_tol, tight_fit

#: default-control fixture name -> tight-control dataset name
TIGHT_NAME = {"bcg": "bcg", "kacker": "kacker", "smd": "smd", "sim200": "sim200",
              "boundary": "boundary"}  # fmt: skip


def _check(got: Any, ref: dict, optimum: dict | None, key: str) -> None:
    """``got`` against metafor's default-control ``ref[key]``; for ML/REML within metafor's
    stopping error (its distance from the tight-control optimum), see conftest.default_tol."""
    expected = ref[key]
    tol = default_tol(expected, optimum.get(key)) if optimum else 1e-6
    close(got, expected, tol)


def _optimum(name: str, ref: dict, kind: str = "fits") -> dict | None:
    if ref["method"] not in ("ML", "REML"):
        return None
    tight_name = name.removeprefix("pymare-").removesuffix("~mod1").removesuffix("~ablat")
    tight_name = TIGHT_NAME.get(tight_name, f"pymare-{tight_name}")
    return tight_fit(tight_name, ref["method"], ref["test"], kind)


def _datasets() -> list[tuple[str, list[float], list[float], dict[str, Any]]]:
    cases = []
    for name in ("bcg", "kacker", "smd", "sim200", "boundary"):
        d = METAFOR[name]
        y = d["yi"]
        v = d["vi"] if "vi" in d else d["vi_ls"]
        cases += [(name, y, v, f) for f in d["fits"]]
    for name, d in METAFOR["pymare"].items():
        cases += [(f"pymare-{name}", d["y"], d["v"], f) for f in d["fits"]]
    return cases


DATASETS = _datasets()


@pytest.mark.parametrize(
    ("name", "yi", "vi", "ref"), DATASETS, ids=[f"{c[0]}:{c[3]['call']}" for c in DATASETS]
)
def test_it_matches_metafor_rma(name: str, yi: list[float], vi: list[float], ref: dict) -> None:
    # expected: metafor 3.8.1, the call in ref["call"] (fixtures/make_metafor_fixtures.R)
    res = rma(yi, vi, method=ref["method"], test=ref["test"])
    optimum = _optimum(name, ref)
    stat = res.tval if ref["test"] == "knha" else res.zval
    for got, key in [(res.estimate, "beta"), (res.se, "se"), (stat, "zval"), (res.pval, "pval"),
                     (res.ci_lb, "ci_lb"), (res.ci_ub, "ci_ub"), (res.tau2, "tau2"),
                     (res.se_tau2, "se_tau2"), (res.q, "QE"), (res.q_p, "QEp"), (res.i2, "I2"),
                     (res.h2, "H2")]:  # fmt: skip
        _check(got, ref, optimum, key)
    assert res.k == ref["k"]
    assert res.converged
    if "pi_lb" in ref:  # predict(res)
        _check(res.pi_lb, ref, optimum, "pi_lb")
        _check(res.pi_ub, ref, optimum, "pi_ub")
    if "tau2_ci" in ref:  # confint(res, control=list(tol=1e-12)): the bounds do not depend
        # on the estimator, only the I2/H2 bounds do (through nothing but vt): all at 1e-6
        close([res.tau2_ci_lb, res.tau2_ci_ub], ref["tau2_ci"])
        close([res.i2_ci_lb, res.i2_ci_ub], ref["I2_ci"])
        close([res.h2_ci_lb, res.h2_ci_ub], ref["H2_ci"])


def _metareg_cases() -> list[tuple[str, list[float], list[float], list[float], dict]]:
    b = METAFOR["bcg"]
    cases = [("bcg~ablat", b["yi"], b["vi"], b["ablat"], f) for f in b["metareg"]]
    for name, d in METAFOR["pymare"].items():
        cases += [(f"pymare-{name}~mod1", d["y"], d["v"], d["mod1"], f) for f in d["metareg"]]
    return cases


METAREG = _metareg_cases()


@pytest.mark.parametrize(
    ("name", "yi", "vi", "mods", "ref"), METAREG, ids=[f"{c[0]}:{c[4]['call']}" for c in METAREG]
)
def test_it_matches_metafor_meta_regression(
    name: str, yi: list[float], vi: list[float], mods: list[float], ref: dict
) -> None:
    # expected: metafor 3.8.1, rma(yi, vi, mods=~x, ...) as in ref["call"]
    res = metareg(yi, vi, mods, method=ref["method"], test=ref["test"])
    optimum = _optimum(name, ref, "metareg")
    stat = res.tval if ref["test"] == "knha" else res.zval
    for got, key in [(list(res.estimate), "beta"), (list(res.se), "se"),
                     (list(stat or ()), "zval"), (list(res.pval), "pval"),
                     (list(res.ci_lb), "ci_lb"), (list(res.ci_ub), "ci_ub"), (res.tau2, "tau2"),
                     (res.q, "QE"), (res.q_p, "QEp"), (res.qm, "QM"), (res.qm_p, "QMp"),
                     (res.i2, "I2"), (res.h2, "H2")]:  # fmt: skip
        _check(got, ref, optimum, key)
    if "R2" in ref:
        _check(res.r2, ref, optimum, "R2")
    else:
        assert res.r2 is None


# --- values printed in the reference file (evidence.md, Fixture 1: dat.bcg) --------------
# metafor prints 4 decimals; evidence.md asks for absolute tolerance 1e-4 on them.


def test_it_reproduces_the_bcg_reml_example_printed_by_metafor() -> None:
    b = METAFOR["bcg"]
    res = rma(b["yi"], b["vi"])
    # docs/reference/rma.uni.html example output (evidence.md Fixture 1)
    assert res.estimate == pytest.approx(-0.7145, abs=1e-4)
    assert res.se == pytest.approx(0.1798, abs=1e-4)
    assert res.zval == pytest.approx(-3.9744, abs=1e-4)
    assert (res.ci_lb, res.ci_ub) == pytest.approx((-1.0669, -0.3622), abs=1e-4)
    assert res.tau2 == pytest.approx(0.3132, abs=1e-4)
    assert res.se_tau2 == pytest.approx(0.1664, abs=1e-4)
    assert res.i2 == pytest.approx(92.22, abs=1e-2)
    assert res.h2 == pytest.approx(12.86, abs=1e-2)
    assert res.q == pytest.approx(152.2330, abs=1e-4)
    # confint.rma.html: tau2 0.1197-1.1115, I2 81.9177-97.6781 %, H2 5.5303-43.0680
    assert (res.tau2_ci_lb, res.tau2_ci_ub) == pytest.approx((0.1197, 1.1115), abs=1e-4)
    # The printed I2 bounds come from uniroot's default tol (eps^0.25), which stops about 2e-5
    # short on tau2 (0.119695 there, exact root 0.119718; the exact roots are checked against
    # confint(..., control=list(tol=1e-12)) above), so the printed I2 bound is 0.003 off.
    assert (res.i2_ci_lb, res.i2_ci_ub) == pytest.approx((81.9177, 97.6781), abs=5e-3)
    assert res.h2_ci_ub == pytest.approx(43.0680, abs=1e-2)


def test_it_reproduces_the_bcg_knapp_hartung_fit_and_prediction_interval() -> None:
    b = METAFOR["bcg"]
    res = rma(b["yi"], b["vi"], test="knha")
    # metafor README.md: se 0.1808, t(12) = -3.9522, p = 0.0019, CI -1.1084 to -0.3206
    assert res.se == pytest.approx(0.1808, abs=1e-4)
    assert res.tval == pytest.approx(-3.9522, abs=1e-4)
    assert res.df == 12
    assert res.pval == pytest.approx(0.0019, abs=1e-4)
    assert (res.ci_lb, res.ci_ub) == pytest.approx((-1.1084, -0.3206), abs=1e-4)
    # predict(res, transf=exp): RR 0.49, CI 0.33-0.73, PI 0.14-1.76
    assert math.exp(res.estimate) == pytest.approx(0.49, abs=5e-3)
    assert (math.exp(res.pi_lb), math.exp(res.pi_ub)) == pytest.approx((0.14, 1.76), abs=5e-3)


def test_it_reproduces_the_bcg_dl_and_fe_fits_checked_against_stata() -> None:
    b = METAFOR["bcg"]
    dl = rma(b["yi"], b["vi"], method="DL")
    # tests/testthat/test_misc_metan_vs_rma.uni_with_dat.bcg.r (checked against Stata metan)
    assert dl.estimate == pytest.approx(-0.7141, abs=1e-4)
    assert dl.zval == pytest.approx(-3.9952, abs=1e-4)
    assert dl.tau2 == pytest.approx(0.3088, abs=1e-4)
    assert dl.i2 == pytest.approx(92.1173, abs=1e-4)
    assert dl.h2 == pytest.approx(12.6861, abs=1e-4)
    assert (math.exp(dl.ci_lb), math.exp(dl.ci_ub)) == pytest.approx((0.3449, 0.6950), abs=1e-4)
    fe = rma(b["yi"], b["vi"], method="FE")
    assert fe.estimate == pytest.approx(-0.4303, abs=1e-4)
    assert fe.zval == pytest.approx(-10.6247, abs=1e-4)
    assert (fe.ci_lb, fe.ci_ub) == pytest.approx((-0.5097, -0.3509), abs=1e-4)


# --- evidence.md Fixture 2: Kacker (2004), full-precision metafor values -----------------
KACKER = {
    # (b, se, ci_lb, ci_ub, tau2, QE, I2, H2): statsmodels results_meta.py (commit 276bc48),
    # generated with rma(..., control=list(tol=1e-9))
    "PM": (62.4076199113286, 0.338030602684471, 61.7450921043947, 63.0701477182625,
           0.705395309224248, 24.801897741835, 83.7218626490482, 6.14320900751909),
    "DL": (62.3901386044504, 0.245749668040304, 61.9084781058787, 62.8717991030221,
           0.288049246973751, 24.801897741835, 67.744403741711, 3.10023721772938),
    "FE": (62.5833970939982, 0.107845705498231, 62.3720233953344, 62.7947707926621,
           0.0, 24.801897741835, 67.744403741711, 3.10023721772938),
}  # fmt: skip


@pytest.mark.parametrize("method", sorted(KACKER))
def test_it_matches_the_kacker_values_published_with_statsmodels(method: str) -> None:
    k = METAFOR["kacker"]
    res = rma(k["yi"], k["vi"], method=method)
    got = (res.estimate, res.se, res.ci_lb, res.ci_ub, res.tau2, res.q, res.i2, res.h2)
    close(list(got), list(KACKER[method]))
    close(res.q_p, 0.00167935146372742)  # QEp, every row of the same table


def test_it_matches_the_kacker_dl_knha_values() -> None:
    k = METAFOR["kacker"]
    res = rma(k["yi"], k["vi"], method="DL", test="knha")
    # evidence.md Fixture 2, method="DL", test="knha"
    close([res.se, res.ci_lb, res.ci_ub], [0.29477605699879, 61.710383798052, 63.0698934108488])


# --- evidence.md Fixture 4: PyMARE's pinned metafor 4.6.0 / R 4.4.1 values, moderate_k20 ----
PYMARE_K20 = [
    ("FE", "z", 0.0, 0.7906170847332492, 0.13945698339666598, 0.5172864198831837),
    ("DL", "z", 0.1843028821962854, 0.7892305009327274, 0.1881149197003058, 0.4205320333654838),
    ("REML", "z", 0.2390986398774, 0.7860251296524133, 0.19840151801276226, 0.39716529986932453),
    ("REML", "knha", 0.2390986398774, 0.7860251296524133, 0.1862742805111853, 0.3961485798249015),
    ("DL", "knha", 0.1843028821962854, 0.7892305009327274, 0.1840117740870352, 0.40408943147421506),
]


@pytest.mark.parametrize(("method", "test", "tau2", "beta", "se", "ci_lb"), PYMARE_K20)
def test_it_matches_metafor_4_6_on_pymares_moderate_k20_design(
    method: str, test: str, tau2: float, beta: float, se: float, ci_lb: float
) -> None:
    d = METAFOR["pymare"]["moderate_k20"]
    res = rma(d["y"], d["v"], method=method, test=test)
    close([res.tau2, res.estimate, res.se, res.ci_lb], [tau2, beta, se, ci_lb])


# --- convergence, boundary and input handling ---------------------------------------------


def test_it_reports_fisher_scoring_iterations_and_convergence() -> None:
    b = METAFOR["bcg"]
    res = rma(b["yi"], b["vi"])
    assert res.converged and 1 <= res.iterations <= 100
    stopped = rma(b["yi"], b["vi"], maxiter=0)
    assert not stopped.converged


def test_it_puts_tau2_on_the_zero_boundary_for_homogeneous_studies() -> None:
    d = METAFOR["boundary"]
    res = rma(d["yi"], d["vi"])
    fe = rma(d["yi"], d["vi"], method="FE")
    # metafor: tau2 = 0 and the RE model equals the FE model (metafor issue #14)
    assert res.tau2 == 0
    assert res.estimate == pytest.approx(fe.estimate, abs=1e-15)
    assert (res.tau2_ci_lb, res.tau2_ci_ub) == (0.0, 0.0)
    assert res.i2 == 0 and res.h2 == 1


def test_it_gives_the_same_answer_for_a_large_k_without_forming_k_by_k_matrices() -> None:
    rng = np.random.default_rng(6)
    k = 100_000  # a dense P would need 80 GB
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.08))
    res = rma(yi, vi)
    assert res.converged
    assert res.tau2 == pytest.approx(0.08, abs=0.01)
    assert res.estimate == pytest.approx(0.3, abs=0.01)


@pytest.mark.parametrize(
    ("yi", "vi", "message"),
    [
        ([0.1, 0.2], [0.1], "differ in length"),
        ([], [], "no studies"),
        ([0.1, float("nan")], [0.1, 0.1], "finite"),
        ([0.1, 0.2], [0.1, -0.1], "positive"),
        ([0.1, 0.2], [0.1, 0.0], "positive"),
    ],
)
def test_it_rejects_invalid_study_data(yi: list[float], vi: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rma(yi, vi)


def test_it_refuses_a_random_effects_model_with_one_study() -> None:
    with pytest.raises(ValueError, match="more studies"):
        rma([0.3], [0.1], method="REML")
    assert rma([0.3], [0.04], method="FE").se == pytest.approx(0.2)


@pytest.mark.parametrize(("method", "test"), [("XX", "z"), ("REML", "t")])
def test_it_rejects_unknown_options(method: str, test: str) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        rma([0.1, 0.2], [0.1, 0.1], method=method, test=test)


def test_it_returns_a_frozen_result_with_the_documented_keys() -> None:
    res = rma([0.1, 0.5, 0.9], [0.04, 0.05, 0.06])
    keys = set(res.to_dict())
    assert {
        "k", "estimate", "se", "zval", "tval", "pval", "ci_lb", "ci_ub", "tau2", "tau2_ci_lb",
        "tau2_ci_ub", "i2", "h2", "q", "q_df", "q_p", "pi_lb", "pi_ub", "method", "test",
        "converged",
    } <= keys  # fmt: skip
    with pytest.raises(AttributeError):
        res.estimate = 0  # type: ignore[misc]


def test_it_computes_a_q_profile_interval_for_a_moderator_model() -> None:
    b = METAFOR["bcg"]
    ci = tau2_qprofile_ci(b["yi"], b["vi"], mods=b["ablat"])
    reml = metareg(b["yi"], b["vi"], b["ablat"])
    assert ci.lb is not None and ci.ub is not None
    assert 0 <= ci.lb < reml.tau2 < ci.ub
    assert not (ci.lb_censored or ci.ub_censored)


# --- a second, independent implementation: statsmodels ----------------------------------


@pytest.mark.parametrize("name", ["bcg", "kacker", "random-k10-tau0.3", "random-k30-tau0.02"])
def test_it_matches_statsmodels_combine_effects(name: str) -> None:
    # statsmodels.stats.meta_analysis.combine_effects: its DL is the same closed form (not
    # truncated at 0, so only data with tau2 > 0 here), compared at 1e-10 because it rounds
    # differently (6e-12 off the exact rational value on Kacker, where effects are near 62;
    # ours is exact to the last digit there); its PM ("iterated") stops at its own tolerance,
    # about 2e-6 relative short of the root on Kacker, so PM is compared at 1e-5.
    meta_analysis = pytest.importorskip("statsmodels.stats.meta_analysis")
    data = TIGHT["datasets"][name]
    y, v = np.asarray(data["yi"]), np.asarray(data["vi"])
    for method, theirs, tol in (("DL", "dl", 1e-10), ("PM", "iterated", 1e-5)):
        ref = meta_analysis.combine_effects(y, v, method_re=theirs)
        res = rma(y, v, method=method)
        assert res.tau2 > 0
        assert res.tau2 == pytest.approx(ref.tau2, rel=tol)
        assert res.estimate == pytest.approx(ref.mean_effect_re, rel=tol, abs=tol * res.se)
        assert res.se == pytest.approx(ref.sd_eff_w_re, rel=tol)
        assert res.q == pytest.approx(ref.q, rel=1e-10)
