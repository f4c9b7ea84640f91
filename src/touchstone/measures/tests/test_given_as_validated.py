"""Questionnaires given as validated (issue 10 §3): the authors' instructions and recall period
on every form, PHQ-15 scored for the client's sex, and every administration reachable from the
client's progress page with its answers, score, band, version and who gave it."""

from __future__ import annotations

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.actions import do_save_answers, do_start_administration
from touchstone.measures.models import Administration
from touchstone.measures.tests.factories import answered

GAD_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
PHQ15_STEM = "During the past 4 weeks, how much have you been bothered by any of the following"


def _start(cast: Cast, client, instrument_id: str, mode: str) -> tuple[HttpClient, int]:
    http = cast.browser_for(cast.tess)
    http.post(
        f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": instrument_id, "mode": mode}
    )
    return http, Administration.objects.latest("id").pk


@pytest.mark.parametrize("mode", ["clinic", "tablet"])
def test_the_clinic_and_tablet_forms_show_the_instructions_and_recall_period(cast: Cast, mode):
    http, pk = _start(cast, make_client(cast.harbour), "gad7", mode)
    page = http.get(f"/measures/administrations/{pk}/").content.decode()
    assert GAD_STEM in page and "Recall period: the last 2 weeks." in page
    assert "about the last two weeks" not in page  # no recall period of our own making


def test_the_private_link_form_shows_each_questionnaires_instructions(cast: Cast):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/links/new/",
        {"instrument_ids": ["gad7", "phq15"], "valid_days": "3"},
    )
    url = re.search(r'value="(http[^"]+/p/[^"]+)"', response.content.decode()).group(1)
    page = HttpClient().get(url.split("testserver", 1)[1]).content.decode()
    assert GAD_STEM in page and PHQ15_STEM in page
    assert "Recall period: the last 4 weeks." in page


def test_an_administration_records_the_definitions_version_and_language(cast: Cast):
    a = answered(make_client(cast.harbour), cast.tess, "gad7", [1] * 7)
    assert (a.instrument_version, a.language) == ("1.1.0", "en")


# --- PHQ-15 and the client's sex ----------------------------------------------------------

FOURTEEN = {f"phq15-{i}": "1" for i in range(1, 16) if i != 4}


def test_a_man_is_not_asked_phq15_item_4_and_gets_a_total(cast: Cast):
    client = make_client(cast.harbour, sex_at_birth="male")
    http, pk = _start(cast, client, "phq15", "clinic")
    form = http.get(f"/measures/administrations/{pk}/").content.decode()
    assert "Menstrual cramps" not in form and "Back pain" in form
    http.post(f"/measures/administrations/{pk}/", {**FOURTEEN, "finish": "1"})
    a = Administration.objects.get(pk=pk)
    assert (a.total, a.computable, a.severity) == (14, True, "medium")
    result = http.get(f"/measures/administrations/{pk}/result/").content.decode()
    assert '14 <span class="muted">of 28</span>' in result
    assert "not asked (does not apply)" in result


def test_a_woman_is_asked_item_4_and_needs_it(cast: Cast):
    client = make_client(cast.harbour, sex_at_birth="female")
    http, pk = _start(cast, client, "phq15", "clinic")
    assert "Menstrual cramps" in http.get(f"/measures/administrations/{pk}/").content.decode()
    http.post(f"/measures/administrations/{pk}/", {**FOURTEEN, "finish": "1"})
    a = Administration.objects.get(pk=pk)
    assert (a.total, a.computable) == (None, False)


def test_an_answer_to_item_4_for_a_man_is_refused_on_every_path(cast: Cast):
    client = make_client(cast.harbour, sex_at_birth="male")
    a = do_start_administration(actor_of(cast.tess), client, "phq15", "clinic")
    with pytest.raises(ValidationError, match="not asked"):
        do_save_answers(actor_of(cast.tess), a, {**FOURTEEN, "phq15-4": 1}, complete=True)
    a.refresh_from_db()
    assert a.status == "in_progress" and a.answers == {}
    out = io.StringIO()
    call_command("token", "tess", stdout=out)
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    response = api.post(
        f"/api/v1/clients/{client.pk}/administrations",
        {"instrument_id": "phq15", "answers": {**FOURTEEN, "phq15-4": 1}},
        content_type="application/json",
    )
    assert response.status_code == 422 and "not asked" in response.content.decode()


# --- every administration from the progress page ------------------------------------------


def test_every_administration_is_reachable_from_the_progress_page(cast: Cast):
    client = make_client(cast.harbour)
    done = answered(client, cast.tess, "phq9", [2, 2, 2, 2, 1, 1, 2, 0, 0])
    partial = answered(client, cast.bob, "gad7", [1, None, 1], complete=False)
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/progress/").content.decode()
    assert "Every questionnaire given" in page
    for a in (done, partial):
        assert f'href="/measures/administrations/{a.pk}/result/"' in page
    assert f"{cast.tess.display_name}</td>" in page and f"{cast.bob.display_name}</td>" in page
    result = cast.browser_for(cast.tess).get(f"/measures/administrations/{done.pk}/result/")
    body = result.content.decode()
    assert '12 <span class="muted">of 27</span>' in body and "moderate" in body
    assert "2 — More than half the days" in body  # the answer as the client saw it
    assert "PHQ-9 1.0.0, language en" in body
    assert f"Given by</dt><dd>{cast.tess.display_name}" in body
    assert "Over the last 2 weeks, how often have you been bothered by any of" in body


def test_the_front_desk_never_reads_answers_or_scores(cast: Cast):
    client = make_client(cast.harbour)
    done = answered(client, cast.tess, "phq9", [2, 2, 2, 2, 1, 1, 2, 0, 0])
    fiona = cast.browser_for(cast.fiona)
    assert fiona.get(f"/clients/{client.pk}/progress/").status_code == 403
    assert fiona.get(f"/measures/administrations/{done.pk}/result/").status_code == 403
    assert "Every questionnaire given" not in fiona.get(f"/clients/{client.pk}/").content.decode()


def test_a_portal_administration_says_who_sent_the_link(cast: Cast):
    client = make_client(cast.harbour)
    a = answered(client, cast.tess, "gad7", [0] * 7, mode="portal")
    assert a.given_by == f"{cast.tess.display_name}, by private link"
