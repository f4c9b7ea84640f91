from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.audit.models import AuditEvent
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


@pytest.fixture
def api(cast: Cast) -> HttpClient:
    return _api("fiona")


def test_it_lists_only_the_clinics_clients_with_paging(cast: Cast, api: HttpClient):
    make_client(cast.harbour, family_name="Ours")
    make_client(cast.northside, family_name="Theirs")
    body = api.get("/api/v1/clients/").json()
    assert [c["family_name"] for c in body["results"]] == ["Ours"] and body["next"] is None
    assert AuditEvent.objects.filter(action="list", channel="api").exists()


def test_it_creates_validates_and_audits(cast: Cast, api: HttpClient):
    response = api.post(
        "/api/v1/clients/",
        {
            "given_name": "Ana",
            "family_name": "Lima",
            "date_of_birth": "1991-09-09",
            "consent_to_treatment": True,
            "consent_to_treatment_on": "2025-02-02",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    client = Client.objects.get(pk=response.json()["id"])
    assert client.clinic == cast.harbour
    event = AuditEvent.objects.get(action="create", object_id=str(client.pk))
    assert event.channel == "api" and event.actor == cast.fiona.user


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"},
            "date_of_birth",
            "future",
        ),
        (
            {"given_name": "A", "family_name": "B", "date_of_birth": "yesterday"},
            "date_of_birth",
            "date",
        ),
        ({"given_name": "A", "date_of_birth": "1990-01-01"}, "family_name", "required"),
    ],
)
def test_it_answers_bad_input_with_one_error_shape(
    cast: Cast, api: HttpClient, payload: dict[str, Any], field: str, message: str
):
    response = api.post("/api/v1/clients/", payload, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert message in " ".join(error["fields"][field]).lower()
    assert not Client.objects.exists()


def test_it_patches_only_the_given_fields(cast: Cast, api: HttpClient):
    client = make_client(cast.harbour, phone="555 000 1111")
    response = api.patch(
        f"/api/v1/clients/{client.pk}", {"city": "Halifax"}, content_type="application/json"
    )
    assert response.status_code == 200
    client.refresh_from_db()
    assert client.city == "Halifax" and client.phone == "555 000 1111"


def test_a_failed_patch_changes_nothing(cast: Cast, api: HttpClient):
    client = make_client(cast.harbour)
    response = api.patch(
        f"/api/v1/clients/{client.pk}",
        {"city": "Halifax", "date_of_birth": "2999-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 422
    client.refresh_from_db()
    assert client.city == ""


def test_it_hides_other_clinics_clients_as_not_found(cast: Cast, api: HttpClient):
    other = make_client(cast.northside)
    response = api.get(f"/api/v1/clients/{other.pk}")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not found.", "fields": {}}
    }


def test_it_lets_only_allowed_roles_archive(cast: Cast):
    client = make_client(cast.harbour)
    assert _api("tess").post(f"/api/v1/clients/{client.pk}/archive").status_code == 403
    response = _api("bob").post(f"/api/v1/clients/{client.pk}/archive")
    assert response.status_code == 200 and response.json()["archived_at"]


def test_it_publishes_an_openapi_document(cast: Cast):
    spec = HttpClient().get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/clients/" in spec["paths"]
    assert spec["components"]["securitySchemes"]
