"""The evidence library: seeding, UNVERIFIED marks and critiques, the owner's form, syntheses
that equal the science core's rma, saved syntheses with CSV and SVG exports."""

from __future__ import annotations

import csv
import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as django_apps

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of
from touchstone.evidence.actions import do_seed_library
from touchstone.evidence.models import Study, Synthesis
from touchstone.evidence.selectors import shipped_studies
from touchstone.evidence.tests.factories import make_study, make_synthesis
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.science.meta.effects import smd
from touchstone.science.meta.models import rma

migration = importlib.import_module(
    "touchstone.evidence.migrations.0002_effect_domain_scale_design"
)

pytestmark = pytest.mark.django_db


def test_it_seeds_the_shipped_studies_once_per_clinic(cast: Cast):
    assert do_seed_library(actor_of(cast.alice), cast.harbour) == len(shipped_studies())
    assert do_seed_library(actor_of(cast.alice), cast.harbour) == 0
    assert Study.objects.filter(clinic=cast.harbour, shipped=True).count() == len(shipped_studies())
    assert not Study.objects.filter(clinic=cast.northside).exists()


def test_it_lets_every_role_read_the_library_with_unverified_marks(cast: Cast):
    for member in (cast.alice, cast.bob, cast.tess, cast.fiona, cast.rita):
        assert cast.browser_for(member).get("/evidence/").status_code == 200
    http = cast.browser_for(cast.rita)
    rapaport = Study.objects.get(clinic=cast.harbour, key="rapaport2016")
    html = http.get(f"/evidence/studies/{rapaport.pk}/").content.decode()
    assert "UNVERIFIED in the source notes: DOI, Per-arm sizes" in html
    field2012 = Study.objects.get(clinic=cast.harbour, key="field2012")
    html = http.get(f"/evidence/studies/{field2012.pk}/").content.decode()
    assert "UNVERIFIED in the source notes" not in html  # journal, DOI, year read since
    assert "10.1016/j.jbmt.2011.08.002" in html


def test_it_shows_critiques_next_to_the_claims(cast: Cast):
    do_seed_library(actor_of(cast.alice), cast.harbour)
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
        "effect_domain": "depression",
        "scale": "PHQ-9",
        "effect_design": "controlled",
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
        ({"effect_domain": ""}, "effect_domain", "Say which outcome domain"),
        ({"effect_domain": "cost"}, "effect_domain", "Cost is not an outcome"),
        ({"scale": ""}, "scale", "Name the instrument or scale"),
        ({"measure": "MD", "scale": "various"}, "scale", "name it"),
        ({"effect_design": ""}, "effect_design", "controlled, pre-post or a summary"),
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


def _two_depression_trials(clinic: Any) -> tuple[Study, Study]:
    """Two controlled depression SMDs on different instruments: poolable."""
    a = make_study(
        clinic,
        key="doe2019",
        citation="Doe J. Trial A.",
        year=2019,
        scale="BDI",
        yi=0.42,
        vi=0.05,
        n=60,
    )
    b = make_study(clinic, key="roe2021", citation="Roe R. Trial B.", year=2021,
                   scale="CES-D", yi=0.18, vi=0.03, n=90)  # fmt: skip
    return a, b


def test_it_pools_studies_exactly_as_the_science_core(cast: Cast):
    a, b = _two_depression_trials(cast.harbour)
    http = cast.browser_for(cast.tess)
    response = _synthesize(http, studies=["doe2019", "roe2021"], method="DL", test="knha")
    run = response.context["run"]
    expected = rma([a.yi, b.yi], [a.vi, b.vi], method="DL", test="knha")
    assert run.result.to_dict() == expected.to_dict()
    html = response.content.decode()
    assert "<svg" in html and "Forest plot" in html and "Funnel plot" in html
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    mixed = _synthesize(http, studies=["hou2010", "rapaport2016"])
    assert "Not on the SMD scale: Rapaport 2016" in mixed.content.decode()
    one = _synthesize(http, studies=["doe2019"])
    assert "Choose at least two studies" in one.content.decode()


def test_it_pools_the_shipped_depression_trials_on_the_page_as_metafor(cast: Cast):
    # Poland 2013 (PMC3627430 Table 2) and Chompoopan 2024 (abstract): HAM-D mean differences;
    # metafor 3.8.1 reference printed by science/meta/tests/fixtures/make_library_fixtures.R
    fixtures = Path(__file__).resolve().parents[2] / "science" / "meta" / "tests" / "fixtures"
    ref = json.loads((fixtures / "metafor_3_8_1_library.json").read_text())
    do_seed_library(actor_of(cast.alice), cast.harbour)
    response = _synthesize(
        cast.browser_for(cast.tess), studies=["poland2013", "chompoopan2024"], measure="MD"
    )
    run = response.context["run"]
    reml = ref["depression_hamd_md"]["REML"]
    got = run.result.to_dict()
    assert got["k"] == 2
    assert (got["estimate"], got["ci_lb"], got["ci_ub"]) == pytest.approx(
        (reml["estimate"], reml["ci_lb"], reml["ci_ub"]), rel=1e-9
    )
    assert "Poland 2013" in response.content.decode()


def _refusal(response: Any) -> str:
    assert response.status_code == 200
    assert "run" not in response.context
    return " ".join(response.context["form"].errors.get("studies", []))


def test_it_refuses_anxiety_points_with_sleep_points_and_stores_nothing(cast: Cast):
    # issue 10: HAM-A points (Rapaport 2016) and PSQI points (Ko 2014) were pooled to -3.915
    do_seed_library(actor_of(cast.alice), cast.harbour)
    response = _synthesize(
        cast.browser_for(cast.alice),
        studies=["rapaport2016", "ko2014"],
        measure="MD",
        title="Mixed",
        save="1",
    )
    message = _refusal(response)
    assert (
        "Different outcome domains cannot be pooled: anxiety: Rapaport 2016; sleep: Ko 2014."
        in (message)
    )
    assert "Mean differences on different scales cannot be pooled" in message
    assert "HAM-A: Rapaport 2016; PSQI: Ko 2014" in message
    assert "-3.915" not in response.content.decode()
    assert not Synthesis.objects.exists()
    assert not AuditEvent.objects.filter(object_type="evidence.synthesis").exists()


def test_it_refuses_a_meta_analytic_summary_with_trials(cast: Cast):
    do_seed_library(actor_of(cast.alice), cast.harbour)
    _two_depression_trials(cast.harbour)
    message = _refusal(_synthesize(cast.browser_for(cast.tess), studies=["hou2010", "doe2019"]))
    assert "meta-analytic summaries cannot be pooled together" in message
    assert "controlled between-group effect: Doe 2019" in message
    assert "meta-analytic summary: Hou 2010" in message
    assert not Synthesis.objects.exists()


def test_it_refuses_mean_differences_on_different_instruments_of_one_domain(cast: Cast):
    make_study(
        cast.harbour,
        key="a2001",
        citation="A. X.",
        year=2001,
        domain="anxiety",
        effect_domain="anxiety",
        measure="MD",
        scale="HAM-A",
        yi=-3.0,
        vi=2.0,
    )
    make_study(cast.harbour, key="b2005", citation="B. Y.", year=2005, domain="anxiety",
               effect_domain="anxiety", measure="MD", scale="STAI-S", yi=-5.0, vi=4.0)  # fmt: skip
    message = _refusal(
        _synthesize(cast.browser_for(cast.tess), studies=["a2001", "b2005"], measure="MD")
    )
    assert "Mean differences on different scales cannot be pooled" in message
    assert "HAM-A: A 2001; STAI-S: B 2005" in message


def test_it_shows_the_clinic_estimate_beside_the_pooled_one_never_inside(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 30)
    a, b = _two_depression_trials(cast.harbour)
    http = cast.browser_for(cast.alice)
    response = _synthesize(http, studies=["doe2019", "roe2021"], clinic="phq9")
    run = response.context["run"]
    effect = (
        clinic_outcomes(cast.harbour, OutcomeFilters(instrument_ids=("phq9",)))
        .instrument("phq9")
        .effect
    )
    # the model is the two trials only, exactly
    expected = rma([a.yi, b.yi], [a.vi, b.vi], method="REML")
    assert run.result.to_dict() == expected.to_dict()
    assert run.result.k == 2
    assert [r["key"] for r in run.rows] == ["doe2019", "roe2021"]
    (own,) = run.practice
    assert own["kind"] == "practice" and own["design"] == "pre_post"
    assert own["label"].startswith("Practice-based study (this clinic)")
    assert (own["yi"], own["vi"]) == (effect.g, effect.variance)
    html = response.content.decode()
    assert "Beside the pooled estimate, not pooled: uncontrolled practice-based data" in html
    assert 'class="not-pooled"' in html
    # saved and re-run: still beside, never pooled
    _synthesize(http, studies=["doe2019", "roe2021"], clinic="phq9", save="1")
    saved = Synthesis.objects.get(clinic=cast.harbour)
    assert saved.result["k"] == 2
    assert saved.result["estimate"] == pytest.approx(expected.estimate, abs=1e-12)
    page = http.get(f"/evidence/syntheses/{saved.pk}/")
    assert page.context["run"].result.to_dict() == expected.to_dict()
    rows = list(csv.reader(io.StringIO(http.get(f"/evidence/syntheses/{saved.pk}/results.csv")
                                       .content.decode())))  # fmt: skip
    practice = [r for r in rows if len(r) > 3 and r[2] == "practice"]
    assert len(practice) == 1 and practice[0][3] == "no"


def test_it_refuses_the_clinic_estimate_beside_another_domain(cast: Cast):
    build_outcomes(cast.harbour, [cast.tess], 30)
    _two_depression_trials(cast.harbour)
    response = _synthesize(
        cast.browser_for(cast.alice), studies=["doe2019", "roe2021"], clinic="gad7"
    )
    errors = response.context["form"].errors["clinic"]
    assert any("measures anxiety; the chosen studies measure depression" in e for e in errors)
    assert "run" not in response.context


def test_it_adds_no_clinic_estimate_resting_on_fewer_than_11_episodes(cast: Cast):
    # Every role reads the library and saved syntheses (researchers, front desk): a pre-post
    # effect of a handful of episodes would give individual clients' changes away.
    build_outcomes(cast.harbour, [cast.tess], 4)
    _two_depression_trials(cast.harbour)
    for member in (cast.rita, cast.alice):
        response = _synthesize(
            cast.browser_for(member), studies=["doe2019", "roe2021"], clinic="phq9"
        )
        assert "too few pre-post scores" in response.content.decode()
        assert "run" not in response.context


def test_it_saves_a_synthesis_and_exports_csv_and_svg(cast: Cast):
    _two_depression_trials(cast.harbour)
    http = cast.browser_for(cast.rita)
    response = _synthesize(
        http, studies=["doe2019", "roe2021"], method="PM", title="Depression trials", save="1"
    )
    saved = Synthesis.objects.get(clinic=cast.harbour)
    assert response.status_code == 302
    assert (saved.title, saved.study_keys, saved.created_by) == (
        "Depression trials", ["doe2019", "roe2021"], cast.rita,
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


def _old_mixed_synthesis(clinic: Any) -> Synthesis:
    """As saved before the rules: HAM-A and PSQI points and the clinic's pre-post together."""
    synthesis = make_synthesis(clinic)
    synthesis.rows = [
        {"key": "rapaport2016", "label": "Rapaport 2016", "yi": -3.26, "vi": 2.2082,
         "kind": "published", "n": 47},
        {"key": "ko2014", "label": "Ko 2014", "yi": -3.97, "vi": 0.1849, "kind": "published",
         "n": 60},
        {"key": "clinic-phq9", "label": "Practice-based study (this clinic), PHQ9 pre-post",
         "yi": 0.9, "vi": 0.02, "kind": "practice", "n": 30},
    ]  # fmt: skip
    synthesis.options = {"measure": "MD", "method": "REML", "test": "z", "clinic": "phq9"}
    synthesis.save(update_fields=["rows", "options"])
    return synthesis


def test_it_tags_old_studies_and_syntheses_and_then_shows_mixed_ones_refused(cast: Cast):
    do_seed_library(actor_of(cast.alice), cast.harbour)
    rap = Study.objects.get(clinic=cast.harbour, key="rapaport2016")
    Study.objects.filter(pk=rap.pk).update(effect_domain="", scale="", effect_design="")
    own = make_study(cast.harbour, key="doe2021", design="RCT, massage vs waitlist",
                     outcome="PHQ-9", effect_domain="", scale="", effect_design="")  # fmt: skip
    vague = make_study(cast.harbour, key="zed2020", design="Case series", outcome="BDI",
                       effect_domain="", scale="", effect_design="")  # fmt: skip
    saved = _old_mixed_synthesis(cast.harbour)
    untagged = _old_mixed_synthesis(cast.harbour)
    http = cast.browser_for(cast.rita)
    # before the data migration, rows without tags are refused, not pooled
    before = http.get(f"/evidence/syntheses/{untagged.pk}/")
    assert "lack an outcome domain" in before.context["refused"]

    migration.tag_studies(django_apps, None)
    migration.tag_syntheses(django_apps, None)

    rap.refresh_from_db()
    assert (rap.effect_domain, rap.scale, rap.effect_design) == ("anxiety", "HAM-A", "controlled")
    own.refresh_from_db()
    assert (own.effect_domain, own.scale, own.effect_design) == (
        "depression",
        "PHQ-9",
        "controlled",
    )
    vague.refresh_from_db()
    assert vague.effect_design == "" and not vague.poolable  # not guessed
    saved.refresh_from_db()
    assert [r["domain"] for r in saved.rows] == ["anxiety", "sleep", "depression"]
    page = http.get(f"/evidence/syntheses/{saved.pk}/")
    assert page.status_code == 200 and "run" not in page.context
    html = page.content.decode()
    assert "These studies cannot be pooled" in html
    assert "anxiety: Rapaport 2016; sleep: Ko 2014" in html
    for suffix in ("results.csv", "forest.svg", "funnel.svg"):
        refused = http.get(f"/evidence/syntheses/{saved.pk}/{suffix}")
        assert refused.status_code == 409
        assert b"cannot be pooled" in refused.content


def test_it_brings_shipped_effect_data_up_to_the_shipped_file(cast: Cast):
    do_seed_library(actor_of(cast.alice), cast.harbour)
    ko = Study.objects.get(clinic=cast.harbour, key="ko2014")
    Study.objects.filter(pk=ko.pk).update(scale="", effect_design="", vi=9.9)
    # a copy seeded before Field 2012's journal, DOI and year were read (then UNVERIFIED)
    field = Study.objects.get(clinic=cast.harbour, key="field2012")
    Study.objects.filter(pk=field.pk).update(
        citation="Field T. Yoga and massage therapy.", doi="", year=None,
        unverified=["journal", "doi", "year"],
    )  # fmt: skip
    mine = make_study(cast.harbour, key="doe2021", scale="BDI")
    assert do_seed_library(actor_of(cast.alice), cast.harbour) == 2
    ko.refresh_from_db()
    assert (ko.scale, ko.effect_design, ko.vi) == ("PSQI", "controlled", 0.1849)
    field.refresh_from_db()
    assert (field.doi, field.year, field.unverified) == ("10.1016/j.jbmt.2011.08.002", 2012, [])
    assert "J Bodyw Mov Ther 2012;16(2):204-209" in field.citation
    mine.refresh_from_db()
    assert mine.scale == "BDI"  # an owner's own study is never touched
    assert AuditEvent.objects.filter(action="update", object_type="evidence.study").exists()
    assert do_seed_library(actor_of(cast.alice), cast.harbour) == 0


def test_it_shows_a_censored_tau2_bound_as_beyond_the_search_limit(cast: Cast):
    # Two studies far apart: the Q-profile upper bound for tau2 lies beyond metafor's search
    # limit max(100, 10 tau2). metafor prints it as "> limit"; it must never show as a number.
    rows = [
        {
            "key": "a",
            "label": "A 2001",
            "yi": 0.0,
            "vi": 0.04,
            "kind": "published",
            "n": 50,
            "domain": "anxiety",
            "scale": "HAM-A",
            "design": "controlled",
            "measure": "MD",
        },
        {
            "key": "b",
            "label": "B 2005",
            "yi": 30.0,
            "vi": 0.04,
            "kind": "published",
            "n": 50,
            "domain": "anxiety",
            "scale": "HAM-A",
            "design": "controlled",
            "measure": "MD",
        },
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


def test_its_results_csv_never_hands_a_spreadsheet_a_formula(cast: Cast):
    """A study labelled ``=HYPERLINK(…)`` is text in the CSV, not a formula (issue 11 §3)."""
    make_study(cast.harbour, key="1st", citation='=HYPERLINK("http://x.test") Doe', year=2019,
               scale="BDI", yi=-0.42, vi=0.05, n=60)  # fmt: skip
    make_study(cast.harbour, key="roe2021", citation="Roe R. Trial B.", year=2021,
               scale="CES-D", yi=0.18, vi=0.03, n=90)  # fmt: skip
    http = cast.browser_for(cast.rita)
    _synthesize(http, studies=["1st", "roe2021"], save="1", title="@risky")
    saved = Synthesis.objects.get(clinic=cast.harbour)
    text = http.get(f"/evidence/syntheses/{saved.pk}/results.csv").content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    labels = [r[1] for r in rows[1:3]]
    assert labels[0].startswith("'=HYPERLINK")
    assert float(rows[1][7]) == -0.42  # numbers keep their sign
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "@")]
