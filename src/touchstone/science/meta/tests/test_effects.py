"""Effect sizes against R metafor 3.8.1 ``escalc`` (fixtures) and evidence.md's printed values."""

from __future__ import annotations

import numpy as np
import pytest

from touchstone.science.meta import effects
from touchstone.science.meta.tests.conftest import METAFOR, close


def test_it_computes_hedges_g_with_metafors_exact_bias_correction() -> None:
    s = METAFOR["smd"]
    es = effects.smd(s["m1i"], s["sd1i"], s["n1i"], s["m2i"], s["sd2i"], s["n2i"])
    # escalc("SMD", ...) default vtype="LS"
    close(es.yi.tolist(), s["yi"])
    close(es.vi.tolist(), s["vi_ls"])


def test_it_computes_the_unbiased_smd_variance() -> None:
    s = METAFOR["smd"]
    es = effects.smd(s["m1i"], s["sd1i"], s["n1i"], s["m2i"], s["sd2i"], s["n2i"], vtype="UB")
    close(es.vi.tolist(), s["vi_ub"])  # escalc("SMD", ..., vtype="UB")
    # evidence.md Fixture 3, "metafor vi (vtype=UB)" column (statsmodels test_meta.py)
    close(
        es.vi.tolist(),
        [0.03337176211751222, 0.03107388569950075, 0.05088098670518214,
         0.01055698026322296, 0.04339077140867459, 0.02363252645927709],
    )  # fmt: skip
    close(es.yi.tolist()[0], 0.09452415852032972)  # same table, Carroll


def test_it_uses_the_exact_gamma_correction_not_the_approximation() -> None:
    # Hedges 1981 eq. 6e: c(10) = Gamma(5) / (sqrt(5) Gamma(4.5)) = 0.92274560...
    # the approximation 1 - 3 / (4 m - 1) gives 0.92308
    assert effects.hedges_correction(10)[0] == pytest.approx(0.9227456, abs=1e-7)


def test_it_computes_mean_differences() -> None:
    s = METAFOR["smd"]
    es = effects.md(s["m1i"], s["sd1i"], s["n1i"], s["m2i"], s["sd2i"], s["n2i"])
    close(es.yi.tolist(), s["md_yi"])  # escalc("MD", ...)
    close(es.vi.tolist(), s["md_vi"])


def test_it_computes_log_risk_ratios_for_the_bcg_trials() -> None:
    b = METAFOR["bcg"]
    es = effects.log_rr(b["ai"], b["bi"], b["ci"], b["di"])
    close(es.yi.tolist(), b["yi"])  # escalc("RR", ai=tpos, bi=tneg, ci=cpos, di=cneg)
    close(es.vi.tolist(), b["vi"])
    # evidence.md Fixture 1 table (4 decimals): trial 1 yi -0.8893, vi 0.3256
    assert (es.yi[0], es.vi[0]) == pytest.approx((-0.8893, 0.3256), abs=1e-4)


def test_it_computes_log_odds_ratios() -> None:
    b = METAFOR["bcg"]
    es = effects.log_or(b["ai"], b["bi"], b["ci"], b["di"])
    close(es.yi.tolist(), b["or"]["yi"])  # escalc("OR", ...)
    close(es.vi.tolist(), b["or"]["vi"])


def test_it_adds_one_half_only_to_studies_with_a_zero_cell() -> None:
    e = METAFOR["egger2001"]  # Bertschat 1989 has 0 events in the treatment group
    odds = effects.log_or(e["ai"], e["bi"], e["ci"], e["di"])
    risk = effects.log_rr(e["ai"], e["bi"], e["ci"], e["di"])
    # escalc("OR"/"RR", ai, n1i, ci, n2i, data=dat.egger2001), default add=1/2, to="only0"
    close(odds.yi.tolist(), e["or_yi"])
    close(odds.vi.tolist(), e["or_vi"])
    close(risk.yi.tolist(), e["rr_yi"])
    close(risk.vi.tolist(), e["rr_vi"])
    # a study without zero cells is untouched: Morton 1984 (1/40 vs 2/36), plain log OR
    assert odds.yi[0] == pytest.approx(np.log((1 * 34) / (39 * 2)), abs=1e-12)


def test_it_computes_standardised_mean_change_from_pre_post_summaries() -> None:
    p = METAFOR["prepost"]
    r = effects.smcr(p["m1i"], p["m2i"], p["sd1i"], p["ni"], p["ri"])
    c = effects.smcc(p["m1i"], p["m2i"], p["sd1i"], p["sd2i"], p["ni"], p["ri"])
    close(r.yi.tolist(), p["smcr_yi"])  # escalc("SMCR", m1i, m2i, sd1i, ni, ri)
    close(r.vi.tolist(), p["smcr_vi"])
    close(c.yi.tolist(), p["smcc_yi"])  # escalc("SMCC", m1i, m2i, sd1i, sd2i, ni, ri)
    close(c.vi.tolist(), p["smcc_vi"])


def test_it_dispatches_by_metafor_measure_name() -> None:
    b = METAFOR["bcg"]
    es = effects.escalc("RR", ai=b["ai"], bi=b["bi"], ci=b["ci"], di=b["di"])
    close(es.yi.tolist(), b["yi"])
    assert effects.escalc("GEN", yi=[0.1], vi=[0.2]).to_dict() == {
        "measure": "GEN",
        "yi": [0.1],
        "vi": [0.2],
    }
    with pytest.raises(ValueError, match="measure must be one of"):
        effects.escalc("XYZ", yi=[0.1], vi=[0.2])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: effects.smd([1], [-1], [10], [0], [1], [10]), "negative"),
        (lambda: effects.smd([1], [1], [0], [0], [1], [10]), "positive"),
        (lambda: effects.smd([1, 2], [1], [10], [0], [1], [10]), "same length"),
        (lambda: effects.log_rr([-1], [10], [1], [10]), "negative"),
        (lambda: effects.log_rr([0], [0], [1], [10]), "at least one person"),
        (lambda: effects.smcr([1], [2], [1], [10], [1.5]), "between -1 and 1"),
        (lambda: effects.smd([1], [1], [10], [0], [1], [10], vtype="XX"), "vtype"),
    ],
)
def test_it_rejects_impossible_summaries(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
