"""The physiology API: samples, recordings (text or base64), sleep nights; isolation, audit."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.physiology.tests.factories import make_sample

RR = "\n".join(str(800 + (i % 2) * 40) for i in range(60))


def _api(member: Any) -> tuple[HttpClient, dict[str, str]]:
    _, token = do_create_token(actor_of(member), "test")
    return HttpClient(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _post(http: HttpClient, auth: dict[str, str], url: str, body: dict[str, Any]) -> Any:
    return http.post(url, body, content_type="application/json", **auth)


def test_it_logs_a_sample_in_micrograms_and_returns_nanomoles(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.tess)
    response = _post(
        http,
        auth,
        f"/api/v1/physiology/clients/{client.pk}/samples",
        {
            "value": 0.5,
            "unit": "µg/dL",
            "collected_at": "2025-01-06T07:00:00+00:00",
            "minutes_since_waking": 0,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit"] == "ug/dL" and body["canonical_value"] == pytest.approx(13.7946, abs=1e-3)
    listed = http.get(f"/api/v1/physiology/samples?client_id={client.pk}", **auth).json()
    assert len(listed["results"]) == 1 and listed["next"] is None
    one = http.get(f"/api/v1/physiology/samples/{body['id']}", **auth)
    assert one.json()["id"] == body["id"]
    assert (
        AuditEvent.objects.filter(
            channel="api", action="create", object_type="physiology.sample"
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            channel="api", action="read", object_type="physiology.sample"
        ).count()
        == 1
    )


def test_it_refuses_negative_concentrations_in_the_api_error_shape(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.tess)
    response = _post(
        http,
        auth,
        f"/api/v1/physiology/clients/{client.pk}/samples",
        {"value": -1, "unit": "nmol/L", "collected_at": "2025-01-06T07:00:00+00:00"},
    )
    assert response.status_code == 422
    assert "greater than zero" in response.json()["error"]["fields"]["value"][0]
    assert not Sample.objects.exists()


@pytest.mark.parametrize("encoding", ["text", "base64"])
def test_it_accepts_an_rr_file_as_text_or_base64(cast: Cast, encoding: str):
    client = make_client(cast.harbour)
    http, auth = _api(cast.bob)
    body: dict[str, Any] = {"recorded_at": "2025-01-06T10:00:00+00:00"}
    if encoding == "text":
        body["rr_text"] = RR
    else:
        body["rr_base64"] = base64.b64encode(RR.encode()).decode()
    response = _post(http, auth, f"/api/v1/physiology/clients/{client.pk}/recordings", body)
    assert response.status_code == 201, response.content
    assert response.json()["rmssd"] == pytest.approx(40.0) and response.json()["n_beats"] == 60
    assert "rr_ms" not in response.json()
    assert len(http.get("/api/v1/physiology/recordings", **auth).json()["results"]) == 1


def test_it_refuses_bad_rr_bodies(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.bob)
    url = f"/api/v1/physiology/clients/{client.pk}/recordings"
    both = _post(http, auth, url, {"recorded_at": "2025-01-06T10:00:00+00:00"})
    assert both.json()["error"]["fields"]["rr_text"] == [
        "Send exactly one of rr_text and rr_base64."
    ]
    bad64 = _post(http, auth, url, {"recorded_at": "2025-01-06T10:00:00+00:00", "rr_base64": "@@"})
    assert bad64.json()["error"]["fields"]["rr_base64"] == ["This is not valid base64."]
    text = _post(
        http, auth, url, {"recorded_at": "2025-01-06T10:00:00+00:00", "rr_text": "800\n-1\n"}
    )
    assert "impossible" in text.json()["error"]["fields"]["rr_text"][0]
    assert not Recording.objects.exists()


def test_it_records_a_diary_night_and_refuses_an_impossible_one(cast: Cast):
    client = make_client(cast.harbour)
    http, auth = _api(cast.tess)
    night = {
        "night_of": "2025-01-06",
        "in_bed": "23:00",
        "tried_sleep": "23:15",
        "sol_min": 20,
        "awakenings": 2,
        "waso_min": 30,
        "final_wake": "06:30",
        "out_of_bed": "07:00",
    }
    url = f"/api/v1/physiology/clients/{client.pk}/sleep-nights"
    response = _post(http, auth, url, night)
    assert response.status_code == 201
    assert (response.json()["tst_min"], response.json()["entered"]) == (385, "api")
    wrong = _post(http, auth, url, {**night, "night_of": "2025-01-07", "final_wake": "22:00"})
    assert wrong.status_code == 422
    assert "Times out of order" in wrong.json()["error"]["fields"]["__all__"][0]
    night_id = response.json()["id"]
    assert http.get(f"/api/v1/physiology/sleep-nights/{night_id}", **auth).status_code == 200
    assert SleepNight.objects.count() == 1


def test_other_clinics_and_front_desk_cannot_reach_body_measures(cast: Cast):
    sample = make_sample(cast.harbour)
    http, auth = _api(cast.charlie)
    assert http.get(f"/api/v1/physiology/samples/{sample.pk}", **auth).status_code == 404
    assert http.get("/api/v1/physiology/samples", **auth).json()["results"] == []
    desk, desk_auth = _api(cast.fiona)
    assert desk.get("/api/v1/physiology/samples", **desk_auth).status_code == 403
