"""The application log's format: JSON lines with ids, routes instead of URLs, exceptions
without their message, other libraries' text masked; jobs under one id."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.logs import Formatter, get_logger, job
from touchstone.logs.middleware import route_of
from touchstone.portal.actions import do_create_portal_link
from touchstone.portal.models import Purpose


def _format(record: logging.LogRecord) -> dict[str, Any]:
    return json.loads(Formatter("json").format(record))


def _record(logger: str, message: str, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord(logger, logging.ERROR, __file__, 1, message, (), exc_info)


def test_an_exception_is_logged_as_its_type_and_frames_without_its_message(log_events):
    try:
        int("Ottilie")
    except ValueError:
        get_logger("touchstone.tests").exception("boom")
    [line] = log_events("boom")
    assert line["exception"][0]["type"] == "ValueError"
    assert line["exception"][0]["frames"][-1]["function"] == (
        "test_an_exception_is_logged_as_its_type_and_frames_without_its_message"
    )
    assert "Ottilie" not in json.dumps(line)


def test_other_libraries_lines_lose_query_strings_and_tokens_and_their_exceptions_message():
    token = "eyJpZCI6MywibiI6ImFiYyJ9:1tQxyz:Zm9vYmFyYmF6cXV4cXV1eA"
    served = _format(_record("django.server", '"GET /clients/?q=Ottilie HTTP/1.1" 200 512'))
    assert served["event"] == '"GET /clients/?… HTTP/1.1" 200 512'
    assert _format(_record("django.request", f"Not Found: /p/{token}/"))["event"] == (
        "Not Found: /p/…/"
    )
    try:
        raise KeyError("Ottilie")
    except KeyError:
        failed = _format(_record("django.request", "Internal Server Error", sys.exc_info()))
    assert failed["exception"][0]["type"] == "KeyError" and "Ottilie" not in json.dumps(failed)


def test_a_line_reads_time_level_logger_event_first():
    line = Formatter("json").format(_record("touchstone.tests", "event_name"))
    assert list(json.loads(line))[:4] == ["timestamp", "level", "logger", "event"]


def test_requests_are_named_by_their_route_not_their_path():
    factory = RequestFactory()
    assert route_of(factory.get("/clients/12/?q=Ottilie")) == "GET /clients/<int:client_id>/"
    assert route_of(factory.get("/p/some-token/")) == "GET /p/<str:token>/"
    assert route_of(factory.post("/no/such/page/")) == "POST (no route)"


def test_a_portal_request_names_its_clinic_and_no_token(cast: Cast, log_events):
    client = make_client(cast.harbour)
    expires = timezone.now() + dt.timedelta(days=7)
    link = do_create_portal_link(actor_of(cast.tess), client, Purpose.PROGRESS, [], expires)
    HttpClient().get(f"/p/{link.token}/")
    [finished] = log_events("request_finished")
    assert finished["clinic_id"] == cast.harbour.pk and finished["actor_id"] is None
    assert finished["request"] == "GET /p/<str:token>/"
    assert link.token not in json.dumps(log_events())


def test_an_api_request_names_its_clinic_and_actor(cast: Cast, log_events):
    _, key = do_create_token(actor_of(cast.bob), "logs")
    HttpClient().get("/api/v1/clients/", HTTP_AUTHORIZATION=f"Bearer {key}")
    [finished] = log_events("request_finished")
    assert finished["code"] == 200 and finished["request"].startswith("GET /api/v1/")
    assert (finished["clinic_id"], finished["actor_id"]) == (cast.harbour.pk, cast.bob.user.pk)


def test_a_job_binds_one_id_to_its_lines_and_logs_how_it_ended(log_events):
    with job("nightly", clinics=2):
        get_logger("touchstone.tests").info("step")
    with pytest.raises(RuntimeError), job("nightly"):
        raise RuntimeError("Ottilie")
    with pytest.raises(ValueError), job("nightly", refusals=(ValueError,)):
        raise ValueError("bad input")
    started, finished, step, failed, refused = (
        log_events("job_started"),
        log_events("job_finished"),
        log_events("step"),
        log_events("job_failed"),
        log_events("job_refused"),
    )
    assert started[0]["clinics"] == 2 and started[0]["job"] == "nightly"
    assert started[0]["job_id"] == step[0]["job_id"] == finished[0]["job_id"]
    assert failed[0]["job_id"] == started[1]["job_id"] != started[0]["job_id"]
    assert failed[0]["error"] == "RuntimeError" and "Ottilie" not in json.dumps(failed)
    assert failed[0]["level"] == "error"
    assert (refused[0]["level"], refused[0]["job_id"]) == ("info", started[2]["job_id"])
    assert finished[0]["duration_ms"] >= 0
    get_logger("touchstone.tests").info("after")
    assert "job_id" not in log_events("after")[0]


def test_the_command_keeps_stdout_for_its_result_and_logs_on_stderr():
    touchstone = Path(sys.executable).parent / "touchstone"
    env = {**os.environ, "LOG_LEVEL": "INFO"}  # as for a command run by cron
    done = subprocess.run(
        [touchstone, "score", "gad2", "1", "2"], capture_output=True, text=True, env=env,
        check=True, timeout=120,
    )  # fmt: skip
    assert json.loads(done.stdout)["total"] == 3  # stdout: the result, nothing else
    events = [json.loads(line)["event"] for line in done.stderr.splitlines()]
    assert events == ["job_started", "job_finished"]
    quiet = {k: v for k, v in os.environ.items() if k != "LOG_LEVEL"}  # a person's terminal
    done = subprocess.run(
        [touchstone, "score", "gad2", "1", "2"], capture_output=True, text=True, env=quiet,
        check=True, timeout=120,
    )  # fmt: skip
    assert done.stderr == ""


# --- database errors (issue 11 §3) ------------------------------------------------------------


def _production_handler(stream: io.StringIO, formatter: logging.Formatter) -> logging.Handler:
    """A handler with the filters ``settings.LOGGING`` gives the server's handler."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for name in settings.LOGGING["handlers"]["stdout"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    return handler


def _refused_row(client_name: str) -> BaseException:
    """A real error of this run's database, quoting a row that holds ``client_name``."""
    from django.db import IntegrityError, connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE probe_row (name text, phone text NOT NULL)")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO probe_row VALUES (%s, NULL)", [client_name])
    except IntegrityError as error:
        return error
    raise AssertionError("the database accepted a NULL in a NOT NULL column")


@pytest.mark.django_db
def test_no_handler_writes_what_a_database_error_quotes(cast: Cast):
    """With a plain formatter that prints the traceback and message (as an e-mail or
    error-tracker handler would), the row PostgreSQL quotes stays out of the line."""
    error = _refused_row("Ottilie Quarantine")
    if "Ottilie" not in str(error.__cause__ or error):
        pytest.skip("this database's error does not quote the row (SQLite)")
    record = _record("django.request", "Internal Server Error: %s", None)
    record.args = ("/api/v1/clients/5",)
    record.exc_info = (type(error), error, error.__traceback__)
    unfiltered = io.StringIO()
    plain = logging.StreamHandler(unfiltered)
    plain.setFormatter(logging.Formatter("%(message)s"))
    plain.handle(logging.makeLogRecord(record.__dict__))
    assert "Ottilie" in unfiltered.getvalue()  # what the log held before
    for formatter in (logging.Formatter("%(message)s"), Formatter("json"), Formatter("console")):
        stream = io.StringIO()
        _production_handler(stream, formatter).handle(logging.makeLogRecord(record.__dict__))
        line = stream.getvalue()
        assert "IntegrityError" in line or "NotNullViolation" in line
        assert "Ottilie" not in line and "Failing row" not in line and "DETAIL" not in line


def test_it_cuts_detail_lines_from_any_message_and_keeps_the_line():
    from touchstone.logs.filters import DropDatabaseDetails

    record = _record(
        "touchstone.anything",
        'null value in column "phone"\nDETAIL:  Failing row contains (7, Ottilie, 617-555-0199).',
    )
    assert DropDatabaseDetails().filter(record) is True
    assert "Ottilie" not in record.getMessage() and 'column "phone"' in record.getMessage()


def test_query_lines_keep_only_their_duration_and_alias():
    from touchstone.logs.filters import DropDatabaseDetails

    record = logging.LogRecord(
        "django.db.backends", logging.DEBUG, __file__, 1, "(%.3f) %s; args=%s; alias=%s",
        (0.002, "UPDATE clients_client SET phone = '617-555-0199'", ("617-555-0199",), "default"),
        None,
    )  # fmt: skip
    record.alias, record.sql, record.params = "default", "UPDATE …", ("617-555-0199",)
    DropDatabaseDetails().filter(record)
    assert "617" not in record.getMessage() and record.params is None
    assert "0.002" in record.getMessage() and "default" in record.getMessage()
