from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client

VALID = {
    "given_name": "Ines",
    "family_name": "Okafor",
    "date_of_birth": "1988-02-11",
    "phone": "+1 (555) 201-3344",
    "consent_to_treatment": "on",
    "consent_to_treatment_on": "2025-03-01",
}


def test_it_creates_a_client_in_the_staff_members_clinic(cast: Cast):
    http = cast.browser_for(cast.fiona)
    response = http.post("/clients/new/", VALID)
    client = Client.objects.get(family_name="Okafor")
    assert response["Location"] == f"/clients/{client.pk}/"
    assert client.clinic == cast.harbour


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "more than 120 years ago"),
        ("given_name", "   ", "given name"),
        ("phone", "call me maybe", "Enter a phone number"),
        ("consent_to_treatment_on", "", "Enter the date consent was given"),
        ("email", "not-an-email", "valid email"),
    ],
)
def test_it_explains_bad_input_next_to_the_field_and_saves_nothing(
    cast: Cast, as_alice: HttpClient, field: str, value: str, message: str
):
    response = as_alice.post("/clients/new/", {**VALID, field: value})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Client.objects.exists()


def test_it_refuses_consent_dated_before_birth(cast: Cast, as_alice: HttpClient):
    response = as_alice.post("/clients/new/", {**VALID, "consent_to_treatment_on": "1980-01-01"})
    assert "before the date of birth" in str(response.context["form"].errors)


def test_a_failed_edit_changes_nothing(cast: Cast, as_alice: HttpClient):
    client = make_client(cast.harbour, phone="555-111-2222")
    as_alice.post(f"/clients/{client.pk}/edit/", {**VALID, "phone": "x", "given_name": "Zed"})
    client.refresh_from_db()
    assert client.phone == "555-111-2222" and client.given_name == "Dana"
    assert client.history.count() == 1


def test_it_keeps_every_version_and_shows_the_changes(cast: Cast, as_alice: HttpClient):
    as_alice.post("/clients/new/", VALID)
    client = Client.objects.get()
    as_alice.post(f"/clients/{client.pk}/edit/", {**VALID, "phone": "555 999 0000"})
    assert client.history.count() == 2
    page = as_alice.get(f"/clients/{client.pk}/history/").content.decode()
    assert "+1 (555) 201-3344" in page and "555 999 0000" in page and "alice" in page


def test_it_archives_without_deleting_and_restores(cast: Cast, as_alice: HttpClient):
    client = make_client(cast.harbour)
    as_alice.post(f"/clients/{client.pk}/archive/")
    client.refresh_from_db()
    assert client.is_archived
    assert client not in as_alice.get("/clients/").context["page"].object_list
    assert client in as_alice.get("/clients/?archived=on").context["page"].object_list
    as_alice.post(f"/clients/{client.pk}/restore/")
    client.refresh_from_db()
    assert not client.is_archived


def test_therapists_cannot_archive(cast: Cast):
    client = make_client(cast.harbour)
    assert cast.browser_for(cast.tess).post(f"/clients/{client.pk}/archive/").status_code == 403


def test_it_searches_by_name_and_pages_the_list(cast: Cast, as_alice: HttpClient):
    Client.objects.bulk_create(
        [
            Client(
                clinic=cast.harbour,
                given_name=f"P{i}",
                family_name=f"Person{i:03d}",
                date_of_birth=dt.date(1990, 1, 1),
            )
            for i in range(60)
        ]
    )
    make_client(cast.harbour, family_name="Zanetti")
    make_client(cast.northside, family_name="Zanetti")
    found = as_alice.get("/clients/?q=zanet").context["page"]
    assert found.paginator.count == 1
    page = as_alice.get("/clients/?page=3").context["page"]
    assert page.paginator.count == 61 and page.number == 3 and len(page.object_list) == 11


def test_the_list_does_a_fixed_number_of_queries(
    cast: Cast, as_alice: HttpClient, django_assert_num_queries: Any
):
    def count_for(n: int) -> int:
        Client.objects.bulk_create(
            [
                Client(
                    clinic=cast.harbour,
                    given_name="A",
                    family_name=f"B{n}{i}",
                    date_of_birth=dt.date(1990, 1, 1),
                )
                for i in range(n)
            ]
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            as_alice.get("/clients/")
        return len(queries)

    assert count_for(3) == count_for(40)


def test_today_is_a_valid_date_of_birth_boundary(cast: Cast, as_alice: HttpClient):
    today = timezone.localdate().isoformat()
    response = as_alice.post(
        "/clients/new/", {**VALID, "date_of_birth": today, "consent_to_treatment_on": today}
    )
    assert response.status_code == 302


def test_it_keeps_the_message_preference_and_opt_out_as_versions(cast: Cast, as_alice: HttpClient):
    as_alice.post("/clients/new/", {**VALID, "phone": ""})
    client = Client.objects.get()
    assert client.message_channel == "email" and not client.messages_opt_out
    refused = as_alice.post(
        f"/clients/{client.pk}/edit/", {**VALID, "phone": "", "message_channel": "sms"}
    )
    assert "Text messages need a phone number." in refused.content.decode()
    as_alice.post(
        f"/clients/{client.pk}/edit/",
        {**VALID, "message_channel": "sms", "messages_opt_out": "on"},
    )
    client.refresh_from_db()
    assert client.message_channel == "sms" and client.messages_opt_out
    assert [v.messages_opt_out for v in client.history.order_by("history_date")] == [False, True]
