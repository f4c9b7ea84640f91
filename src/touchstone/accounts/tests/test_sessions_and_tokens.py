"""Issue 11 §3 "Sessions and tokens": idle sign-out by clinic setting, tokens that expire and
are revoked on a password reset, password-reset e-mails throttled."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import RESET_MAILS_PER_ACCOUNT, do_create_token
from touchstone.accounts.models import ApiToken
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of


def _sign_in(username: str) -> HttpClient:
    http = HttpClient()
    response = http.post(
        "/accounts/login/", {"username": username, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    return http


def test_staff_are_signed_out_after_the_clinics_idle_minutes(cast: Cast):
    cast.harbour.idle_minutes = 15
    cast.harbour.save(update_fields=["idle_minutes"])
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        http = _sign_in("tess")
        assert http.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=14))
        assert http.get("/").status_code == 200  # activity restarts the count
        clock.shift(dt.timedelta(minutes=14))
        assert http.get("/").status_code == 200
        clock.shift(dt.timedelta(minutes=16))
        response = http.get("/clients/")
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert http.get("/").status_code == 302  # the session is gone, not only this request
    assert AuditEvent.objects.filter(action="logout", detail="idle").count() == 1


@pytest.mark.parametrize("minutes", [14, 31])
def test_the_idle_limit_is_15_to_30_minutes(cast: Cast, minutes: int):
    from django.core.exceptions import ValidationError

    cast.harbour.idle_minutes = minutes
    with pytest.raises(ValidationError, match="idle_minutes"):
        cast.harbour.full_clean()


def test_a_token_stops_working_when_it_expires(cast: Cast):
    _, secret = do_create_token(actor_of(cast.alice), "sync", valid_days=30)
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/clients/").status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        assert api.get("/api/v1/clients/").status_code == 401


def test_the_profile_creates_tokens_with_a_limit(cast: Cast, as_alice: HttpClient):
    as_alice.post("/accounts/tokens/new/", {"name": "sync", "valid_days": "90"})
    token = ApiToken.objects.get(user=cast.alice.user)
    assert (token.expires_at - token.created_at).days == 90
    assert "active until" in as_alice.get("/accounts/profile/").content.decode()


def test_a_password_reset_revokes_every_api_token(cast: Cast, mailoutbox: list[Any]):
    _, secret = do_create_token(actor_of(cast.alice), "sync")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/clients/").status_code == 200
    http = HttpClient()
    http.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/\S+)", mailoutbox[0].body).group(1)
    form_url = http.get(link)["Location"]  # Django moves the token into the session
    response = http.post(
        form_url, {"new_password1": "a quiet lake at dawn", "new_password2": "a quiet lake at dawn"}
    )
    assert response.status_code == 302, response.content[:500]
    assert api.get("/api/v1/clients/").status_code == 401
    assert AuditEvent.objects.filter(action="revoke", detail="api token, password reset").exists()


def test_password_reset_emails_are_throttled_per_account(cast: Cast, mailoutbox: list[Any]):
    for n in range(RESET_MAILS_PER_ACCOUNT + 2):
        http = HttpClient(REMOTE_ADDR=f"192.0.2.{n + 1}")  # from ever new addresses
        response = http.post("/accounts/password/reset/", {"email": "alice@example.org"})
        assert response.status_code == 302  # the same answer either way
    assert len(mailoutbox) == RESET_MAILS_PER_ACCOUNT
    assert AuditEvent.objects.filter(detail__contains="held back").count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        HttpClient().post("/accounts/password/reset/", {"email": "alice@example.org"})
    assert len(mailoutbox) == RESET_MAILS_PER_ACCOUNT + 1
