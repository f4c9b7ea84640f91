from __future__ import annotations

from typing import Any

from django.test import Client as HttpClient

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import ApiToken, StaffMember, StaffNotice
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_member


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
    member = StaffMember.objects.get(user__username="harbour.nina")
    assert member.clinic == cast.harbour and member.role == "therapist"
    assert not member.user.has_usable_password()
    assert "/accounts/password/reset/" in mailoutbox[0].body
    assert AuditEvent.objects.filter(object_type="accounts.staffmember", action="create").exists()


def invite(as_alice: HttpClient, username: str) -> str:
    form = {"first_name": "C", "last_name": "D", "email": "c@example.org", "role": "therapist"}
    response = as_alice.post("/accounts/staff/invite/", {"username": username, **form})
    return response.content.decode() if response.status_code == 200 else ""


def test_usernames_carry_the_clinics_prefix_so_another_clinics_logins_stay_hidden(
    cast: Cast, as_alice: HttpClient, mailoutbox: list[Any]
):
    # Charlie, of Northside, is "charlie": Harbour's "charlie" is harbour.charlie.
    assert invite(as_alice, "Charlie") == ""
    assert StaffMember.objects.get(user__username="harbour.Charlie").clinic == cast.harbour
    assert "Your username is harbour.Charlie." in mailoutbox[0].body


def test_a_taken_username_gets_one_neutral_answer_wherever_it_is_taken(
    cast: Cast, as_alice: HttpClient
):
    invite(as_alice, "nina")
    make_member(cast.northside, "harbour.lee", "therapist")  # a login from before prefixes
    for name in ("NINA", "lee"):
        page = invite(as_alice, name)
        assert "That username is not available; choose another." in page
        assert "taken" not in page and "Northside" not in page


def test_it_refuses_characters_a_username_cannot_hold(cast: Cast, as_alice: HttpClient):
    assert "Use letters, digits" in invite(as_alice, "nina smith")


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


def _clinician_invite(as_alice: HttpClient) -> None:
    as_alice.post(
        "/accounts/staff/invite/",
        {
            "username": "cleo",
            "first_name": "Cleo",
            "last_name": "Marsh",
            "email": "cleo@example.org",
            "role": "clinician",
        },
    )


def test_a_new_clinician_login_is_told_to_every_clinician_and_audited(
    cast: Cast, as_alice: HttpClient, mailoutbox: list[Any], django_capture_on_commit_callbacks: Any
):
    other = make_member(cast.harbour, "dr_ines", "clinician")
    with django_capture_on_commit_callbacks(execute=True):
        _clinician_invite(as_alice)
    cleo = StaffMember.objects.get(user__username="harbour.cleo")
    told = {n.recipient for n in StaffNotice.objects.unread()}
    assert told == {cast.bob, other}  # not Cleo, not the owner, not Northside's staff
    notice = StaffNotice.objects.filter(recipient=cast.bob).get()
    assert "alice gave Cleo Marsh (login harbour.cleo) the Clinician (licensed) role" in notice.text
    grant = AuditEvent.objects.get(action="grant", object_id=str(cleo.pk))
    assert grant.detail == "role clinician through a new login; 2 clinician(s) told"
    mail = [m for m in mailoutbox if "a new clinician login" in m.subject]
    assert len(mail) == 1 and set(mail[0].to) == {"bob@example.org", "dr_ines@example.org"}
    home = cast.browser_for(cast.bob).get("/").content.decode()
    assert "Cleo Marsh (login harbour.cleo)" in home


def test_raising_a_role_to_clinician_is_told_too_and_a_notice_can_be_dismissed(
    cast: Cast, as_alice: HttpClient
):
    as_alice.post(f"/accounts/staff/{cast.tess.pk}/", {"role": "clinician", "is_active": "on"})
    notice = StaffNotice.objects.get(recipient=cast.bob)
    assert "the Clinician (licensed) role through a role change" in notice.text
    assert AuditEvent.objects.filter(action="grant", object_id=str(cast.tess.pk)).exists()
    # Only Bob dismisses Bob's notice.
    tess = cast.browser_for(cast.tess)
    assert tess.post(f"/accounts/notices/{notice.pk}/dismiss/").status_code == 404
    bob = cast.browser_for(cast.bob)
    assert bob.post(f"/accounts/notices/{notice.pk}/dismiss/").status_code == 302
    assert "through a role change" not in bob.get("/").content.decode()
    # Another role change of a clinician tells nobody again.
    as_alice.post(f"/accounts/staff/{cast.tess.pk}/", {"role": "clinician", "is_active": "on"})
    as_alice.post(f"/accounts/staff/{cast.fiona.pk}/", {"role": "therapist", "is_active": "on"})
    assert StaffNotice.objects.count() == 1


def test_the_owner_cannot_make_themselves_a_clinician(cast: Cast, as_alice: HttpClient):
    as_alice.post(f"/accounts/staff/{cast.alice.pk}/", {"role": "clinician", "is_active": "on"})
    cast.alice.refresh_from_db()
    assert cast.alice.role == "owner" and not StaffNotice.objects.exists()


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
