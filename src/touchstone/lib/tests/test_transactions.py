"""Reads run in autocommit (no write lock on SQLite), writes in one transaction."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from touchstone.conftest import Cast, make_client
from touchstone.lib.transactions import AtomicWritesMiddleware
from touchstone.outcomes.summaries import refresh_lists


def _atomic_during(http: Any, method: str, url: str, **data: Any) -> set[bool]:
    """Whether each query of the request ran inside a transaction. The audit event a read
    records is a write of its own: its short transaction (the hash chain's lock, the head, the
    insert: audit/models.py) is not the page's."""
    seen: set[bool] = set()

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "audit_auditevent" not in sql and "pg_advisory_xact_lock" not in sql:
            seen.add(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        getattr(http, method)(url, data)
    return seen


@pytest.mark.django_db(transaction=True)
def test_it_reads_pages_outside_any_transaction(cast: Cast):
    # On SQLite every transaction is BEGIN IMMEDIATE: the only write lock. A read must not
    # hold it, or a long import makes every page fail with "database is locked".
    client = make_client(cast.harbour)
    refresh_lists(cast.harbour)  # built once, on first use: a write
    http = cast.browser_for(cast.bob)
    for url in ("/", "/clients/", f"/clients/{client.pk}/", f"/clients/{client.pk}/progress/"):
        assert _atomic_during(http, "get", url) == {False}, url


@pytest.mark.django_db(transaction=True)
def test_it_writes_a_form_in_one_transaction(cast: Cast):
    http = cast.browser_for(cast.fiona)
    data = {"given_name": "Ada", "family_name": "Atomic", "date_of_birth": "1990-01-01"}
    seen = _atomic_during(http, "post", "/clients/new/", **data)
    assert True in seen


def test_it_keeps_non_atomic_views_out_of_the_transaction(rf: RequestFactory, db: Any):
    inside: list[bool] = []

    def view(request: Any) -> HttpResponse:
        inside.append(connection.in_atomic_block)
        return HttpResponse()

    middleware = AtomicWritesMiddleware(lambda request: HttpResponse())
    assert middleware.process_view(rf.post("/"), view, (), {}) is not None
    # Django runs these two itself, outside any transaction:
    assert middleware.process_view(rf.get("/"), view, (), {}) is None
    non_atomic = transaction.non_atomic_requests(view)
    assert middleware.process_view(rf.post("/"), non_atomic, (), {}) is None
    assert inside == [True]


def test_it_waits_for_the_write_lock_longer_than_five_seconds():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("SQLite's busy timeout")
    assert settings.DATABASES["default"]["OPTIONS"]["timeout"] >= 30
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False


def _database_settings(database_url: str, expression: str) -> list[str]:
    """What ``expression`` (over ``d``, the default database's settings) prints in a fresh
    process started with ``database_url`` and no ``DATABASE_CONN_MAX_AGE``."""
    code = (
        f"from django.conf import settings; d = settings.DATABASES['default']; print({expression})"
    )
    result = subprocess.run(
        [sys.executable, "-m", "touchstone", "shell", "--verbosity=0", "-c", code],
        env={k: v for k, v in os.environ.items() if k != "DATABASE_CONN_MAX_AGE"}
        | {"DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.slow
def test_it_keeps_postgresql_connections_with_health_checks():
    seen = _database_settings(
        "postgres://touchstone@127.0.0.1:1/touchstone", "d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS']"
    )
    assert seen == ["600", "True"]


@pytest.mark.slow
def test_it_keeps_sqlite_connections_with_a_larger_page_cache():
    """A new SQLite connection parses the whole schema on its first query (7-8 ms for the
    app's tables and indexes) and starts with an empty page cache: workers keep theirs."""
    seen = _database_settings(
        "sqlite:////tmp/touchstone-settings-check.sqlite3",
        "d['CONN_MAX_AGE'], 'cache_size=-32768' in d['OPTIONS']['init_command']",
    )
    assert seen == ["600", "True"]
