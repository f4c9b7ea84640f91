from __future__ import annotations

from typing import Any

from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import ApiToken, StaffMember
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of


def test_it_invites_a_colleague_by_email(cast: Cast, as_alice: HttpClient, mailoutbox: list[Any]):
    response = as_alice.post(
        "/accounts/staff/invite/",
        {
            "username": "nina",
            "first_name": "Nina",
            "last_name": "Novak",
            "email": "nina@example.org",
            "role": "therapist",
        },
    )
    assert response.status_code == 302
    member = StaffMember.objects.get(user__username="nina")
    assert member.clinic == cast.harbour and member.role == "therapist"
    assert not member.user.has_usable_password()
    assert "/accounts/password/reset/" in mailoutbox[0].body
    assert AuditEvent.objects.filter(object_type="accounts.staffmember", action="create").exists()


def test_it_refuses_a_taken_username(cast: Cast, as_alice: HttpClient):
    response = as_alice.post(
        "/accounts/staff/invite/",
        {
            "username": "Charlie",
            "first_name": "C",
            "last_name": "D",
            "email": "c@example.org",
            "role": "therapist",
        },
    )
    assert "That username is taken" in response.content.decode()


def test_it_deactivates_a_colleague_and_revokes_their_tokens(cast: Cast, as_alice: HttpClient):
    do_create_token(actor_of(cast.tess), "script")
    response = as_alice.post(f"/accounts/staff/{cast.tess.pk}/", {"role": "therapist"})
    assert response.status_code == 302
    cast.tess.refresh_from_db()
    assert not cast.tess.is_active
    assert not ApiToken.objects.filter(user=cast.tess.user).active().exists()


def test_it_changes_a_role(cast: Cast, as_alice: HttpClient):
    as_alice.post(f"/accounts/staff/{cast.fiona.pk}/", {"role": "clinician", "is_active": "on"})
    cast.fiona.refresh_from_db()
    assert cast.fiona.role == "clinician"


def test_it_does_not_let_an_owner_demote_themselves(cast: Cast, as_alice: HttpClient):
    response = as_alice.post(
        f"/accounts/staff/{cast.alice.pk}/", {"role": "therapist", "is_active": "on"}
    )
    assert "cannot remove your own owner role" in response.content.decode()
    cast.alice.refresh_from_db()
    assert cast.alice.role == "owner"


def test_it_lists_only_the_clinics_own_staff(cast: Cast, as_alice: HttpClient):
    page = as_alice.get("/accounts/staff/").content.decode()
    assert "bob" in page and "charlie" not in page


def test_the_staff_form_keeps_a_mobile_phone_for_alert_texts(cast: Cast, as_alice: HttpClient):
    form = {"role": "clinician", "is_active": "on", "phone": "(312) 555-0142"}
    assert as_alice.post(f"/accounts/staff/{cast.bob.pk}/", form).status_code == 302
    cast.bob.refresh_from_db()
    assert cast.bob.phone == "(312) 555-0142"
    event = AuditEvent.objects.filter(object_type="accounts.staffmember").latest("at")
    assert "phone" in event.detail and "555" not in event.detail
    assert "(312) 555-0142" in as_alice.get(f"/accounts/staff/{cast.bob.pk}/").content.decode()
    # A post from a page without the field keeps the number; an empty field removes it.
    as_alice.post(f"/accounts/staff/{cast.bob.pk}/", {"role": "clinician", "is_active": "on"})
    cast.bob.refresh_from_db()
    assert cast.bob.phone == "(312) 555-0142"
    as_alice.post(f"/accounts/staff/{cast.bob.pk}/", {**form, "phone": ""})
    cast.bob.refresh_from_db()
    assert cast.bob.phone == ""


def test_the_staff_form_refuses_a_number_no_text_can_reach(cast: Cast, as_alice: HttpClient):
    form = {"role": "clinician", "is_active": "on", "phone": "(112) 555-0142"}
    page = as_alice.post(f"/accounts/staff/{cast.bob.pk}/", form)
    assert page.status_code == 200 and "not a phone number a text message" in page.text
    cast.bob.refresh_from_db()
    assert cast.bob.phone == ""
