"""The evidence library: seeding, UNVERIFIED marks and critiques, the owner's form, syntheses
that equal the science core's rma, saved syntheses with CSV and SVG exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast
from touchstone.evidence.actions import do_seed_library, shipped_studies
from touchstone.evidence.models import Study, Synthesis
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.science.meta.effects import smd
from touchstone.science.meta.models import rma

pytestmark = pytest.mark.django_db


def test_it_seeds_the_shipped_studies_once_per_clinic(cast: Cast):
    assert do_seed_library(cast.harbour) == len(shipped_studies())
    assert do_seed_library(cast.harbour) == 0
    assert Study.objects.filter(clinic=cast.harbour, shipped=True).count() == len(shipped_studies())
    assert not Study.objects.filter(clinic=cast.northside).exists()


def test_it_lets_every_role_read_the_library_with_unverified_marks(cast: Cast):
    for member in (cast.alice, cast.bob, cast.tess, cast.fiona, cast.rita):
        assert cast.browser_for(member).get("/evidence/").status_code == 200
    http = cast.browser_for(cast.rita)
    field2012 = Study.objects.get(clinic=cast.harbour, key="field2012")
    html = http.get(f"/evidence/studies/{field2012.pk}/").content.decode()
    assert "UNVERIFIED in the source notes" in html
    assert "Journal" in html and "DOI" in html


def test_it_shows_critiques_next_to_the_claims(cast: Cast):
    do_seed_library(cast.harbour)
    hou = Study.objects.get(clinic=cast.harbour, key="hou2010")
    html = cast.browser_for(cast.tess).get(f"/evidence/studies/{hou.pk}/").content.decode()
    assert "Critiques and caveats" in html
    assert "too little RCT evidence" in html  # Coelho 2008's critique of Hou 2010
    coelho = Study.objects.get(clinic=cast.harbour, key="coelho2008")
    html = cast.browser_for(cast.tess).get(f"/evidence/studies/{coelho.pk}/").content.decode()
    assert "This study questions" in html and "Hou 2010" in html


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "citation": "Doe J, Roe R. Massage for low mood. J Bodywork 2021;3:1-9.",
        "doi": "10.1234/jbw.2021.001",
        "year": "2021",
        "domain": "depression",
        "design": "RCT, massage vs waitlist",
        "outcome": "PHQ-9",
        "result": "Lower PHQ-9 after 6 weeks.",
        "n": "60",
        "measure": "SMD",
        "yi": "0.4",
        "vi": "0.07",
    }
    data.update(overrides)
    return data


def test_it_lets_owners_add_a_valid_study(cast: Cast):
    http = cast.browser_for(cast.alice)
    response = http.post("/evidence/studies/new/", _form(critique="Small, unblinded."))
    study = Study.objects.get(clinic=cast.harbour, shipped=False)
    assert response.status_code == 302
    assert (study.key, study.yi, study.vi, study.created_by) == ("doe2021", 0.4, 0.07, cast.alice)
    assert study.critiques == [{"by": "authors", "text": "Small, unblinded."}]
    assert AuditEvent.objects.filter(action="create", object_type="evidence.study").exists()
    assert cast.browser_for(cast.bob).post("/evidence/studies/new/", _form()).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"doi": "doi 10/abc"}, "doi", "Give a DOI such as"),
        ({"vi": "-0.1"}, "vi", "positive"),
        ({"vi": "0"}, "vi", "positive"),
        ({"n": "-3"}, "n", "greater than or equal to"),
        ({"year": "1850"}, "year", "Give a year from 1900"),
        ({"yi": "", "vi": "0.05"}, "yi", "Give the effect size"),
        ({"measure": "", "yi": "0.3"}, "measure", "Say which measure"),
        ({"yi": "", "vi": "", "m1": "5", "sd1": "-2", "n1": "20", "m2": "7", "sd2": "2",
          "n2": "20"}, "sd1", "greater than or equal to 0"),
        ({"yi": "", "vi": "", "m1": "5", "sd1": "2", "n1": "20"}, "m1", "all six"),
    ],
)  # fmt: skip
def test_it_refuses_an_invalid_study_with_the_error_next_to_the_field(
    cast: Cast, overrides: dict[str, str], field: str, message: str
):
    response = cast.browser_for(cast.alice).post("/evidence/studies/new/", _form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, [])), errors
    assert not Study.objects.filter(shipped=False).exists()


def test_it_computes_hedges_g_from_group_summaries_as_metafor(cast: Cast):
    summaries = {"m1": "12.0", "sd1": "4.0", "n1": "30", "m2": "9.5", "sd2": "4.5", "n2": "28"}
    cast.browser_for(cast.alice).post("/evidence/studies/new/", _form(yi="", vi="", **summaries))
    study = Study.objects.get(shipped=False)
    es = smd([12.0], [4.0], [30], [9.5], [4.5], [28])
    assert study.yi == pytest.approx(float(es.yi[0]), abs=1e-12)
    assert study.vi == pytest.approx(float(es.vi[0]), abs=1e-12)
    assert study.effect_derived


def _synthesize(http: Any, **fields: Any) -> Any:
    data = {"measure": "SMD", "method": "REML", "test": "z", "clinic": "", "title": ""}
    data.update(fields)
    return http.post("/evidence/synthesis/", data)


def test_it_pools_studies_exactly_as_the_science_core(cast: Cast):
    do_seed_library(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = _synthesize(http, studies=["hou2010", "jane2011"], method="DL", test="knha")
    run = response.context["run"]
    hou = Study.objects.get(clinic=cast.harbour, key="hou2010")
    jane = Study.objects.get(clinic=cast.harbour, key="jane2011")
    expected = rma([hou.yi, jane.yi], [hou.vi, jane.vi], method="DL", test="knha")
    assert run.result.to_dict() == expected.to_dict()
    html = response.content.decode()
    assert "<svg" in html and "Forest plot" in html and "Funnel plot" in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    mixed = _synthesize(http, studies=["hou2010", "rapaport2016"])
    assert "Not on the SMD scale: Rapaport 2016" in mixed.content.decode()
    one = _synthesize(http, studies=["hou2010"])
    assert "Choose at least two studies" in one.content.decode()


def test_it_adds_the_clinic_as_a_labelled_practice_based_study(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 30)
    do_seed_library(cast.harbour)
    http = cast.browser_for(cast.alice)
    response = _synthesize(http, studies=["hou2010", "jane2011"], clinic="phq9")
    rows = response.context["run"].rows
    effect = (
        clinic_outcomes(cast.harbour, OutcomeFilters(instrument_ids=("phq9",)))
        .instrument("phq9")
        .effect
    )
    assert rows[-1]["kind"] == "practice"
    assert rows[-1]["label"].startswith("Practice-based study (this clinic)")
    assert (rows[-1]["yi"], rows[-1]["vi"]) == (effect.g, effect.variance)
    expected = rma([r["yi"] for r in rows], [r["vi"] for r in rows], method="REML")
    assert response.context["run"].result.estimate == pytest.approx(expected.estimate, abs=1e-12)
    assert "practice-based, uncontrolled pre–post" in response.content.decode()


def test_it_adds_no_clinic_estimate_resting_on_fewer_than_11_episodes(cast: Cast):
    # Every role reads the library and saved syntheses (researchers, front desk): a pre-post
    # effect of a handful of episodes would give individual clients' changes away.
    build_outcomes(cast.harbour, [cast.tess], 4)
    do_seed_library(cast.harbour)
    for member in (cast.rita, cast.alice):
        response = _synthesize(
            cast.browser_for(member), studies=["hou2010", "jane2011"], clinic="phq9"
        )
        assert "too few pre-post scores" in response.content.decode()
        assert "run" not in response.context


def test_it_saves_a_synthesis_and_exports_csv_and_svg(cast: Cast):
    do_seed_library(cast.harbour)
    http = cast.browser_for(cast.rita)
    response = _synthesize(
        http, studies=["hou2010", "jane2011"], method="PM", title="Depression and sleep", save="1"
    )
    saved = Synthesis.objects.get(clinic=cast.harbour)
    assert response.status_code == 302
    assert (saved.title, saved.study_keys, saved.created_by) == (
        "Depression and sleep", ["hou2010", "jane2011"], cast.rita,
    )  # fmt: skip
    page = http.get(f"/evidence/syntheses/{saved.pk}/")
    assert page.status_code == 200
    rows = list(csv.reader(io.StringIO(http.get(f"/evidence/syntheses/{saved.pk}/results.csv")
                                       .content.decode())))  # fmt: skip
    stats = {r[0]: r[1] for r in rows if len(r) == 2}
    assert float(stats["estimate"]) == pytest.approx(saved.result["estimate"], abs=1e-12)
    assert float(stats["i2"]) == pytest.approx(saved.result["i2"], abs=1e-12)
    forest = http.get(f"/evidence/syntheses/{saved.pk}/forest.svg")
    assert forest["Content-Type"] == "image/svg+xml"
    assert forest.content.startswith(b"<svg")
    assert http.get(f"/evidence/syntheses/{saved.pk}/funnel.svg").content.startswith(b"<svg")
    assert AuditEvent.objects.filter(action="export", object_type="evidence.synthesis").count() == 3
    other = cast.browser_for(cast.charlie)
    assert other.get(f"/evidence/syntheses/{saved.pk}/").status_code == 404


def test_it_shows_a_censored_tau2_bound_as_beyond_the_search_limit(cast: Cast):
    # Two studies far apart: the Q-profile upper bound for tau2 lies beyond metafor's search
    # limit max(100, 10 tau2). metafor prints it as "> limit"; it must never show as a number.
    rows = [
        {"key": "a", "label": "A 2001", "yi": 0.0, "vi": 0.04, "kind": "published", "n": 50},
        {"key": "b", "label": "B 2005", "yi": 30.0, "vi": 0.04, "kind": "published", "n": 50},
    ]
    saved = Synthesis.objects.create(
        clinic=cast.harbour, title="Far apart", study_keys=["a", "b"],
        options={"measure": "MD", "method": "DL", "test": "z", "clinic": ""}, result={},
        rows=rows, created_by=cast.rita,
    )  # fmt: skip
    expected = rma([0.0, 30.0], [0.04, 0.04], method="DL")
    assert expected.tau2_ci_ub_censored and expected.tau2_ci_limit is not None
    limit = f"{expected.tau2_ci_limit:g}"
    http = cast.browser_for(cast.rita)
    html = http.get(f"/evidence/syntheses/{saved.pk}/").content.decode()
    assert f"({expected.tau2_ci_lb:.4f} to &gt; {limit})" in html
    assert "beyond the Q-profile search limit" in html
    csv_text = http.get(f"/evidence/syntheses/{saved.pk}/results.csv").content.decode()
    stats = {r[0]: r[1] for r in csv.reader(io.StringIO(csv_text)) if len(r) == 2}
    assert stats["tau2_ci_ub"] == f"> {limit}"
    assert stats["tau2_ci_ub_censored"] == "True"
    assert stats["i2_ci_ub"] == ""
    assert float(stats["tau2_ci_lb"]) == pytest.approx(expected.tau2_ci_lb, rel=1e-12)
