from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.api_auth import LAST_USED_RESOLUTION
from touchstone.accounts.models import ApiToken, hash_token
from touchstone.conftest import Cast, actor_of


def test_it_shows_a_new_token_once_and_stores_only_its_hash(cast: Cast, as_alice: HttpClient):
    page = as_alice.post("/accounts/tokens/new/", {"name": "REDCap sync"}).content.decode()
    secret = re.search(r"ts_[0-9a-f]{8}_[\w-]+", page).group(0)
    token = ApiToken.objects.get(user=cast.alice.user)
    assert token.key_hash == hash_token(secret)
    assert secret not in token.key_hash and secret not in str(token.__dict__)
    assert secret not in as_alice.get("/accounts/profile/").content.decode()


def test_it_revokes_a_token_so_the_api_refuses_it(cast: Cast, as_alice: HttpClient):
    page = as_alice.post("/accounts/tokens/new/", {"name": "x"}).content.decode()
    secret = re.search(r"ts_[0-9a-f]{8}_[\w-]+", page).group(0)
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/clients/").status_code == 200
    token = ApiToken.objects.get(user=cast.alice.user)
    as_alice.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/clients/").status_code == 401


def test_it_does_not_let_a_colleague_revoke_someone_elses_token(cast: Cast):
    call_command("token", "alice", stdout=io.StringIO())
    token = ApiToken.objects.get(user=cast.alice.user)
    response = cast.browser_for(cast.bob).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_command_prints_a_working_token(cast: Cast):
    out = io.StringIO()
    call_command("token", "bob", stdout=out)
    secret = out.getvalue().strip()
    response = HttpClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_the_token_command_refuses_an_unknown_user(cast: Cast):
    with pytest.raises(CommandError, match="no active user named 'zed'"):
        call_command("token", "zed")


def _token_writes(api: HttpClient, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert api.get(path).status_code == 200
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("UPDATE") and "accounts_apitoken" in q["sql"]
    ]


def test_a_token_notes_its_use_at_most_once_per_span_not_on_every_request(cast: Cast):
    _, secret = do_create_token(actor_of(cast.tess), "script")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {secret}")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert len(_token_writes(api, "/api/v1/clients/")) == 1  # first use
        assert _token_writes(api, "/api/v1/clients/") == []
        assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + LAST_USED_RESOLUTION - dt.timedelta(seconds=1), tick=False):
        assert _token_writes(api, "/api/v1/clients/") == []
    with time_machine.travel(start + LAST_USED_RESOLUTION, tick=False):
        assert len(_token_writes(api, "/api/v1/clients/")) == 1
        assert ApiToken.objects.get().last_used_at == start + LAST_USED_RESOLUTION
