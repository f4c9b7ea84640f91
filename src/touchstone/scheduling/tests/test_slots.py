"""Interval arithmetic, working hours in the clinic's zone, the free-slot search a client's
booking page offers, and the selector other apps read appointments through."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from touchstone.conftest import Cast
from touchstone.scheduling.availability import working_blocks
from touchstone.scheduling.intervals import covers, merge, starts_within, subtract
from touchstone.scheduling.models import UPCOMING, BookingPolicy, HoursException, Status
from touchstone.scheduling.selectors import appointments_between
from touchstone.scheduling.slots import free_slots
from touchstone.scheduling.tests.factories import (
    local,
    make_appointment,
    make_location,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)

T0 = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def h(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


def test_it_merges_and_subtracts_half_open_intervals():
    assert merge([(h(2), h(3)), (h(0), h(1)), (h(1), h(2))]) == [(h(0), h(3))]
    assert subtract([(h(0), h(8))], [(h(3), h(4)), (h(7), h(9))]) == [(h(0), h(3)), (h(4), h(7))]
    assert covers([(h(0), h(3)), (h(3), h(5))], h(2), h(4))
    assert not covers([(h(0), h(3))], h(2), h(4))


def test_starts_are_on_the_grid_and_fit_the_duration():
    starts = list(
        starts_within([(h(0.25), h(2))], dt.timedelta(hours=1), dt.timedelta(minutes=30), T0)
    )
    assert starts == [h(0.5), h(1)]


@pytest.fixture
def chicago(cast: Cast) -> Cast:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    make_weekday_hours(cast.harbour, cast.tess)
    return cast


def test_hours_are_the_clinic_wall_clock_across_daylight_saving(chicago: Cast):
    # 2026-03-06 is a Friday in CST (UTC-6), 2026-03-09 a Monday in CDT (UTC-5).
    blocks = working_blocks(
        chicago.harbour, [chicago.tess.pk], dt.date(2026, 3, 6), dt.date(2026, 3, 9)
    )
    starts = [b.start.astimezone(dt.UTC) for b in blocks[chicago.tess.pk]]
    assert starts == [
        dt.datetime(2026, 3, 6, 15, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 6, 19, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 14, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 9, 18, tzinfo=dt.UTC),
    ]


def test_an_exception_replaces_the_weekly_hours_of_its_date(chicago: Cast):
    day = dt.date(2026, 3, 10)
    HoursException.objects.create(
        clinic=chicago.harbour,
        staff=chicago.tess,
        location=make_location(chicago.harbour),
        day=day,
        starts=dt.time(14),
        ends=dt.time(20),
    )
    blocks = working_blocks(chicago.harbour, [chicago.tess.pk], day, day)[chicago.tess.pk]
    assert [(b.start.hour, b.end.hour) for b in blocks] == [(14, 20)]


def test_free_slots_leave_out_booked_time_the_notice_and_full_rooms(chicago: Cast):
    service = make_service(chicago.harbour)
    room = make_room(chicago.harbour)
    day = next_weekday(1, timezone.localdate(timezone.now(), chicago.harbour.zone))
    make_appointment(
        chicago.harbour, chicago.tess, starts_at=local(day, 10, clinic=chicago.harbour), room=room
    )
    policy = BookingPolicy(clinic=chicago.harbour, slot_step_min=60, min_notice_hours=0)
    slots = free_slots(
        chicago.harbour, policy, service, staff_ids=[chicago.tess.pk], first=day, last=day
    )
    hours = [timezone.localtime(s.start, chicago.harbour.zone).hour for s in slots]
    assert hours == [9, 11, 13, 14, 15, 16]
    assert {s.room_id for s in slots} == {room.pk}
    # A start closer than the minimum notice is not offered.
    now = local(day, 9, clinic=chicago.harbour) - dt.timedelta(hours=1)
    policy.min_notice_hours = 3
    late = free_slots(
        chicago.harbour, policy, service, staff_ids=[chicago.tess.pk], first=day, last=day, now=now
    )
    assert timezone.localtime(late[0].start, chicago.harbour.zone).hour == 11


def test_appointments_between_is_one_query_and_filters(
    chicago: Cast, django_assert_num_queries: object
):
    day = next_weekday(1)
    for hour in (9, 10, 11):
        make_appointment(
            chicago.harbour, chicago.tess, starts_at=local(day, hour, clinic=chicago.harbour)
        )
    make_appointment(
        chicago.harbour,
        chicago.tess,
        starts_at=local(day, 13, clinic=chicago.harbour),
        status=Status.CANCELLED,
    )
    make_appointment(
        chicago.northside, chicago.charlie, starts_at=local(day, 9, clinic=chicago.harbour)
    )
    start, end = local(day, 9, 30, chicago.harbour), local(day, 17, clinic=chicago.harbour)
    with django_assert_num_queries(1):  # type: ignore[operator]
        rows = [
            (a.client.given_name, a.service.name, a.staff.user.username)
            for a in appointments_between(chicago.harbour, start, end, statuses=UPCOMING)
        ]
    assert len(rows) == 3  # 9:00-10:00 overlaps 9:30; the cancelled one and Northside's do not
