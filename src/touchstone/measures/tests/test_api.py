from __future__ import annotations

import io

from django.core.management import call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext

from touchstone.conftest import Cast, make_client
from touchstone.measures.models import Administration, RiskAlert


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def test_answers_sent_through_the_api_are_scored_and_raise_alerts(cast: Cast):
    client = make_client(cast.harbour)
    response = _api("tess").post(
        f"/api/v1/clients/{client.pk}/administrations",
        {
            "instrument_id": "phq9",
            "answers": {
                "44250-9": 1,
                "phq9-2": "LA6569-3",
                "phq9-3": 0,
                "phq9-4": 0,
                "phq9-5": 0,
                "phq9-6": 0,
                "phq9-7": 0,
                "phq9-8": 0,
                "phq9-9": 1,
            },
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["total"], body["severity"], body["risk_flags"]) == (3, "minimal", ["phq9-9"])
    assert body["mode"] == "api"
    assert RiskAlert.objects.get().administration_id == body["id"]


def test_an_unknown_answer_code_is_an_error_not_a_zero(cast: Cast):
    client = make_client(cast.harbour)
    response = _api("tess").post(
        f"/api/v1/clients/{client.pk}/administrations",
        {
            "instrument_id": "gad2",
            "answers": {"gad2-1": "LA9999-9"},
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert not Administration.objects.exists()


def test_therapists_see_open_alerts_without_the_reason(cast: Cast):
    client = make_client(cast.harbour)
    _api("tess").post(
        f"/api/v1/clients/{client.pk}/administrations",
        {"instrument_id": "phq9", "answers": {"phq9-9": 2}, "complete": False},
        content_type="application/json",
    )
    alerts = _api("tess").get("/api/v1/alerts").json()
    assert len(alerts) == 1 and "reason" not in alerts[0]
    assert _api("tess").get(f"/api/v1/alerts/{alerts[0]['id']}").status_code == 403


def test_a_clinician_closes_an_alert_through_the_api(cast: Cast):
    client = make_client(cast.harbour)
    _api("bob").post(
        f"/api/v1/clients/{client.pk}/administrations",
        {"instrument_id": "phq9", "answers": {"phq9-9": 3}, "complete": False},
        content_type="application/json",
    )
    alert = RiskAlert.objects.get()
    bob = _api("bob")
    assert (
        bob.post(
            f"/api/v1/alerts/{alert.pk}/close",
            {"action_taken": ""},
            content_type="application/json",
        ).status_code
        == 422
    )
    closed = bob.post(
        f"/api/v1/alerts/{alert.pk}/close",
        {"action_taken": "Safety plan made."},
        content_type="application/json",
    )
    assert closed.status_code == 200 and closed.json()["closed_at"]


def test_administrations_of_another_clinic_are_not_found(cast: Cast):
    other = make_client(cast.northside)
    response = _api("bob").post(
        f"/api/v1/clients/{other.pk}/administrations",
        {"instrument_id": "phq2", "answers": {}},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Administration.objects.exists()


def test_it_pages_administrations_by_cursor_without_counting_the_table(cast: Cast):
    client = make_client(cast.harbour)
    Administration.objects.bulk_create(
        Administration(clinic=cast.harbour, client=client, instrument_id="phq9", mode="clinic")
        for _ in range(7)
    )
    Administration.objects.create(
        clinic=cast.northside, client=make_client(cast.northside), instrument_id="phq9", mode="api"
    )
    http = _api("tess")
    seen: list[int] = []
    url = "/api/v1/administrations?page_size=3"
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = http.get(url).json()
        assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        pages += 1
    ours = list(Administration.objects.filter(clinic=cast.harbour).values_list("pk", flat=True))
    assert seen == sorted(ours) and pages == 3  # every row once, oldest first, 3 + 3 + 1
    assert set(http.get("/api/v1/openapi.json").json()["components"]["schemas"]) >= {
        "PagedAdministrationOut"
    }
