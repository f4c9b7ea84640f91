"""Pathways for the article's populations (issue 15 §2): postpartum (EPDS, item 10 on every
channel), perimenopause/menopause (MRS, ISI, sleep diary), sleep (ISI with the diary), the
alliance (WAI-SR after the third visit), and outcomes filtered by population."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.care.plans import pathway_suggestions
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.measures.models import Administration, RiskAlert
from touchstone.measures.tests.factories import answered
from touchstone.measures.tests.test_every_instrument import enter_text
from touchstone.outcomes import summaries
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.outcomes.tests.factories import build_outcomes
from touchstone.physiology.tests.factories import make_sleep_night

#: EPDS answered 0 everywhere but item 10 ("the thought of harming myself"): a risk.
EPDS_ITEM_10 = {**{f"epds-{i}": 0 for i in range(1, 10)}, "epds-10": 2}


def postpartum_client(cast: Cast, weeks: int) -> Client:
    today = timezone.localdate()
    return make_client(
        cast.harbour,
        sex_at_birth="female",
        pregnancy_status="postpartum",
        delivery_date=today - dt.timedelta(weeks=weeks),
    )


# --- suggestions ----------------------------------------------------------------------------


def test_a_recent_delivery_suggests_the_epds_and_a_year_on_it_does_not():
    assert [
        s.instrument_id for s in pathway_suggestions(weeks_postpartum=6, menopause_status="")
    ] == ["epds"]
    assert pathway_suggestions(weeks_postpartum=60, menopause_status="") == []
    menopause = pathway_suggestions(weeks_postpartum=None, menopause_status="peri")
    assert [s.instrument_id for s in menopause] == ["mrs", "isi", None]  # None: the sleep diary
    assert "subscales" in menopause[0].reason


def test_the_new_episode_form_suggests_epds_for_a_postpartum_client(cast: Cast):
    client = postpartum_client(cast, 6)
    http = cast.browser_for(cast.bob)
    page = http.get(f"/clients/{client.pk}/episodes/new/").content.decode()
    assert "Delivered 6 weeks ago" in page and "enters its text first" in page
    enter_text(cast, "epds")
    page = http.get(f"/clients/{client.pk}/episodes/new/").content.decode()
    assert "enters its text first" not in page
    assert re.search(r'name="plan_intake" value="epds"[^>]*checked', page)
    later = postpartum_client(cast, 70)
    assert "Delivered" not in http.get(f"/clients/{later.pk}/episodes/new/").content.decode()


def test_the_new_episode_form_suggests_mrs_isi_and_the_diary_in_the_menopause(cast: Cast):
    client = make_client(cast.harbour, sex_at_birth="female", menopause_status="peri")
    for instrument_id in ("mrs", "isi"):
        enter_text(cast, instrument_id)
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/episodes/new/").content.decode()
    assert "Menopause Rating Scale" in page and "Sleep diary" in page
    assert re.search(r'name="plan_intake" value="mrs"[^>]*checked', page)
    assert re.search(r'name="plan_intake" value="isi"[^>]*checked', page)


# --- EPDS item 10 on every channel ------------------------------------------------------------


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


@pytest.mark.parametrize("channel", ["clinic", "tablet", "portal", "api"])
def test_epds_item_10_raises_a_risk_alert_on_every_channel(cast: Cast, channel: str):
    enter_text(cast, "epds")
    client = postpartum_client(cast, 8)
    http = cast.browser_for(cast.tess)
    answers = {k: str(v) for k, v in EPDS_ITEM_10.items()}
    if channel == "api":
        response = _api("tess").post(
            f"/api/v1/clients/{client.pk}/administrations",
            {"instrument_id": "epds", "answers": EPDS_ITEM_10},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        shown = ""
    elif channel == "portal":
        created = http.post(
            f"/clients/{client.pk}/links/new/", {"instrument_ids": ["epds"], "valid_days": 3}
        ).content.decode()
        url = re.search(r'value="http://testserver(/p/[^"]+)"', created).group(1)
        a = Administration.objects.latest("id")
        shown = (
            HttpClient()
            .post(url, {**{f"a{a.pk}-{k}": v for k, v in answers.items()}, "finish": "1"})
            .content.decode()
        )
    else:
        http.post(
            f"/clients/{client.pk}/questionnaires/new/", {"instrument_id": "epds", "mode": channel}
        )
        a = Administration.objects.latest("id")
        shown = http.post(
            f"/measures/administrations/{a.pk}/", {**answers, "finish": "1"}
        ).content.decode()
    alert = RiskAlert.objects.get()
    assert (alert.item, alert.reason, alert.is_open) == ("epds-10", "risk_item", True)
    assert alert.administration.total == 2  # a low total does not hide the risk item
    if channel in ("tablet", "portal"):  # the client holds the screen: crisis resources now
        assert "988" in shown


# --- the progress report shows the EPDS with its cut-offs; ISI beside the sleep diary ---------


def test_the_progress_page_and_report_show_the_epds_with_its_published_cut_offs(cast: Cast):
    enter_text(cast, "epds")
    client = postpartum_client(cast, 10)
    make_episode(cast.harbour, client, started_on=timezone.localdate() - dt.timedelta(days=7))
    answered(client, cast.tess, "epds", [1] * 10)
    http = cast.browser_for(cast.bob)
    for url in (f"/clients/{client.pk}/progress/", f"/clients/{client.pk}/reports/progress/"):
        page = http.get(url).content.decode()
        assert "10–12 possible depression" in page, url
        assert (
            "13–30 probable depression" in page
            and "Matthey 2004" in page
            and "[Matthey-2004]" not in page
        )


def test_the_isi_is_trended_on_the_time_line_beside_sleep_efficiency(cast: Cast):
    client = make_client(cast.harbour)
    make_sleep_night(cast.harbour, client)
    answered(client, cast.tess, "isi", [2] * 7, mode="api")
    page = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/progress/").content.decode()
    assert '"panel": "ISI"' in page and '"panel": "Sleep efficiency (%)"' in page


def test_mrs_result_shows_its_three_subscales(cast: Cast):
    enter_text(cast, "mrs")
    client = make_client(cast.harbour, sex_at_birth="female", menopause_status="peri")
    a = answered(client, cast.tess, "mrs", [1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 1])
    page = cast.browser_for(cast.bob).get(f"/measures/administrations/{a.pk}/result/")
    body = page.content.decode()
    assert a.result["subscales"] == {"somatic": 4, "psychological": 8, "urogenital": 9}
    for label in ("omatic", "sychological", "rogenital"):
        assert label in body


# --- the alliance after the third visit ------------------------------------------------------


def test_the_wai_sr_falls_due_after_the_third_visit_once_its_text_is_entered(cast: Cast):
    today = timezone.localdate()
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client, started_on=today - dt.timedelta(weeks=4))
    for weeks in (3, 2):
        make_visit(cast.harbour, client, episode=episode,
                   starts_at=timezone.now() - dt.timedelta(weeks=weeks))  # fmt: skip
    make_visit(cast.harbour, client, episode=episode, status="scheduled")  # today's

    def due() -> set[tuple[str, str]]:
        return {
            (d.instrument_id, d.reason) for d in summaries.questionnaires_due(cast.bob, today).items
        }

    enter_text(cast, "waisr")
    assert ("waisr", "alliance") not in due()  # two visits done
    make_visit(cast.harbour, client, episode=episode,
               starts_at=timezone.now() - dt.timedelta(weeks=1))  # fmt: skip
    assert ("waisr", "alliance") in due()  # three done: due at today's visit
    answered(client, cast.tess, "waisr", [4] * 12)
    assert ("waisr", "alliance") not in due()  # once per episode


def test_the_owner_sets_after_how_many_visits_the_wai_sr_falls_due(cast: Cast):
    today = timezone.localdate()
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client, started_on=today - dt.timedelta(weeks=4))
    make_visit(cast.harbour, client, episode=episode,
               starts_at=timezone.now() - dt.timedelta(weeks=2))  # fmt: skip
    make_visit(cast.harbour, client, episode=episode, status="scheduled")  # today's
    enter_text(cast, "waisr")

    def due() -> set[tuple[str, str]]:
        cast.bob.clinic.refresh_from_db()
        return {
            (d.instrument_id, d.reason) for d in summaries.questionnaires_due(cast.bob, today).items
        }

    assert cast.harbour.alliance_after_visits == 3 and ("waisr", "alliance") not in due()
    form = {"name": "Harbour Massage", "time_zone": cast.harbour.time_zone,
            "crisis_line": "988", "emergency_number": "911"}  # fmt: skip
    http = cast.browser_for(cast.alice)
    refused = http.post("/accounts/clinic/", {**form, "alliance_after_visits": "0"})
    assert refused.status_code == 200 and b"greater than or equal to 1" in refused.content
    http.post("/accounts/clinic/", {**form, "alliance_after_visits": "1"})
    assert ("waisr", "alliance") in due()  # one visit done: due at today's visit


def test_without_its_text_the_wai_sr_is_not_made_due(cast: Cast):
    today = timezone.localdate()
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client, started_on=today - dt.timedelta(weeks=5))
    for weeks in (4, 3, 2, 0):
        make_visit(cast.harbour, client, episode=episode,
                   starts_at=timezone.now() - dt.timedelta(weeks=weeks))  # fmt: skip
    due = summaries.questionnaires_due(cast.bob, today).items
    assert not [d for d in due if d.instrument_id == "waisr"]


# --- outcomes by population ------------------------------------------------------------------


def test_outcomes_filter_by_population_with_small_cells_hidden(cast: Cast):
    data = build_outcomes(cast.harbour, [cast.tess], 40)
    ids = [d.client_id for d in data]
    starts = {d.client_id: d.started_on for d in data}
    for cid in ids[:20]:  # delivered a month before their episode started
        Client.objects.filter(pk=cid).update(
            sex_at_birth="female", pregnancy_status="postpartum",
            delivery_date=starts[cid] - dt.timedelta(days=30),
        )  # fmt: skip
    for cid in ids[20:24]:  # delivered more than a year before
        Client.objects.filter(pk=cid).update(
            sex_at_birth="female", pregnancy_status="postpartum",
            delivery_date=starts[cid] - dt.timedelta(days=400),
        )  # fmt: skip
    Client.objects.filter(pk__in=ids[30:35]).update(sex_at_birth="female", menopause_status="peri")
    postpartum = clinic_outcomes(
        cast.harbour, OutcomeFilters(population="postpartum"), deidentified=True
    )
    assert postpartum.n_episodes == 20
    menopause = clinic_outcomes(
        cast.harbour, OutcomeFilters(population="perimenopause"), deidentified=True
    )
    assert menopause.n_episodes is None  # five episodes: hidden, never shown as 5
    http = cast.browser_for(cast.alice)
    page = http.get("/outcomes/details/?population=postpartum").content.decode()
    assert "20 episodes in scope" in page and "population: postpartum" in page
    assert "counts of 1 to 10 hidden" in page
    small = http.get("/outcomes/details/?population=perimenopause").content.decode()
    assert "5 episodes" not in small
    csv_text = http.get("/outcomes/export.csv?population=postpartum").content.decode()
    assert "population=postpartum" in csv_text and "de-identified" in csv_text
    research = cast.browser_for(cast.rita).get("/outcomes/research/?population=postpartum")
    assert "20 episodes in scope" in research.content.decode()
