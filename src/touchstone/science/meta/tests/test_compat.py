"""The pooling rules: one measure, one outcome domain, one design, MDs on one scale, no study
twice; SMDs of one domain and design may come from different instruments."""

from __future__ import annotations

from touchstone.science.meta.compat import PoolableEffect, check_poolable, same_scale


def _e(
    label: str, domain: str, scale: str, design: str, measure: str, study: str = ""
) -> PoolableEffect:
    return PoolableEffect(label, domain, scale, design, measure, study or label)


RAPAPORT = _e("Rapaport 2016", "anxiety", "HAM-A", "controlled", "MD")
KO = _e("Ko 2014", "sleep", "PSQI", "controlled", "MD")


def test_it_refuses_anxiety_points_with_sleep_points_naming_both() -> None:
    # the "-3.915" of issue 10: HAM-A points pooled with PSQI points
    verdict = check_poolable([RAPAPORT, KO])
    assert not verdict.ok
    assert (
        "Different outcome domains cannot be pooled: anxiety: Rapaport 2016; sleep: Ko 2014."
        in verdict.reasons
    )
    assert any(
        r.startswith("Mean differences on different scales cannot be pooled")
        and "HAM-A: Rapaport 2016; PSQI: Ko 2014" in r
        for r in verdict.reasons
    )


def test_it_refuses_mean_differences_on_different_scales_of_one_domain() -> None:
    bdi = _e("A 2001", "depression", "BDI", "controlled", "MD")
    hamd = _e("B 2005", "depression", "HAM-D", "controlled", "MD")
    verdict = check_poolable([bdi, hamd])
    assert verdict.reasons == (
        "Mean differences on different scales cannot be pooled (their points are not the same "
        "unit; use standardized mean differences): BDI: A 2001; HAM-D: B 2005.",
    )


def test_it_pools_mean_differences_on_one_scale_whatever_the_spelling() -> None:
    a = _e("A 2001", "anxiety", "HAM-A", "controlled", "MD")
    b = _e("B 2005", "anxiety", " ham-a ", "controlled", "MD")
    assert check_poolable([a, b]).ok
    assert same_scale("STAI-T", "stai-t") and not same_scale("STAI-T", "STAI-S")


def test_it_pools_standardized_mean_differences_across_scales_of_one_domain_and_design() -> None:
    bdi = _e("A 2001", "depression", "BDI", "controlled", "SMD")
    cesd = _e("B 2005", "depression", "CES-D", "controlled", "SMD")
    verdict = check_poolable([bdi, cesd])
    assert verdict.ok and verdict.message == ""


def test_it_refuses_mixing_controlled_pre_post_and_meta_analytic_summaries() -> None:
    trial = _e("Field 2012", "depression", "CES-D", "controlled", "SMD")
    clinic = _e("This clinic", "depression", "PHQ-9", "pre_post", "SMD")
    hou = _e("Hou 2010", "depression", "various", "meta_summary", "SMD")
    verdict = check_poolable([trial, clinic, hou])
    assert verdict.reasons == (
        "Controlled between-group effects, uncontrolled pre-post changes and meta-analytic "
        "summaries cannot be pooled together: controlled between-group effect: Field 2012; "
        "uncontrolled pre-post change: This clinic; meta-analytic summary: Hou 2010.",
    )
    assert not check_poolable([trial, hou]).ok
    assert not check_poolable([trial, clinic]).ok


def test_it_refuses_different_measures() -> None:
    smd = _e("A 2001", "anxiety", "STAI", "controlled", "SMD")
    md = _e("B 2005", "anxiety", "STAI", "controlled", "MD")
    verdict = check_poolable([smd, md])
    assert verdict.reasons == (
        "Different effect measures cannot be pooled: SMD: A 2001; MD: B 2005.",
    )


def test_it_refuses_a_mean_difference_on_various_scales() -> None:
    a = _e("A 2001", "depression", "various", "meta_summary", "MD")
    b = _e("B 2005", "depression", "various", "meta_summary", "MD")
    verdict = check_poolable([a, b])
    assert "A mean difference needs one named instrument, not 'various': A 2001, B 2005." in (
        verdict.reasons
    )


def test_it_refuses_two_effects_of_one_study() -> None:
    a = _e("Field 2009 CES-D", "depression", "CES-D", "controlled", "SMD", study="field2009")
    b = _e("Field 2009 POMS", "depression", "POMS-D", "controlled", "SMD", study="field2009")
    verdict = check_poolable([a, b])
    assert verdict.reasons == (
        "Effects of the same study share participants and cannot be pooled as independent: "
        "field2009: Field 2009 CES-D, Field 2009 POMS.",
    )


def test_it_refuses_too_few_or_untagged_effects() -> None:
    assert check_poolable([RAPAPORT]).reasons == (
        "A pooled estimate needs at least 2 effects; 1 given.",
    )
    untagged = _e("Doe 2021", "", "", "", "SMD")
    tagged = _e("Roe 2020", "depression", "BDI", "controlled", "SMD")
    verdict = check_poolable([untagged, tagged])
    assert any("lack an outcome domain" in r and "Doe 2021" in r for r in verdict.reasons)
    assert check_poolable([_e("X", "sleep", "PSQI", "cohort", "MD"), KO]).reasons[0] == (
        "Unknown effect design for: X."
    )
