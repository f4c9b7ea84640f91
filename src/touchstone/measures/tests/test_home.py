from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, make_client
from touchstone.measures.tests.factories import answered
from touchstone.outcomes.summaries import questionnaires_due
from touchstone.scheduling.tests.factories import make_appointment


def _plan(cast: Cast, **fields: object) -> object:
    values = {
        "started_on": timezone.localdate() - dt.timedelta(days=30),
        "plan_intake": ["phq9", "gad7"],
        "plan_periodic": ["phq9"],
        "plan_every_weeks": 2,
        "plan_each_visit": ["phq2"],
    }
    values.update(fields)
    return make_episode(cast.harbour, make_client(cast.harbour, family_name="Planned"), **values)


def test_it_lists_questionnaires_the_plan_makes_due(cast: Cast):
    episode = _plan(cast)
    answered(episode.client, cast.tess, "gad7", [0] * 7)
    due = {
        (d.instrument_id, d.reason)
        for d in questionnaires_due(cast.bob, timezone.localdate()).items
    }
    assert due == {("phq9", "intake")}  # GAD-7 was done; PHQ-9 never was


def test_a_visit_today_makes_the_session_instruments_due(cast: Cast):
    episode = _plan(cast, plan_intake=[], plan_periodic=[])
    make_visit(cast.harbour, episode.client, starts_at=timezone.now())
    due = questionnaires_due(cast.bob, timezone.localdate()).items
    assert [(d.instrument_id, d.reason) for d in due] == [("phq2", "session")]


def test_a_session_instrument_given_today_is_no_longer_due(cast: Cast):
    # Issue 10 §3: per-visit questionnaires stayed "due" all day after they were given.
    episode = _plan(cast, plan_intake=[], plan_periodic=[], plan_each_visit=["phq2"])
    make_visit(cast.harbour, episode.client, starts_at=timezone.now())
    due = questionnaires_due(cast.bob, timezone.localdate())
    assert [d.instrument_id for d in due.items] == ["phq2"]
    answered(episode.client, cast.tess, "phq2", [1, 1])
    due = questionnaires_due(cast.bob, timezone.localdate())
    assert (due.items, due.count) == ([], 0)


def test_the_home_page_shows_todays_visits_and_due_questionnaires(cast: Cast):
    episode = _plan(cast)
    make_visit(cast.harbour, episode.client, starts_at=timezone.now(), therapist=cast.tess)
    page = cast.browser_for(cast.tess).get("/").content.decode()
    assert "Today's visits" in page and "Planned" in page
    assert "Questionnaires due" in page and "PHQ-9" in page and "at intake" in page


def test_todays_visits_read_in_time_order_walk_ins_included(cast: Cast):
    today = timezone.localdate()
    at = [timezone.make_aware(dt.datetime.combine(today, dt.time(hour))) for hour in (16, 9, 12)]
    make_appointment(cast.harbour, cast.tess, make_client(cast.harbour, family_name="Late"),
                     starts_at=at[0])  # fmt: skip
    make_appointment(cast.harbour, cast.tess, make_client(cast.harbour, family_name="Early"),
                     starts_at=at[1])  # fmt: skip
    make_visit(cast.harbour, make_client(cast.harbour, family_name="Walkin"), starts_at=at[2],
               therapist=cast.tess)  # fmt: skip
    page = cast.browser_for(cast.tess).get("/").content.decode()
    assert page.index("Early") < page.index("Walkin") < page.index("Late")


def test_the_home_page_query_count_does_not_grow_with_episodes_and_visits(cast: Cast):
    http = cast.browser_for(cast.bob)

    def count() -> int:
        cache.clear()  # every view reads the stored lists (not the copy read before)
        with CaptureQueriesContext(connection) as queries:
            http.get("/")
        return len(queries)

    for _ in range(2):
        make_visit(cast.harbour, _plan(cast).client, starts_at=timezone.now())
    count()  # the first view of a clinic builds its lists (outcomes.summaries)
    few = count()
    for _ in range(10):
        make_visit(cast.harbour, _plan(cast).client, starts_at=timezone.now())
    assert count() == few
