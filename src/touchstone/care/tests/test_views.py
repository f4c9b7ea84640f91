"""The care pages as staff use them: intake, medications, screens, episodes, diagnoses,
visits with the body map, adverse events; roles, audit and the contraindication banner."""

from __future__ import annotations

from typing import Any

import pytest

from touchstone.audit.models import AuditEvent
from touchstone.care.models import (
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    Medication,
    Visit,
)
from touchstone.care.tests.factories import (
    make_adverse_event,
    make_episode,
    make_medication,
    make_visit,
)
from touchstone.conftest import Cast, make_client


def _visit_post(cast: Cast, **extra: Any) -> dict[str, Any]:
    data = {
        "starts_at": "2025-03-04T10:00",
        "duration_min": "60",
        "status": "completed",
        "therapist": str(cast.tess.pk),
        "modality": "swedish",
        "pressure": "moderate",
        "subjective": "Neck tight after a hard week.",
        "tension_before": "7",
        "tension_after": "3",
    }
    data.update(extra)
    return data


# Intake and medications -------------------------------------------------------------------


def test_it_saves_the_intake_and_keeps_its_versions(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    url = f"/clients/{client.pk}/intake/edit/"
    response = http.post(url, {"presenting_concerns": "Low mood", "ed_visits_6m": "1"})
    assert response.status_code == 302
    http.post(url, {"presenting_concerns": "Low mood, poor sleep", "ed_visits_6m": "1"})
    intake = Intake.objects.get(client=client)
    assert intake.presenting_concerns == "Low mood, poor sleep"
    assert intake.history.count() == 2
    assert AuditEvent.objects.filter(object_type="care.intake", action="update").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"referrer_npi": "1234567890"}, "referrer_npi", "not a valid NPI"),
        ({"ed_visits_6m": "-1"}, "ed_visits_6m", "greater than or equal to 0"),
        ({"primary_care_visits_6m": "x"}, "primary_care_visits_6m", "whole number"),
    ],
)
def test_it_refuses_a_bad_intake_next_to_the_field(cast: Cast, data, field, message):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(f"/clients/{client.pk}/intake/edit/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Intake.objects.exists()


def test_it_keeps_the_history_of_a_medication_change(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.bob)
    http.post(
        f"/clients/{client.pk}/medications/new/",
        {"name": "Sertraline", "drug_class": "ssri", "dose": "50 mg"},
    )
    medication = Medication.objects.get(client=client)
    assert medication.is_psychotropic
    http.post(
        f"/care/medications/{medication.pk}/edit/",
        {"name": "Sertraline", "drug_class": "ssri", "dose": "100 mg"},
    )
    page = http.get(f"/care/medications/{medication.pk}/history/")
    assert b"50 mg" in page.content and b"100 mg" in page.content
    assert medication.history.count() == 2


def test_it_refuses_a_stop_date_before_the_start(cast: Cast):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/medications/new/",
        {
            "name": "Warfarin",
            "drug_class": "anticoagulant",
            "started_on": "2025-02-01",
            "stopped_on": "2025-01-01",
        },
    )
    assert "before the start date" in " ".join(response.context["form"].errors["stopped_on"])
    assert not Medication.objects.exists()


# Contraindication screen and banner ---------------------------------------------------------


def test_it_computes_the_screen_result_and_shows_it_on_the_client_pages(cast: Cast):
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    assert b"Not yet screened" in http.get(f"/clients/{client.pk}/").content
    http.post(
        f"/clients/{client.pk}/screen/new/",
        {"items": ["dvt", "skin"], "precautions": "Avoid the rash"},
    )
    screen = ContraindicationScreen.objects.get(client=client)
    assert screen.result == "clearance"
    for url in (
        f"/clients/{client.pk}/",
        f"/clients/{client.pk}/intake/",
        f"/clients/{client.pk}/edit/",
    ):
        assert b"Needs medical clearance" in http.get(url).content, url


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"items": ["skin"]}, "precautions", "Write what the precautions are"),
        (
            {"items": ["pregnancy"], "precautions": "side-lying"},
            "pregnancy_trimester",
            "Choose the trimester",
        ),
        ({"items": [], "pregnancy_trimester": "2"}, "pregnancy_trimester", "needs the pregnancy"),
        ({"items": ["other"], "precautions": "x"}, "other_text", "Describe the other"),
        ({"items": ["gills"]}, "items", "valid choice"),
    ],
)
def test_it_refuses_an_incomplete_screen(cast: Cast, data, field, message):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(f"/clients/{client.pk}/screen/new/", data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ContraindicationScreen.objects.exists()


def test_it_cannot_lower_a_screen_result_by_hand(cast: Cast):
    client = make_client(cast.harbour)
    screen = ContraindicationScreen(
        clinic=cast.harbour, client=client, screened_by=cast.tess, items=["fever"]
    )
    screen.result = "clear"
    screen.save()
    screen.refresh_from_db()
    assert screen.result == "clearance"


def test_it_shows_the_front_desk_the_result_but_not_the_details(cast: Cast):
    client = make_client(cast.harbour)
    ContraindicationScreen.objects.create(
        clinic=cast.harbour,
        client=client,
        screened_by=cast.tess,
        items=["skin"],
        precautions="Avoid the left forearm",
    )
    page = cast.browser_for(cast.fiona).get(f"/clients/{client.pk}/").content
    assert b"Precautions" in page and b"left forearm" not in page
    assert b"left forearm" in cast.browser_for(cast.tess).get(f"/clients/{client.pk}/").content


# Episodes and diagnoses -----------------------------------------------------------------------


def test_it_opens_an_episode_with_a_measurement_plan(cast: Cast):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/episodes/new/",
        {
            "title": "Anxiety and shoulder tension",
            "started_on": "2025-01-06",
            "frequency_count": "1",
            "frequency_unit": "week",
            "plan_intake": ["phq9", "gad7"],
            "plan_periodic": ["phq9", "gad7"],
            "plan_every_weeks": "2",
            "plan_each_visit": ["phq2"],
        },
    )
    episode = Episode.objects.get(client=client)
    assert response["Location"] == f"/care/episodes/{episode.pk}/"
    assert episode.plan_intake == ["phq9", "gad7"]
    assert AuditEvent.objects.filter(object_type="care.episode", action="create").exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ended_on": "2025-01-01"}, "ended_on", "before the start date"),
        ({"plan_periodic": ["phq9"]}, "plan_every_weeks", "every how many weeks"),
        ({"plan_intake": ["nope"]}, "plan_intake", "valid choice"),
        ({"title": " "}, "title", "required"),
    ],
)
def test_it_refuses_a_bad_episode(cast: Cast, data, field, message):
    client = make_client(cast.harbour)
    post = {"title": "Episode", "started_on": "2025-01-06", "frequency_unit": "week", **data}
    response = cast.browser_for(cast.tess).post(f"/clients/{client.pk}/episodes/new/", post)
    assert message in " ".join(response.context["form"].errors[field])
    assert not Episode.objects.exists()


def test_it_lets_only_the_clinician_enter_and_see_diagnoses(cast: Cast):
    episode = make_episode(cast.harbour)
    url = f"/care/episodes/{episode.pk}/diagnoses/new/"
    assert (
        cast.browser_for(cast.tess).post(url, {"code": "F41.1", "source": "clinic"}).status_code
        == 403
    )
    response = cast.browser_for(cast.bob).post(url, {"code": "f411", "source": "referring"})
    assert response.status_code == 302
    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.code, diagnosis.entered_by) == ("F41.1", cast.bob)
    assert (
        b"Generalized anxiety disorder"
        in cast.browser_for(cast.bob).get(f"/care/episodes/{episode.pk}/").content
    )
    for member in (cast.tess, cast.alice):
        page = cast.browser_for(member).get(f"/care/episodes/{episode.pk}/").content
        assert b"F41.1" not in page and b"Generalized anxiety" not in page
    assert b"F41.1" not in cast.browser_for(cast.tess).get(f"/clients/{episode.client_id}/").content


def test_it_refuses_a_code_that_is_not_on_the_list(cast: Cast):
    episode = make_episode(cast.harbour)
    response = cast.browser_for(cast.bob).post(
        f"/care/episodes/{episode.pk}/diagnoses/new/", {"code": "Z99.9", "source": "clinic"}
    )
    assert "not in the list" in " ".join(response.context["form"].errors["code"])
    assert not Diagnosis.objects.exists()


# Visits ---------------------------------------------------------------------------------------


def test_it_records_a_visit_with_a_body_map_from_plain_selects(cast: Cast):
    """Without JavaScript the body map is one select per region."""
    client = make_client(cast.harbour)
    http = cast.browser_for(cast.tess)
    form_page = http.get(f"/clients/{client.pk}/visits/new/").content
    assert b'name="region_shoulder_l"' in form_page and b"data-bodymap" in form_page
    response = http.post(
        f"/clients/{client.pk}/visits/new/",
        _visit_post(cast, region_shoulder_l="2", region_neck_back="3", region_jaw="0"),
    )
    visit = Visit.objects.get(client=client)
    assert response["Location"] == f"/care/visits/{visit.pk}/"
    assert visit.body_map == {"shoulder_l": 2, "neck_back": 3}
    assert visit.starts_at.tzinfo is not None
    detail = http.get(f"/care/visits/{visit.pk}/").content.decode()
    assert "Left shoulder</td><td>2 of 3" in detail
    assert AuditEvent.objects.filter(object_type="care.visit", action="read").exists()


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"duration_min": "0"}, "duration_min", "greater than or equal to 1"),
        ({"duration_min": "241"}, "duration_min", "less than or equal to 240"),
        ({"tension_before": "11"}, "tension_before", "less than or equal to 10"),
        ({"heart_rate_before": "300"}, "heart_rate_before", "less than or equal to 250"),
        ({"systolic_before": "80", "diastolic_before": "90"}, "systolic_before", "above diastolic"),
        ({"systolic_after": "120"}, "diastolic_after", "both systolic and diastolic"),
        ({"modality": "other"}, "modality_other", "Name the other modality"),
        ({"region_jaw": "4"}, "region_jaw", "valid choice"),
        ({"starts_at": ""}, "starts_at", "required"),
    ],
)
def test_it_refuses_a_bad_visit_next_to_the_field(cast: Cast, extra, field, message):
    client = make_client(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/visits/new/", _visit_post(cast, **extra)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Visit.objects.exists()


def test_it_refuses_another_clients_episode(cast: Cast):
    client = make_client(cast.harbour)
    other = make_episode(cast.harbour)
    response = cast.browser_for(cast.tess).post(
        f"/clients/{client.pk}/visits/new/", _visit_post(cast, episode=str(other.pk))
    )
    assert response.context["form"].errors["episode"]
    assert not Visit.objects.exists()


def test_it_updates_a_visit_and_records_which_fields_changed(cast: Cast):
    visit = make_visit(cast.harbour, therapist=cast.tess)
    http = cast.browser_for(cast.tess)
    http.post(
        f"/care/visits/{visit.pk}/edit/", _visit_post(cast, region_calf_r="1", tension_after="2")
    )
    visit.refresh_from_db()
    assert visit.body_map == {"calf_r": 1} and visit.tension_after == 2
    event = AuditEvent.objects.get(object_type="care.visit", action="update")
    assert "body_map" in event.detail and "Neck tight" not in event.detail


def test_it_records_and_follows_up_an_adverse_event(cast: Cast):
    visit = make_visit(cast.harbour)
    http = cast.browser_for(cast.tess)
    http.post(
        f"/care/visits/{visit.pk}/adverse-events/new/",
        {"kind": "dizziness", "severity": "mild", "description": "On standing"},
    )
    event = AdverseEvent.objects.get(visit=visit)
    http.post(
        f"/care/adverse-events/{event.pk}/edit/",
        {
            "kind": "dizziness",
            "severity": "mild",
            "description": "On standing",
            "follow_up": "Called next day: fine",
            "resolved": "on",
        },
    )
    event.refresh_from_db()
    assert event.resolved and event.history.count() == 2
    response = http.post(
        f"/care/visits/{visit.pk}/adverse-events/new/", {"kind": "other", "severity": "mild"}
    )
    assert "Describe what happened" in " ".join(response.context["form"].errors["description"])


def test_it_keeps_visit_notes_from_the_front_desk(cast: Cast):
    visit = make_visit(cast.harbour, subjective="private")
    http = cast.browser_for(cast.fiona)
    assert http.get(f"/care/visits/{visit.pk}/").status_code == 403
    assert http.get(f"/clients/{visit.client_id}/intake/").status_code == 403


def test_it_audits_opening_an_edit_form_that_shows_the_clinical_record(cast: Cast):
    client = make_client(cast.harbour)
    Intake.objects.create(clinic=cast.harbour, client=client, presenting_concerns="Low mood")
    medication = make_medication(cast.harbour, client)
    episode = make_episode(cast.harbour, client)
    event = make_adverse_event(cast.harbour, make_visit(cast.harbour, client))
    http = cast.browser_for(cast.tess)
    for url, object_type in (
        (f"/clients/{client.pk}/intake/edit/", "care.intake"),
        (f"/care/medications/{medication.pk}/edit/", "care.medication"),
        (f"/care/episodes/{episode.pk}/edit/", "care.episode"),
        (f"/care/adverse-events/{event.pk}/edit/", "care.adverseevent"),
    ):
        assert http.get(url).status_code == 200
        read = AuditEvent.objects.filter(object_type=object_type, action="read")
        assert read.filter(detail="edit form").exists(), url


def test_a_visit_recorded_now_starts_as_completed_not_scheduled(cast: Cast):
    # Issue 17 §4: booking ahead is the calendar's; the visit form documents the visit given.
    client = make_client(cast.harbour)
    page = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/visits/new/")
    assert page.context["form"]["status"].value() == "completed"
    assert '<option value="completed" selected>' in page.content.decode()
