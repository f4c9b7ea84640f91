"""The calendar pages as the front desk uses them: book, move, check in, cancel; what they
may not read; the day and week views in the clinic's time zone and in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts.roles import Role
from touchstone.care.models import Visit
from touchstone.conftest import Cast, make_client, make_member
from touchstone.scheduling.models import Appointment, Status
from touchstone.scheduling.tests.factories import (
    local,
    make_appointment,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)


@pytest.fixture
def desk(cast: Cast) -> dict[str, Any]:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    make_weekday_hours(cast.harbour, cast.tess)
    return {
        "service": make_service(cast.harbour),
        "client": make_client(cast.harbour, given_name="Morgan"),
        "room": make_room(cast.harbour),
        "day": next_weekday(1, timezone.localdate(timezone.now(), cast.harbour.zone)),
    }


def _book(cast: Cast, desk: dict, time: str, **extra: str) -> Any:
    return cast.browser_for(cast.fiona).post(
        "/calendar/new/",
        {
            "client": desk["client"].pk,
            "service": desk["service"].pk,
            "staff": cast.tess.pk,
            "day": desk["day"].isoformat(),
            "time": time,
            "room": desk["room"].pk,
            **extra,
        },
    )


def test_front_desk_books_moves_and_checks_in_and_the_therapist_documents(cast: Cast, desk: dict):
    response = _book(cast, desk, "10:00")
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert timezone.localtime(appointment.starts_at, cast.harbour.zone).hour == 10
    http = cast.browser_for(cast.fiona)
    page = http.get(f"/calendar/?date={desk['day']}").content.decode()
    assert "Morgan" in page and "10:00–11:00" in page  # Chicago's wall clock

    # A taken time is refused next to the field, naming the appointment in the way.
    refused = _book(cast, desk, "10:30")
    assert refused.status_code == 200
    assert f"appointment {appointment.pk}" in refused.content.decode()

    http.post(
        f"/calendar/appointments/{appointment.pk}/move/",
        {"day": desk["day"].isoformat(), "time": "14:00", "staff": cast.tess.pk},
    )
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at, cast.harbour.zone).hour == 14

    with time_machine.travel(appointment.starts_at - dt.timedelta(minutes=10), tick=False):
        http = cast.browser_for(cast.fiona)  # a fresh sign-in on the day
        response = http.post(
            f"/calendar/appointments/{appointment.pk}/status/", {"status": "arrived"}
        )
        assert response.status_code == 302 and "/calendar/" in response["Location"]
        appointment.refresh_from_db()
        assert appointment.status == Status.ARRIVED and appointment.visit_id
        # The therapist lands on the visit the check-in created, prefilled.
        page = cast.browser_for(cast.tess).get(f"/care/visits/{appointment.visit_id}/edit/")
        assert page.status_code == 200
        home = cast.browser_for(cast.tess).get("/").content.decode()
        assert "Morgan" in home.split("Today's visits", 1)[1].split("</section>", 1)[0]
    assert Visit.objects.get().therapist == cast.tess


def test_front_desk_never_reaches_the_visit_notes_from_the_appointment(cast: Cast, desk: dict):
    appointment = make_appointment(cast.harbour, cast.tess, desk["client"])
    page = cast.browser_for(cast.fiona).get(f"/calendar/appointments/{appointment.pk}/")
    assert page.status_code == 200
    assert "/care/visits/" not in page.content.decode()


def test_the_appointment_page_keeps_cancel_secondary_and_says_when_nothing_changed(
    cast: Cast, desk: dict
):
    # Issue 17 phone walk: "Cancel (late)" looked like "Check in", and an empty History was a
    # row of headings.
    appointment = make_appointment(cast.harbour, cast.tess, desk["client"])
    appointment.history.all().delete()  # as the demo clinic's bulk-made appointments
    page = cast.browser_for(cast.fiona).get(f"/calendar/appointments/{appointment.pk}/")
    html = page.content.decode()
    assert '<button type="submit" class="danger">Cancel' in html
    assert '<button type="submit">Check in' in html or '<button type="submit">Confirm' in html
    assert "No changes yet." in html and '<th scope="col">When</th>' not in html


def test_outside_hours_needs_the_reason_on_the_form(cast: Cast, desk: dict):
    refused = _book(cast, desk, "12:15")
    assert "Outside Tess" in refused.content.decode() and not Appointment.objects.exists()
    # The message names the field there is (a reason), not a choice the form does not have.
    assert "say why in “Book outside hours because”" in refused.content.decode()
    assert _book(cast, desk, "12:15", override_reason="Lunch slot requested").status_code == 302
    assert Appointment.objects.get().outside_hours


def test_a_cancellation_inside_the_notice_is_late(cast: Cast, desk: dict):
    appointment = make_appointment(
        cast.harbour, cast.tess, desk["client"], local(desk["day"], 10, clinic=cast.harbour)
    )
    with time_machine.travel(appointment.starts_at - dt.timedelta(hours=2), tick=False):
        cast.browser_for(cast.fiona).post(
            f"/calendar/appointments/{appointment.pk}/status/",
            {"status": "cancelled", "by_client": "1", "reason": "Car trouble"},
        )
    appointment.refresh_from_db()
    assert appointment.status == Status.LATE_CANCELLED and appointment.cancelled_by_client


def test_the_week_view_runs_a_fixed_number_of_queries(cast: Cast, desk: dict):
    http = cast.browser_for(cast.alice)
    url = f"/calendar/?view=week&date={desk['day']}"
    http.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert http.get(url).status_code == 200
        return len(queries)

    few = count()
    make_weekday_hours(cast.harbour, cast.bob)
    for n in range(12):
        day = desk["day"] + dt.timedelta(days=n % 4)
        staff = cast.tess if n % 2 else cast.bob
        make_appointment(
            cast.harbour,
            staff,
            make_client(cast.harbour, given_name=f"C{n}"),
            local(day, 9 + n // 2, clinic=cast.harbour),
        )
    assert count() == few


def test_the_week_views_query_count_does_not_grow_with_the_staff(cast: Cast, desk: dict):
    """bench/calendar_week.py times 20 staff and 1,500 appointments; here the count is
    checked: more staff members, with hours and appointments, add no query."""
    http = cast.browser_for(cast.alice)
    url = f"/calendar/?view=week&date={desk['day']}"
    http.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert http.get(url).status_code == 200
        return len(queries)

    few = count()
    for n in range(5):
        member = make_member(cast.harbour, f"therapist{n}", Role.THERAPIST)
        make_weekday_hours(cast.harbour, member)
        for day in range(3):
            make_appointment(
                cast.harbour,
                member,
                make_client(cast.harbour, given_name=f"T{n}{day}"),
                local(desk["day"] + dt.timedelta(days=day), 10, clinic=cast.harbour),
            )
    assert count() == few


def test_the_clinic_week_is_a_grid_that_leads_to_each_day_and_appointment(cast: Cast, desk: dict):
    """The whole clinic's week counts per staff member and day (1,500 cards on one page were
    too slow to render); each count opens that staff member's day with its cards, and each
    time opens the appointment, where the front desk checks in, moves or cancels."""
    day = desk["day"]
    morning = make_appointment(
        cast.harbour, cast.tess, desk["client"], local(day, 9, clinic=cast.harbour)
    )
    make_appointment(
        cast.harbour, cast.tess, make_client(cast.harbour), local(day, 14, clinic=cast.harbour)
    )
    cancelled = make_appointment(
        cast.harbour,
        cast.tess,
        make_client(cast.harbour),
        local(day, 11, clinic=cast.harbour),
        status=Status.CANCELLED,
    )
    http = cast.browser_for(cast.fiona)
    week = http.get(f"/calendar/?view=week&date={day}").content.decode()
    cell = week.split(f"date={day}&amp;staff={cast.tess.pk}", 1)[1].split("</td>", 1)[0]
    assert "2 booked" in cell and "09:00–15:00" in cell  # Chicago's wall clock, 60-minute visits
    assert "1 cancelled or no-show" in cell
    assert f'href="/calendar/appointments/{morning.pk}/">09:00</a>' in cell
    assert f'href="/calendar/appointments/{cancelled.pk}/"><s>11:00</s>' in cell
    assert "Morgan" not in week  # names are on the day's cards, not in the grid

    day_view = http.get(f"/calendar/?view=day&date={day}&staff={cast.tess.pk}").content.decode()
    assert "Morgan" in day_view and f"/calendar/appointments/{morning.pk}/" in day_view
    one_week = http.get(f"/calendar/?view=week&date={day}&staff={cast.tess.pk}").content.decode()
    assert "Morgan" in one_week  # one staff member's week keeps its cards


def test_a_clinic_without_services_is_told_where_they_come_from(cast: Cast):
    # Trying a new clinic: the booking form said only "This field is required." under an
    # empty list of services.
    http = cast.browser_for(cast.fiona)
    assert "No services yet: an owner adds them" in http.get("/calendar/new/").content.decode()
    page = http.post("/calendar/new/", {"client": make_client(cast.harbour).pk}).content.decode()
    assert "There is no service to book yet" in page and not Appointment.objects.exists()


def test_the_appointment_history_names_who_booked_without_a_full_name(cast: Cast, desk: dict):
    # Trying a new clinic: its owner, created by `touchstone setup` with a username only,
    # booked an appointment and its history said "By —".
    cast.fiona.user.first_name = cast.fiona.user.last_name = ""
    cast.fiona.user.save(update_fields=["first_name", "last_name"])
    assert _book(cast, desk, "10:00").status_code == 302
    page = cast.browser_for(cast.fiona).get(
        f"/calendar/appointments/{Appointment.objects.get().pk}/"
    )
    history = page.content.decode().split('<th scope="col">By</th>', 1)[1]
    assert f"<td>{cast.fiona.user.username}</td>" in history.split("</table>", 1)[0]
