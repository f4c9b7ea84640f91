"""Sex assigned at birth, gender identity, pronouns, pregnancy / postpartum and menopause
status (issue 10 §6): optional, validated, versioned, editable through form, API and
actions, and shown on the client page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.clients import actions
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client

from .test_views import VALID


def _api(username: str) -> HttpClient:
    out = io.StringIO()
    call_command("token", username, stdout=out)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def test_every_field_is_optional(cast: Cast, as_alice: HttpClient):
    as_alice.post("/clients/new/", VALID)
    client = Client.objects.get(family_name="Okafor")
    assert (client.sex_at_birth, client.gender_identity, client.pronouns) == ("", "", "")
    assert client.scoring_sex is None and client.weeks_postpartum(dt.date(2026, 1, 1)) is None


def test_staff_who_edit_clients_record_them_through_the_form(cast: Cast):
    http = cast.browser_for(cast.fiona)  # front desk may edit clients
    client = make_client(cast.harbour)
    delivered = timezone.localdate() - dt.timedelta(weeks=8, days=2)
    response = http.post(
        f"/clients/{client.pk}/edit/",
        {
            **VALID,
            "sex_at_birth": "female",
            "gender_identity": "female",
            "pronouns": "she",
            "pregnancy_status": "postpartum",
            "delivery_date": delivered.isoformat(),
            "menopause_status": "pre",
        },
    )
    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.sex_at_birth, client.pronouns_text) == ("female", "she/her/hers")
    assert client.weeks_postpartum(timezone.localdate()) == 8
    page = cast.browser_for(cast.tess).get(f"/clients/{client.pk}/").content.decode()
    assert "(she/her/hers)" in page  # beside the name
    assert f"Postpartum: delivered {delivered.isoformat()}, 8 weeks ago" in page
    assert "Premenopausal" in page


def test_the_clients_own_words(cast: Cast):
    client = make_client(cast.harbour)
    actions.do_update_client(
        actor_of(cast.bob),
        client,
        {
            "gender_identity": "other",
            "gender_identity_other": "Two-spirit",
            "pronouns": "other",
            "pronouns_other": "ze/hir",
        },
    )
    assert (client.gender_identity_text, client.pronouns_text) == ("Two-spirit", "ze/hir")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"pregnancy_status": "postpartum"}, "delivery_date", "Enter the delivery date"),
        ({"pregnancy_status": "pregnant", "delivery_date": dt.date(2025, 5, 1)},
         "delivery_date", "postpartum status only"),
        ({"pregnancy_status": "postpartum", "delivery_date": dt.date(2999, 1, 1)},
         "delivery_date", "future"),
        ({"pregnancy_status": "postpartum", "delivery_date": dt.date(1980, 1, 1)},
         "delivery_date", "after the date of birth"),
        ({"sex_at_birth": "male", "pregnancy_status": "pregnant"}, "pregnancy_status",
         "does not apply"),
        ({"sex_at_birth": "male", "menopause_status": "peri"}, "menopause_status",
         "does not apply"),
        ({"gender_identity": "female", "gender_identity_other": "x"}, "gender_identity_other",
         "own words only"),
        ({"pronouns": "they", "pronouns_other": "x"}, "pronouns_other", "own words only"),
        ({"sex_at_birth": "M"}, "sex_at_birth", "not a valid choice"),
    ],
)  # fmt: skip
def test_bad_combinations_are_refused_and_nothing_is_saved(cast: Cast, data, field, message):
    client = make_client(cast.harbour)
    with pytest.raises(ValidationError) as error:
        actions.do_update_client(actor_of(cast.alice), client, data)
    assert message in " ".join(error.value.message_dict[field])
    fresh = Client.objects.get(pk=client.pk)
    assert (fresh.sex_at_birth, fresh.pregnancy_status, fresh.delivery_date) == ("", "", None)


def test_every_change_is_a_version(cast: Cast):
    client = make_client(cast.harbour)
    actions.do_update_client(actor_of(cast.alice), client, {"sex_at_birth": "male"})
    actions.do_update_client(actor_of(cast.alice), client, {"sex_at_birth": "female"})
    history = list(client.history.order_by("history_date").values_list("sex_at_birth", flat=True))
    assert history == ["", "male", "female"]


def test_the_api_reads_and_writes_them(cast: Cast):
    api = _api("bob")
    created = api.post(
        "/api/v1/clients/",
        {
            "given_name": "Sam",
            "family_name": "Ruiz",
            "date_of_birth": "1990-01-01",
            "sex_at_birth": "male",
            "gender_identity": "non-binary",
            "pronouns": "they",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["sex_at_birth"], body["gender_identity"], body["pronouns"]) == (
        "male", "non-binary", "they",
    )  # fmt: skip
    patched = api.patch(
        f"/api/v1/clients/{body['id']}",
        {"menopause_status": "post"},
        content_type="application/json",
    )
    assert patched.status_code == 422
    assert "menopause_status" in patched.json()["error"]["fields"]
    unknown = api.patch(
        f"/api/v1/clients/{body['id']}",
        {"pronouns": "xe"},
        content_type="application/json",
    )
    assert unknown.status_code == 422
