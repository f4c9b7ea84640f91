from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast


def _sign_in(http: HttpClient, username: str, password: str) -> Any:
    return http.post("/accounts/login/", {"username": username, "password": password})


def test_it_signs_in_and_lands_on_the_home_page(cast: Cast, log_events: Any):
    http = HttpClient()
    response = _sign_in(http, "alice", "correct horse battery")
    assert response.status_code == 302
    assert [e["actor_id"] for e in log_events("sign_in")] == [cast.alice.user.pk]
    assert http.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="login", actor=cast.alice.user).exists()


def test_it_refuses_a_wrong_password_and_audits_the_attempt(cast: Cast, log_events: Any):
    response = _sign_in(HttpClient(), "alice", "wrong")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    event = AuditEvent.objects.get(action="login_failed")
    assert "alice" not in event.detail
    assert len(log_events("sign_in_failed")) == 1
    assert "alice" not in str(log_events())


def test_it_locks_out_after_repeated_failures(cast: Cast, settings: Any, log_events: Any):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    http = HttpClient()
    for _ in range(3):
        _sign_in(http, "alice", "wrong")
    response = _sign_in(http, "alice", "correct horse battery")
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert log_events("sign_in_locked_out")
    assert "alice" not in str(log_events())


def test_it_signs_out_only_by_post(cast: Cast, as_alice: HttpClient):
    assert as_alice.get("/accounts/logout/").status_code == 405
    as_alice.post("/accounts/logout/")
    assert as_alice.get("/").status_code == 302
    assert AuditEvent.objects.filter(action="logout").exists()


def test_it_refuses_a_deactivated_staff_member(cast: Cast):
    cast.tess.is_active = False
    cast.tess.save()
    http = cast.browser_for(cast.tess)
    assert http.get("/clients/").status_code == 403


def test_it_hashes_passwords_with_argon2():
    from touchstone import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("username", ["alice", "nobody"])
def test_it_sends_a_reset_link_without_saying_whether_the_account_exists(
    cast: Cast, mailoutbox: list[Any], username: str
):
    email = f"{username}@example.org"
    response = HttpClient().post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert len(mailoutbox) == (1 if username == "alice" else 0)


def test_it_lets_a_member_change_their_password(cast: Cast, as_alice: HttpClient):
    response = as_alice.post(
        "/accounts/password/",
        {
            "old_password": "correct horse battery",
            "new_password1": "a quiet lake at dawn",
            "new_password2": "a quiet lake at dawn",
        },
    )
    assert response.status_code == 302
    cast.alice.user.refresh_from_db()
    assert cast.alice.user.check_password("a quiet lake at dawn")


def test_behind_a_proxy_it_locks_out_the_guessers_address_not_the_proxys(cast: Cast, settings: Any):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUST_X_FORWARDED_FOR = True
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    guesser = HttpClient(HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    for _ in range(3):
        _sign_in(guesser, "alice", "wrong")
    assert _sign_in(guesser, "alice", "correct horse battery").status_code == 429
    alice = HttpClient(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert _sign_in(alice, "alice", "correct horse battery").status_code == 302
