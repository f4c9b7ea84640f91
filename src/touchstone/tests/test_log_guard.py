"""The session-wide log guard finds client data in log lines, and only client data."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from touchstone.conftest import Cast, make_client
from touchstone.logs import get_logger
from touchstone.tests.log_guard import LogGuard, searchable


@pytest.fixture
def guard() -> LogGuard:
    """A guard of its own, on a test logger whose lines stop there: the session's guard must
    not see these deliberate leaks."""
    guard = LogGuard()
    logger = logging.getLogger("touchstone.tests.guarded")
    logger.addHandler(guard)
    logger.propagate = False
    yield guard
    logger.propagate = True
    logger.removeHandler(guard)


def test_it_finds_a_client_name_in_a_structured_line(guard: LogGuard):
    guard.remember_text("Zebediah")
    get_logger("touchstone.tests.guarded").info("upload_refused", note="Zebediah's file")
    assert [value for value, _ in guard.leaks()] == ["Zebediah"]


def test_it_finds_a_date_of_birth_and_a_phone_in_plain_lines(guard: LogGuard):
    for text in ("1930-03-14", "617-555-0199", "6175550199", "42 Wisteria Lane"):
        guard.remember_text(text)
    logger = logging.getLogger("touchstone.tests.guarded")
    logger.warning("born 1930-03-14, call 617 555 0199 or 6175550199")
    logger.warning("lives at 42 Wisteria Lane")
    found = sorted(value for value, _ in guard.leaks())
    assert found == ["1930 03 14", "42 Wisteria Lane", "617 555 0199", "6175550199"]


def test_it_matches_whole_words_only(guard: LogGuard):
    guard.remember_text("Dana")
    logging.getLogger("touchstone.tests.guarded").info("Danaher and dana and Dana's")
    assert [line.endswith("Danaher and dana and Dana's") for _, line in guard.leaks()] == [True]
    guard.lines.clear()
    logging.getLogger("touchstone.tests.guarded").info("Danaher and dana")
    assert guard.leaks() == []


def test_it_does_not_search_for_the_words_of_the_apps_own_routes(guard: LogGuard):
    # Request lines name routes; a note that reads "administration" can't be told from one.
    for text in ("administration", "Zebediah administration"):
        guard.remember_text(text)
    get_logger("touchstone.tests.guarded").info(
        "request_started", request="GET /api/v1/administrations/<administration_id>"
    )
    get_logger("touchstone.tests.guarded").info("note", text="Zebediah administration")
    assert [value for value, _ in guard.leaks()] == ["Zebediah administration"]


def test_it_reads_non_ascii_names_through_the_json_escaping(guard: LogGuard):
    guard.remember_text("José")
    get_logger("touchstone.tests.guarded").info("sign_in", who="José")
    assert guard.lines and "José" in guard.lines[0]
    assert len(guard.leaks()) == 1


def test_it_does_not_search_for_what_looks_like_an_id_or_a_duration():
    assert searchable("02139") is None  # a postal code: could be a duration
    assert searchable("02139-4307") is None
    assert searchable("Al") is None
    assert searchable("555-0142-17") == ("555", "0142", "17")
    assert searchable("Ottoline") == ("Ottoline",)


def test_it_remembers_every_client_built_in_the_process(cast: Cast, guard: LogGuard):
    guard.connect()  # also listens to post_init (and the root logger) from here on
    try:
        make_client(cast.harbour, given_name="Philippa", date_of_birth=dt.date(1961, 2, 3))
    finally:
        guard.disconnect()
    assert ("Philippa",) in guard.values
    assert ("1961", "02", "03") in guard.values
    assert ("Example",) in guard.values  # make_client's family name


def test_the_sessions_guard_sees_request_lines_and_client_data(cast: Cast, request):
    session_guard = request.getfixturevalue("_no_client_data_in_any_log_line")
    assert session_guard.attached
    before = len(session_guard.lines)
    make_client(cast.harbour, given_name="Wilhelmina")
    cast.browser_for(cast.alice).get("/clients/?q=Wilhelmina")
    assert ("Wilhelmina",) in session_guard.values
    new = session_guard.lines[before:]
    assert any("request_finished" in line and "GET /clients/" in line for line in new)
