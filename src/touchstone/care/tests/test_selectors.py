"""The read helpers other pages use: fixed query counts, right rows."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.care.models import ContraindicationScreen, Diagnosis
from touchstone.care.selectors import (
    body_map_series,
    client_care_summary,
    ratings_series,
    visits_today,
)
from touchstone.care.tests.factories import make_episode, make_medication, make_visit
from touchstone.conftest import Cast, make_client


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


def test_it_lists_todays_visits_own_first_in_one_query(cast: Cast, django_assert_num_queries):
    today = timezone.localdate()
    at = timezone.make_aware(dt.datetime.combine(today, dt.time(9)))
    bobs = make_visit(cast.harbour, therapist=cast.bob, starts_at=at)
    tess = make_visit(cast.harbour, therapist=cast.tess, starts_at=at + dt.timedelta(hours=2))
    make_visit(cast.harbour, therapist=cast.tess, starts_at=at - dt.timedelta(days=1))
    make_visit(cast.northside, starts_at=at)
    with django_assert_num_queries(1):
        rows = visits_today(cast.tess, today)
        names = [(v.client.family_name, v.therapist.display_name) for v in rows]
    assert [v.pk for v in rows] == [tess.pk, bobs.pk]
    assert len(names) == 2


def test_it_summarises_care_in_a_fixed_number_of_queries(cast: Cast):
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client=client)
    Diagnosis.objects.create(
        clinic=cast.harbour, episode=episode, code="F41.1", source="clinic", entered_by=cast.bob
    )
    make_visit(cast.harbour, client=client)
    make_medication(cast.harbour, client=client)
    few = _count(lambda: client_care_summary(cast.bob, client))
    for _ in range(5):
        e = make_episode(cast.harbour, client=client)
        Diagnosis.objects.create(
            clinic=cast.harbour, episode=e, code="F32.A", source="clinic", entered_by=cast.bob
        )
        make_visit(cast.harbour, client=client)
        make_medication(cast.harbour, client=client)

    def render_summary() -> None:
        summary = client_care_summary(cast.bob, client)
        [d.code for e in summary.episodes for d in e.diagnoses.all()]

    assert _count(render_summary) == few <= 6
    summary = client_care_summary(cast.tess, client)
    assert summary.can_view and not summary.can_see_diagnoses
    front_desk = client_care_summary(cast.fiona, client)
    assert not front_desk.can_view and front_desk.episodes == []


def test_it_gives_the_screen_to_the_summary(cast: Cast):
    client = make_client(cast.harbour)
    assert client_care_summary(cast.tess, client).current_screen is None
    ContraindicationScreen.objects.create(
        clinic=cast.harbour, client=client, screened_by=cast.tess, items=["fever"]
    )
    assert client_care_summary(cast.fiona, client).current_screen.result == "clearance"


def test_it_gives_body_map_and_rating_series_in_one_query_each(
    cast: Cast, django_assert_num_queries
):
    client = make_client(cast.harbour)
    start = timezone.make_aware(dt.datetime(2025, 1, 6, 10))
    for week in range(4):
        make_visit(
            cast.harbour,
            client=client,
            starts_at=start + dt.timedelta(weeks=week),
            body_map={"neck_back": 3 - week, "jaw": 1} if week < 3 else {},
            tension_before=8 - week,
            tension_after=4 - week,
        )
    make_visit(cast.harbour, client=client, status="scheduled")
    with django_assert_num_queries(1):
        series = body_map_series(cast.tess, client)
    assert [(r["date"].isoformat(), r["region"], r["level"]) for r in series][:2] == [
        ("2025-01-06", "jaw", 1),
        ("2025-01-06", "neck_back", 3),
    ]
    assert len(series) == 6  # weeks 0-2 x two regions; the empty map adds nothing
    with django_assert_num_queries(1):
        ratings = ratings_series(cast.tess, client)
    assert ratings[0]["ratings"]["tension"] == {"before": 8, "after": 4}
    assert len(ratings) == 4
