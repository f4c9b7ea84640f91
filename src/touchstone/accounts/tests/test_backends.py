"""The sign-in backend reads a session's user with their membership, clinic and whether they
have a two-factor device."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from touchstone.accounts.backends import HAS_DEVICE, MembershipBackend
from touchstone.conftest import Cast


def test_it_reads_the_user_membership_and_clinic_in_one_query(
    cast: Cast, django_assert_num_queries: Any
):
    with django_assert_num_queries(1):
        user = MembershipBackend().get_user(cast.bob.user.pk)
        assert user is not None and user.staff_member.clinic.name == "Harbour Massage"  # type: ignore[attr-defined]


def test_a_login_without_membership_or_deactivated_is_as_before(cast: Cast):
    loner = User.objects.create_user("loner", password="correct horse battery")
    assert MembershipBackend().get_user(loner.pk) == loner
    assert MembershipBackend().get_user(10**9) is None
    cast.bob.user.is_active = False
    cast.bob.user.save()
    assert MembershipBackend().get_user(cast.bob.user.pk) is None


def test_a_signed_in_page_reads_no_user_on_its_own(cast: Cast):
    http = cast.browser_for(cast.bob)
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/clients/").status_code == 200
    users = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(users) == 1 and '"accounts_staffmember"' in users[0]  # joined, one query


def test_a_session_from_before_the_membership_backend_signs_in_once_more(cast: Cast):
    # docs/deploy.md, "Upgrading": a session opened through Django's ModelBackend (before
    # this backend) is no longer a sign-in; its next page asks to sign in and comes back.
    http = HttpClient()
    http.force_login(cast.bob.user, backend="django.contrib.auth.backends.ModelBackend")
    response = http.get("/clients/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/clients/"
    http.force_login(cast.bob.user)  # signed in again: through MembershipBackend
    assert http.get("/clients/").status_code == 200


def test_a_page_searches_no_devices_on_its_own_for_a_login_without_one(cast: Cast):
    # Issue 11 §2: every page of an unverified login searched the user's devices (one query
    # per page); now whether there is one comes with the user.
    http = cast.browser_for(cast.bob)
    with CaptureQueriesContext(connection) as queries:
        assert http.get("/clients/").status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert not any(s.startswith('SELECT "otp_totp_totpdevice"') for s in sql)
    assert getattr(MembershipBackend().get_user(cast.bob.user.pk), HAS_DEVICE) is False


def test_a_device_added_later_is_seen_on_the_next_page(cast: Cast):
    http = cast.browser_for(cast.bob)
    assert http.get("/clients/").status_code == 200
    TOTPDevice.objects.create(user=cast.bob.user, name="phone", confirmed=True)
    response = http.get("/clients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/verify/")
    assert getattr(MembershipBackend().get_user(cast.bob.user.pk), HAS_DEVICE) is True
