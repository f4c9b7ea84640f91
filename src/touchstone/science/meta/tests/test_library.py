"""The evidence library data file loads, keeps UNVERIFIED marks and critiques, and validates;
its effects equal metafor's on their recorded inputs, and its depression set may be pooled."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from touchstone.science.meta.compat import PoolableEffect, check_poolable
from touchstone.science.meta.effects import md, smd
from touchstone.science.meta.library import (
    COMPARISONS,
    Study,
    StudyDataError,
    load_studies,
    parse_studies,
)
from touchstone.science.meta.models import rma

STUDIES = Path(__file__).resolve().parents[3] / "evidence" / "data" / "studies.json"
RAW: dict[str, Any] = json.loads(STUDIES.read_text())
#: metafor 3.8.1 on the library's recorded inputs, printed by fixtures/make_library_fixtures.R.
FIXTURE = Path(__file__).parent / "fixtures" / "metafor_3_8_1_library.json"
METAFOR: dict[str, Any] = json.loads(FIXTURE.read_text())


def _by_id() -> dict[str, Any]:
    return {s.id: s for s in load_studies(STUDIES)}


def test_it_loads_every_published_study_in_the_reference_file() -> None:
    studies = _by_id()
    # evidence.md Part 1 sections 1.1-1.5
    for sid in ("hou2010", "rapaport2016", "sherman2010", "field2005", "moyer2011", "ko2014"):
        assert sid in studies
    assert {s.domain for s in studies.values()} == {
        "depression", "anxiety", "cortisol", "sleep", "cost",
    }  # fmt: skip


def test_it_keeps_unverified_values_marked() -> None:
    studies = _by_id()
    # evidence.md: Rapaport 2016 "DOI UNVERIFIED ... Per-arm n UNVERIFIED"
    assert studies["rapaport2016"].is_unverified("doi")
    assert studies["rapaport2016"].is_unverified("per_arm_n")
    # evidence.md: Hou 2010 "per-trial SMDs and forest plot not reached"
    assert studies["hou2010"].is_unverified("per_study_effects")
    assert not studies["sherman2010"].unverified


def test_it_puts_the_cortisol_critiques_next_to_the_claim() -> None:
    field = _by_id()["field2005"]
    critics = {by for by, _ in field.critiques}
    assert {"moyer2011", "moraska2010"} <= critics  # evidence.md section 1.3


def test_it_carries_poolable_effects_with_their_derivation() -> None:
    studies = _by_id()
    hou = studies["hou2010"].effect
    # evidence.md: random-effects SMD 0.73 (0.52-0.93) -> vi = ((0.93-0.52)/3.92)^2 [derived]
    assert hou is not None and hou.yi == 0.73 and hou.derived
    assert hou.vi == pytest.approx(((0.93 - 0.52) / (2 * 1.959964)) ** 2, rel=1e-3)
    jane = studies["jane2011"].effect
    # Hedges' g of the post-treatment RCSQ 32.8 (11.4) vs 30.2 (14.4), 36 per arm [derived]
    assert jane is not None and jane.yi == pytest.approx(0.1980, abs=1e-4)


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    study = data["studies"][0]
    keys = path.split(".")
    for key in keys[:-1]:
        study = study[key]
    study[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("domain", "mood", "field 'domain'"),
        ("doi", "not-a-doi", "field 'doi'"),
        ("citation", None, "field 'citation'"),
        ("n", -5, "field 'n'"),
        ("unverified", ["colour"], "unknown field 'colour'"),
        ("critiques", [{"by": "nobody2099", "text": "x"}], "unknown study 'nobody2099'"),
        ("effect.vi", -1, "field 'effect.vi'"),
        ("effect.vi", 0.5, "does not match the CI"),
        ("effect.yi", 2.0, "outside its confidence interval"),
        ("effect.domain", "mood", "field 'effect.domain'"),
        ("effect.domain", "cost", "field 'effect.domain'"),
        ("effect.domain", None, "field 'effect.domain'"),
        ("effect.scale", " ", "field 'effect.scale'"),
        ("effect.design", "rct", "field 'effect.design'"),
        ("effect.design", None, "field 'effect.design'"),
        ("effect.note", "", "field 'effect.note'"),
    ],
)
def test_it_rejects_malformed_entries_naming_study_and_field(
    path: str, value: Any, message: str
) -> None:
    with pytest.raises(StudyDataError, match=message) as err:
        parse_studies(_broken(path, value))
    assert "hou2010" in str(err.value)


def test_it_tags_every_effect_with_domain_scale_and_design() -> None:
    studies = _by_id()
    tags = {
        sid: (s.effect.domain, s.effect.scale, s.effect.design, s.effect.measure)
        for sid, s in studies.items()
        if s.effect is not None
    }
    assert tags == {
        "hou2010": ("depression", "various", "meta_summary", "SMD"),
        "rapaport2016": ("anxiety", "HAM-A", "controlled", "MD"),
        "ko2014": ("sleep", "PSQI", "controlled", "MD"),
        "jane2011": ("sleep", "RCSQ", "controlled", "SMD"),
        "poland2013": ("depression", "HAM-D", "controlled", "MD"),
        "chompoopan2024": ("depression", "HAM-D", "controlled", "MD"),
    }


def test_each_effect_equals_the_arithmetic_on_its_recorded_inputs() -> None:
    studies = _by_id()
    raw = {s["id"]: s for s in RAW["studies"]}
    # Rapaport 2016 abstract: week-6 HARS change -11.67 (SEM 1.09) vs -8.41 (SEM 1.01)
    rap = studies["rapaport2016"].effect
    assert rap is not None
    assert rap.yi == pytest.approx(-11.67 - (-8.41), abs=1e-12)
    assert rap.vi == pytest.approx(1.09**2 + 1.01**2, abs=1e-4)
    # Ko 2014 abstract: GEE B = -3.97, SE = 0.43
    ko = studies["ko2014"].effect
    assert ko is not None and ko.yi == -3.97 and ko.vi == pytest.approx(0.43**2, abs=1e-12)
    # Hou 2010 abstract: random-effects SMD 0.73 (0.52-0.93)
    hou = raw["hou2010"]["effect"]
    assert hou["vi"] == pytest.approx(((hou["ci_ub"] - hou["ci_lb"]) / (2 * 1.959964)) ** 2,
                                      rel=1e-3)  # fmt: skip
    # Jane 2011 (Samuel 2021 Table 1): g recomputed from the stored group summaries
    e = raw["jane2011"]["effect"]
    es = smd([e["m1i"]], [e["sd1i"]], [e["n1i"]], [e["m2i"]], [e["sd2i"]], [e["n2i"]])
    jane = studies["jane2011"].effect
    assert jane is not None
    assert (jane.yi, jane.vi) == (float(es.yi[0]), float(es.vi[0]))
    assert (e["m1i"], e["sd1i"], e["n1i"], e["m2i"], e["sd2i"], e["n2i"]) == (
        32.8, 11.4, 36, 30.2, 14.4, 36,
    )  # fmt: skip
    assert (jane.yi, jane.vi) == pytest.approx(
        (METAFOR["jane2011"]["yi"], METAFOR["jane2011"]["vi"]), rel=1e-12
    )
    # Poland 2013, PMC3627430 Table 2 (ITT, week 8): massage 15.0 (9.1), n 20; no intervention
    # 22.6 (8.0), n 14 -> MD of final values, as metafor escalc("MD")
    e = raw["poland2013"]["effect"]
    assert (e["m1i"], e["sd1i"], e["n1i"], e["m2i"], e["sd2i"], e["n2i"]) == (
        15.0, 9.1, 20, 22.6, 8.0, 14,
    )  # fmt: skip
    poland = studies["poland2013"].effect
    assert poland is not None and poland.derived
    es = md([15.0], [9.1], [20], [22.6], [8.0], [14])
    assert (poland.yi, poland.vi) == (float(es.yi[0]), float(es.vi[0]))
    assert poland.yi == pytest.approx(15.0 - 22.6, abs=1e-12)
    assert poland.vi == pytest.approx(9.1**2 / 20 + 8.0**2 / 14, abs=1e-12)
    ref = METAFOR["poland2013"]
    assert (poland.yi, poland.vi) == pytest.approx((ref["yi"], ref["vi"]), rel=1e-12)
    # Chompoopan 2024 abstract: MD 5.14 (95% CI 2.92 to 7.37) in favour of massage
    chomp = studies["chompoopan2024"].effect
    e = raw["chompoopan2024"]["effect"]
    assert chomp is not None and chomp.yi == -5.14 and (e["ci_lb"], e["ci_ub"]) == (-7.37, -2.92)
    assert chomp.vi == pytest.approx(METAFOR["chompoopan2024"]["vi"], abs=5e-7)  # 6 decimals
    # every stored figure names where it comes from, and what a controlled effect compares
    for s in studies.values():
        if s.effect is not None:
            assert s.effect.note.strip(), s.id
            assert (s.effect.comparison in COMPARISONS) == (s.effect.design == "controlled")


def _controlled(sid: str = "poland2013") -> tuple[dict[str, Any], dict[str, Any]]:
    data = copy.deepcopy(RAW)
    return data, next(s for s in data["studies"] if s["id"] == sid)["effect"]


def test_it_requires_a_controlled_effect_to_say_what_it_compares() -> None:
    data, effect = _controlled()
    del effect["comparison"]
    with pytest.raises(StudyDataError, match=r"poland2013.*effect.comparison.*final, change"):
        parse_studies(data)
    data, effect = _controlled()
    effect["comparison"] = "post"
    with pytest.raises(StudyDataError, match=r"poland2013.*effect.comparison"):
        parse_studies(data)
    data = copy.deepcopy(RAW)
    data["studies"][0]["effect"]["comparison"] = "final"  # hou2010: a meta-analytic summary
    with pytest.raises(StudyDataError, match=r"hou2010.*controlled effects only"):
        parse_studies(data)


@pytest.mark.parametrize(
    ("key", "value"), [("sd2i", -8.0), ("sd1i", 0), ("n1i", 0), ("n2i", 14.5), ("m1i", "15")]
)
def test_it_refuses_impossible_group_summaries(key: str, value: Any) -> None:
    data, effect = _controlled()
    effect[key] = value
    with pytest.raises(StudyDataError, match=rf"poland2013.*effect.{key}"):
        parse_studies(data)


def test_it_refuses_group_summaries_that_give_no_effect() -> None:
    data, effect = _controlled("jane2011")
    effect["n1i"] = effect["n2i"] = 1  # Hedges' g needs n1 + n2 > 2
    with pytest.raises(StudyDataError, match=r"jane2011.*'effect'.*n1i \+ n2i > 2"):
        parse_studies(data)


def test_it_refuses_group_summaries_for_a_ratio_measure() -> None:
    data, effect = _controlled()
    effect["measure"] = "RR"
    with pytest.raises(StudyDataError, match="group summaries are supported for SMD and MD"):
        parse_studies(data)


def _controlled_sets(studies: dict[str, Study]) -> dict[str, list[Study]]:
    sets: dict[str, list[Study]] = {}
    for s in studies.values():
        if s.effect is not None and s.effect.design == "controlled":
            sets.setdefault(s.effect.domain, []).append(s)
    return sets


def _poolable(group: list[Study]) -> bool:
    effects = [
        PoolableEffect(s.id, e.domain, e.scale, e.design, e.measure, s.id)
        for s in group
        if (e := s.effect) is not None
    ]
    return check_poolable(effects).ok


def test_depression_has_a_poolable_set_of_controlled_trials() -> None:
    studies = _by_id()
    group = [studies["poland2013"], studies["chompoopan2024"]]
    assert _poolable(group)  # HAM-D mean differences of two randomized trials
    fit = rma([s.effect.yi for s in group if s.effect], [s.effect.vi for s in group if s.effect],
              method="REML")  # fmt: skip
    ref = METAFOR["depression_hamd_md"]["REML"]
    assert fit.k == ref["k"] == 2
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("ci_lb", "ci_lb"),
                         ("ci_ub", "ci_ub"), ("q", "QE"), ("q_p", "QEp")]:  # fmt: skip
        assert getattr(fit, ours) == pytest.approx(ref[theirs], rel=1e-9, abs=1e-12), ours
    assert fit.tau2 == ref["tau2"] == 0  # Q < df: the boundary, as metafor


def test_the_poolable_domains_are_those_docs_meta_analysis_md_lists() -> None:
    # docs/meta-analysis.md, "Effect data in the library": depression has a poolable controlled
    # set; anxiety (one HAM-A change), sleep (a PSQI MD and an RCSQ SMD) and cortisol (no
    # effect) do not. Adding data must update that section.
    sets = _controlled_sets(_by_id())
    poolable = {domain for domain, group in sets.items() if len(group) > 1 and _poolable(group)}
    assert poolable == {"depression"}
    assert {d: sorted(s.id for s in g) for d, g in sets.items()} == {
        "depression": ["chompoopan2024", "poland2013"],
        "anxiety": ["rapaport2016"],
        "sleep": ["jane2011", "ko2014"],
    }


def test_it_refuses_a_mean_difference_on_various_scales() -> None:
    data = copy.deepcopy(RAW)
    rap = next(s for s in data["studies"] if s["id"] == "rapaport2016")
    rap["effect"]["scale"] = "various"
    with pytest.raises(StudyDataError, match=r"rapaport2016.*one named instrument"):
        parse_studies(data)


def test_it_refuses_a_file_of_the_old_schema() -> None:
    data = copy.deepcopy(RAW)
    data["schema_version"] = 1
    with pytest.raises(StudyDataError, match="schema_version must be 2"):
        parse_studies(data)


def test_it_rejects_duplicate_ids() -> None:
    data = copy.deepcopy(RAW)
    data["studies"].append(copy.deepcopy(data["studies"][0]))
    with pytest.raises(StudyDataError, match="duplicate"):
        parse_studies(data)
