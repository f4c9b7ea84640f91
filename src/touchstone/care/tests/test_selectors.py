"""The read helpers other pages use: fixed query counts, right rows."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.care.models import ContraindicationScreen, Diagnosis
from touchstone.care.selectors import client_care_summary, massage_progress
from touchstone.care.tests.factories import make_episode, make_medication, make_visit
from touchstone.conftest import Cast, make_client


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx)


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


def test_it_gives_the_massage_record_over_time_in_one_query(cast: Cast, django_assert_num_queries):
    client = make_client(cast.harbour)
    start = timezone.make_aware(dt.datetime(2025, 1, 6, 10))
    for week in range(4):
        make_visit(
            cast.harbour,
            client=client,
            therapist=cast.tess,
            starts_at=start + dt.timedelta(weeks=week),
            body_map={"neck_back": 3 - week, "jaw": 1} if week < 3 else {},
            tension_before=8 - week,
            tension_after=4 - week,
        )
    make_visit(cast.harbour, client=client, therapist=cast.tess, status="scheduled")
    with django_assert_num_queries(1):  # the visits, their therapists and the rows shown
        progress = massage_progress(cast.tess, client)
        assert progress is not None
        items = str(progress.visit_items)
        ratings = str(progress.rating_rows)
        str(progress.body_rows)
    # Completed visits only, oldest first; the empty map adds no column.
    assert progress.body_dates == ["2025-01-06", "2025-01-13", "2025-01-20"]
    assert [levels for _, levels in progress.body_table] == [[3, 2, 1], [1, 1, 1]]
    assert [r["ratings"]["tension"] for r in progress.ratings][:2] == [
        {"before": 8, "after": 4},
        {"before": 7, "after": 3},
    ]
    assert ratings.startswith("<tr><td>2025-01-06</td><td>8 → 4</td><td>— → —</td>")
    # Every visit, newest first (the scheduled one too), with who gave it.
    assert [v.status for v in progress.visits] == ["scheduled", *["completed"] * 4]
    assert items.count("<li>") == 5 and cast.tess.display_name in items
    assert massage_progress(cast.fiona, client) is None  # front desk: no massage record
