"""The care API: episodes, diagnoses, visits, intake, medications."""

from __future__ import annotations

from typing import Any

from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.care.models import Diagnosis, Intake, Visit
from touchstone.care.tests.factories import make_episode, make_medication
from touchstone.conftest import Cast, actor_of, make_client


def _api(member: Any) -> tuple[HttpClient, dict[str, str]]:
    _, token = do_create_token(actor_of(member), "test")
    return HttpClient(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_it_creates_and_reads_episodes_with_diagnoses_for_clinicians_only(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.bob)
    response = http.post(
        f"/api/v1/care/clients/{client.pk}/episodes",
        {"title": "Low mood", "started_on": "2025-01-06", "plan_intake": ["phq9"]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    episode_id = response.json()["id"]
    response = http.post(
        f"/api/v1/care/episodes/{episode_id}/diagnoses",
        {"code": "F33.1", "source": "referring"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    assert (
        response.json()["diagnoses"][0]["title"] == "Major depressive disorder, recurrent, moderate"
    )
    tess_http, tess_auth = _api(cast.tess)
    assert (
        tess_http.get(f"/api/v1/care/episodes/{episode_id}", **tess_auth).json()["diagnoses"]
        is None
    )
    assert Diagnosis.objects.get().entered_by == cast.bob
    # The list pages by cursor and keeps the same rule per row.
    listed = http.get(f"/api/v1/care/clients/{client.pk}/episodes", **auth)
    assert listed.status_code == 200, listed.content
    assert [e["diagnoses"][0]["code"] for e in listed.json()["results"]] == ["F33.1"]
    listed = tess_http.get(f"/api/v1/care/clients/{client.pk}/episodes", **tess_auth).json()
    assert listed["next"] is None and [e["diagnoses"] for e in listed["results"]] == [None]


def test_it_answers_validation_errors_in_the_one_shape(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.tess)
    response = http.post(
        f"/api/v1/care/clients/{client.pk}/episodes",
        {
            "title": "x",
            "started_on": "2025-01-06",
            "ended_on": "2024-01-01",
            "plan_intake": ["nope"],
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert "ended_on" in fields and "plan_intake" in fields


def test_it_records_a_visit_with_a_body_map(cast: Cast):
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client=client)
    http, auth = _api(cast.tess)
    body = {
        "starts_at": "2025-01-06T10:00:00+00:00",
        "status": "completed",
        "episode_id": episode.pk,
        "body_map": {"neck_back": 2},
        "tension_before": 7,
        "tension_after": 3,
        "systolic_before": 120,
        "diastolic_before": 80,
    }
    response = http.post(
        f"/api/v1/care/clients/{client.pk}/visits", body, content_type="application/json", **auth
    )
    assert response.status_code == 201, response.content
    visit = Visit.objects.get()
    assert visit.therapist == cast.tess and visit.body_map == {"neck_back": 2}
    bad = http.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {**body, "body_map": {"tail": 2}},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and "body_map" in bad.json()["error"]["fields"]
    other = make_episode(cast.northside)
    outside = http.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {**body, "episode_id": other.pk},
        content_type="application/json",
        **auth,
    )
    assert outside.status_code == 404
    response = http.patch(
        f"/api/v1/care/visits/{visit.pk}",
        {"tension_after": 2},
        content_type="application/json",
        **auth,
    )
    assert response.json()["tension_after"] == 2
    listing = http.get(f"/api/v1/care/clients/{client.pk}/visits", **auth).json()
    assert len(listing["results"]) == 1
    assert AuditEvent.objects.filter(object_type="care.visit", channel="api").exists()


def test_it_reads_intake_and_medications(cast: Cast):
    client = make_client(cast.harbour)
    Intake.objects.create(clinic=cast.harbour, client=client, presenting_concerns="Stress")
    make_medication(cast.harbour, client=client)
    http, auth = _api(cast.tess)
    assert (
        http.get(f"/api/v1/care/clients/{client.pk}/intake", **auth).json()["presenting_concerns"]
        == "Stress"
    )
    meds = http.get(f"/api/v1/care/clients/{client.pk}/medications", **auth).json()
    assert meds["results"][0]["is_psychotropic"] is True
    fiona, fiona_auth = _api(cast.fiona)
    assert fiona.get(f"/api/v1/care/clients/{client.pk}/intake", **fiona_auth).status_code == 403


def test_it_refuses_a_visit_given_by_someone_who_does_not_treat(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.tess)
    response = http.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {"starts_at": "2025-01-06T10:00:00+00:00", "therapist_id": cast.fiona.pk},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert "treats clients" in " ".join(response.json()["error"]["fields"]["therapist"])
    assert not Visit.objects.exists()
