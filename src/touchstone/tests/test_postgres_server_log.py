"""Neither the application's log nor PostgreSQL's own holds client data when a write fails at
the database (issue 11 §3). PostgreSQL logs `DETAIL: Failing row contains (…)` — the client's
name, birth date and phone, or a visit's SOAP note — and the failed statement unless the server
runs with `log_error_verbosity = terse` and `log_min_error_statement = panic`, as
scripts/postgres.sh starts the test server and docs/deploy.md asks of production.

The server's log is found beside its data directory (scripts/postgres.sh: DIR/data, DIR/log),
read as the owner role; only what this test appends to it is checked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.utils.module_loading import import_string

from touchstone.accounts.actions import do_create_token
from touchstone.care.models import Visit
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.clients import actions as client_actions
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.lib.db_roles import owner_settings
from touchstone.logs import Formatter

CLIENT = {
    "given_name": "Ottoline",
    "family_name": "Quarrington",
    "date_of_birth": "1961-03-17",
    "phone": "617-555-0142",
}
SOAP = "Reports a panic attack on the ferry last Tuesday"


def server_log() -> Path:
    import psycopg

    params = owner_settings(connection.settings_dict)
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params.get("PASSWORD") or None,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
    ) as conn:
        data_directory = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    path = Path(data_directory).parent / "log"
    if not path.is_file():
        pytest.skip(f"no server log at {path}: not a server started by scripts/postgres.sh")
    return path


@contextmanager
def app_log() -> Iterator[io.StringIO]:
    """The application's log as production writes it: its handler's filters, JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Formatter("json"))
    for name in settings.LOGGING["handlers"]["stdout"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def test_failed_writes_leave_no_client_data_in_either_log(cast: Cast, monkeypatch: Any):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's own log")
    log_path = server_log()
    start = log_path.stat().st_size
    client = make_client(cast.harbour, **CLIENT)
    visit = make_visit(
        cast.harbour, client, episode=make_episode(cast.harbour, client), status="scheduled"
    )
    Visit.objects.filter(pk=visit.pk).update(subjective=SOAP)
    _, token = do_create_token(actor_of(cast.bob), "log test")
    http = HttpClient(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")

    def patch(path: str, body: dict[str, Any]) -> int:
        return http.patch(path, data=body, content_type="application/json").status_code

    def forced_update(actor: Any, target: Client, data: dict[str, Any]) -> list[str]:
        Client.objects.filter(pk=target.pk).update(phone=None)  # NOT NULL: the row is refused
        return []

    with app_log() as stream:
        # What the API refuses itself, before the database sees it:
        assert patch(f"/api/v1/clients/{client.pk}", {"phone": None}) == 422
        assert patch(f"/api/v1/care/visits/{visit.pk}", {"subjective": None}) == 422
        # And a write that does reach the database and fails there, quoting the row:
        monkeypatch.setattr(client_actions, "do_update_client", forced_update)
        assert patch(f"/api/v1/clients/{client.pk}", {"city": "Boston"}) == 500
        monkeypatch.undo()
    with connection.cursor() as cursor:  # the visit's row, with its SOAP note, refused too
        cursor.execute("SAVEPOINT log_test")
        with pytest.raises(Exception, match="not-null"):
            cursor.execute("UPDATE care_visit SET subjective = NULL WHERE id = %s", [visit.pk])
        cursor.execute("ROLLBACK TO SAVEPOINT log_test")

    with log_path.open(errors="replace") as file:
        file.seek(start)
        server = file.read()
    application = stream.getvalue()
    assert "violates not-null constraint" in server  # the refusals reached the server's log
    assert "request_failed" in application
    for where, text in (("PostgreSQL's log", server), ("the application log", application)):
        for value in [*CLIENT.values(), SOAP, "Failing row"]:
            assert value not in text, f"{value!r} in {where}"
