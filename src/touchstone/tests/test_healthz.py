from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings

from touchstone.operations.models import Heartbeat


@contextmanager
def _read_only_database() -> Iterator[None]:
    """Make the connection refuse writes, as a read-only replica or a locked file would."""
    if connection.vendor == "postgresql":
        on = "SET default_transaction_read_only = on"
        off = "SET default_transaction_read_only = off"
    else:
        on, off = "PRAGMA query_only = 1", "PRAGMA query_only = 0"
    with connection.cursor() as cursor:
        cursor.execute(on)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(off)


def test_it_answers_200_when_the_database_commits_a_write(db: object):
    response = HttpClient().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert Heartbeat.objects.get().at is not None


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_database_answers_but_refuses_writes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # reads still work
    with _read_only_database():
        response = HttpClient().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error"}


@override_settings(SECURE_SSL_REDIRECT=True)
def test_it_is_exempt_from_the_https_redirect(db: object):
    client = HttpClient()
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


@override_settings(ALLOWED_HOSTS=["touchstone.example.org"])
def test_it_answers_a_probe_of_the_servers_own_address_without_a_host_error(
    db: object, caplog: pytest.LogCaptureFixture
):
    # docs/deploy.md has monitors probe http://127.0.0.1:8001/healthz; with production's
    # ALLOWED_HOSTS that answered 400 and logged a DisallowedHost error on every probe.
    probe = HttpClient(HTTP_HOST="127.0.0.1:8001")
    with caplog.at_level("WARNING", logger="django.security"):
        response = probe.get("/healthz")
        head = probe.head("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert head.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert caplog.records == []


@override_settings(ALLOWED_HOSTS=["touchstone.example.org"])
def test_every_other_path_and_method_still_checks_the_host(db: object):
    stranger = HttpClient(HTTP_HOST="evil.example.com")
    assert stranger.get("/accounts/login/").status_code == 400
    assert stranger.get("/healthz/").status_code == 400
    assert stranger.get("/healthz/x").status_code == 400
    assert stranger.post("/healthz").status_code == 400
    assert HttpClient(HTTP_HOST="touchstone.example.org").get("/healthz").status_code == 200
