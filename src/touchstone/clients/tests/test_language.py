"""The client's preferred language: one of the project's languages, on the form and the API
(an unknown code is a 422, never stored)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.clients.models import Client, language_choices
from touchstone.conftest import Cast, make_client


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def test_the_languages_are_the_projects(settings):
    assert [code for code, _ in language_choices()] == ["en", "es"]
    settings.LANGUAGES = [("en", "English"), ("es", "Español"), ("fr", "Français")]
    assert [code for code, _ in language_choices()] == ["en", "es", "fr"]


def test_the_api_stores_a_known_language_and_refuses_an_unknown_one(cast: Cast):
    api = _api("fiona")
    body = {"given_name": "Ana", "family_name": "Lima", "date_of_birth": "1991-09-09"}
    created = api.post("/api/v1/clients/", body | {"preferred_language": "es"},
                       content_type="application/json")  # fmt: skip
    assert created.status_code == 201 and created.json()["preferred_language"] == "es"
    refused = api.post("/api/v1/clients/", body | {"preferred_language": "klingon"},
                       content_type="application/json")  # fmt: skip
    assert refused.status_code == 422 and "preferred_language" in refused.content.decode()
    assert Client.objects.count() == 1
    client = Client.objects.get()
    patched = api.patch(f"/api/v1/clients/{client.pk}", {"preferred_language": "xx"},
                        content_type="application/json")  # fmt: skip
    assert patched.status_code == 422
    client.refresh_from_db()
    assert client.preferred_language == "es"


def test_a_new_client_is_in_english_until_staff_say_otherwise(cast: Cast):
    assert make_client(cast.harbour).preferred_language == "en"


@pytest.mark.parametrize(("value", "ok"), [("es", True), ("de", False)])
def test_the_client_form_offers_the_languages(cast: Cast, value: str, ok: bool):
    client = make_client(cast.harbour)
    browser = cast.browser_for(cast.alice)
    page = browser.get(f"/clients/{client.pk}/edit/").content.decode()
    assert 'name="preferred_language"' in page and "Español" in page
    data = {"given_name": "Dana", "family_name": "Example", "date_of_birth": "1985-04-02",
            "consent_to_treatment": "on", "consent_to_treatment_on": "2024-01-10",
            "message_channel": "email", "preferred_language": value}  # fmt: skip
    response = browser.post(f"/clients/{client.pk}/edit/", data)
    client.refresh_from_db()
    assert (client.preferred_language == value) is ok
    if not ok:
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
