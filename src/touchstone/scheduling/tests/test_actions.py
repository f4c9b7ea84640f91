"""The scheduling rules through the actions every channel calls: no double booking of a staff
member or a room, hours unless overridden (and the override recorded), the status machine,
weekly series, and check-in creating the visit the therapist documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from touchstone.audit.actor import Actor
from touchstone.audit.models import AuditEvent
from touchstone.care.actions import do_update_visit
from touchstone.care.models import Visit
from touchstone.conftest import Cast, actor_of, make_client, make_member
from touchstone.scheduling import actions, rules
from touchstone.scheduling.models import Appointment, Status, TimeOff
from touchstone.scheduling.tests.factories import (
    local,
    make_appointment,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)


@pytest.fixture
def setup(cast: Cast) -> dict[str, Any]:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    make_weekday_hours(cast.harbour, cast.tess)
    make_weekday_hours(cast.harbour, cast.bob)
    return {
        "service": make_service(cast.harbour),
        "client": make_client(cast.harbour),
        "room": make_room(cast.harbour),
        "day": next_weekday(1, timezone.localdate(timezone.now(), cast.harbour.zone)),
    }


def book(cast: Cast, s: dict[str, Any], hour: int, minute: int = 0, **extra: Any) -> Appointment:
    data = {
        "client": s["client"],
        "staff": cast.tess,
        "service": s["service"],
        "starts_at": local(s["day"], hour, minute, cast.harbour),
        **extra,
    }
    override = data.pop("override_reason", "")
    return actions.do_book_appointment(actor_of(cast.fiona), data, override_reason=override)


def test_it_books_with_the_end_from_the_service_and_records_who(cast: Cast, setup: dict):
    appointment = book(cast, setup, 10)
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=60)
    assert appointment.status == Status.BOOKED and appointment.booked_by == cast.fiona
    assert appointment.location is not None  # from the staff member's hours
    assert AuditEvent.objects.filter(object_id=str(appointment.pk), action="create").exists()


def test_it_refuses_double_booking_a_staff_member_and_names_the_appointment(
    cast: Cast, setup: dict
):
    first = book(cast, setup, 10)
    with pytest.raises(rules.AppointmentConflict) as refused:
        book(cast, setup, 10, 30, client=make_client(cast.harbour, given_name="Eve"))
    assert refused.value.conflicts == [first]
    assert f"appointment {first.pk}" in refused.value.messages[0]
    assert "10:00–11:00" in refused.value.messages[0]  # the clinic's wall clock
    assert Appointment.objects.count() == 1


def test_it_refuses_double_booking_a_room_with_another_therapist(cast: Cast, setup: dict):
    first = book(cast, setup, 10, room=setup["room"])
    with pytest.raises(rules.AppointmentConflict) as refused:
        book(cast, setup, 10, staff=cast.bob, room=setup["room"])
    assert "Room 1 is taken" in refused.value.messages[0]
    assert refused.value.conflicts == [first]
    assert book(cast, setup, 10, staff=cast.bob).pk  # without the room, Bob is free


def test_back_to_back_appointments_do_not_conflict(cast: Cast, setup: dict):
    book(cast, setup, 10)
    assert book(cast, setup, 11).pk


def test_a_cancelled_appointment_frees_its_time(cast: Cast, setup: dict):
    first = book(cast, setup, 10)
    actions.do_cancel_appointment(actor_of(cast.fiona), first, by_client=False)
    assert book(cast, setup, 10).pk


def test_outside_hours_needs_an_override_that_is_recorded(cast: Cast, setup: dict):
    with pytest.raises(ValidationError) as refused:
        book(cast, setup, 12)  # the break
    assert "Outside Tess's hours" in refused.value.messages[0]
    assert "(09:00–12:00, 13:00–17:00)" in refused.value.messages[0]
    appointment = book(cast, setup, 12, override_reason="Only time the client can come")
    assert appointment.outside_hours and appointment.override_reason.startswith("Only time")
    event = AuditEvent.objects.get(object_id=str(appointment.pk), action="create")
    assert "outside hours" in event.detail


def test_time_off_takes_hours_away(cast: Cast, setup: dict):
    TimeOff.objects.create(
        clinic=cast.harbour,
        staff=cast.tess,
        starts_at=local(setup["day"], 9, clinic=cast.harbour),
        ends_at=local(setup["day"], 11, clinic=cast.harbour),
    )
    with pytest.raises(ValidationError):
        book(cast, setup, 10)
    assert book(cast, setup, 11).pk


def test_the_database_refuses_an_overlap_that_skips_the_rules(cast: Cast, setup: dict):
    first = book(cast, setup, 10)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_appointment(
            cast.harbour, cast.tess, setup["client"], first.starts_at + dt.timedelta(minutes=15)
        )
    # A cancelled row may share the time.
    assert make_appointment(
        cast.harbour, cast.tess, setup["client"], first.starts_at, status=Status.CANCELLED
    ).pk
    assert connection.vendor in ("sqlite", "postgresql")


def test_a_race_lost_in_the_database_is_the_same_conflict(
    cast: Cast, setup: dict, monkeypatch: pytest.MonkeyPatch
):
    """The check saw nothing (another transaction not visible yet); the database refuses."""
    book(cast, setup, 10)
    monkeypatch.setattr(rules, "check_free", lambda appointment: None)
    with pytest.raises(rules.AppointmentConflict):
        book(cast, setup, 10)
    assert Appointment.objects.count() == 1


def test_a_series_is_weekly_at_the_same_wall_clock_time_all_or_nothing(cast: Cast, setup: dict):
    data = {
        "client": setup["client"],
        "staff": cast.tess,
        "service": setup["service"],
        "starts_at": local(setup["day"], 15, clinic=cast.harbour),
    }
    # The third week is taken: nothing is booked and the message names that week.
    third = setup["day"] + dt.timedelta(weeks=2)
    make_appointment(cast.harbour, cast.tess, starts_at=local(third, 15, clinic=cast.harbour))
    with pytest.raises(ValidationError) as refused:
        actions.do_book_series(actor_of(cast.fiona), data, 8)
    assert f"{third:%Y-%m-%d}" in refused.value.messages[0]
    assert Appointment.objects.count() == 1

    data["starts_at"] = local(setup["day"], 9, clinic=cast.harbour)
    occurrences = actions.do_book_series(actor_of(cast.fiona), data, 8)
    assert len(occurrences) == 8
    zone = cast.harbour.zone
    assert {timezone.localtime(a.starts_at, zone).time() for a in occurrences} == {dt.time(9)}
    assert [a.series_position for a in occurrences] == list(range(1, 9))
    # One occurrence moves; the others stay.
    fourth = Appointment.objects.get(pk=occurrences[3].pk)
    actions.do_move_appointment(
        actor_of(cast.fiona), fourth, {"starts_at": fourth.starts_at + dt.timedelta(hours=2)}
    )
    assert timezone.localtime(Appointment.objects.get(pk=fourth.pk).starts_at, zone).hour == 11
    assert (
        timezone.localtime(Appointment.objects.get(pk=occurrences[4].pk).starts_at, zone).hour == 9
    )


def test_a_move_keeps_the_duration_and_a_confirmed_appointment_is_booked_again(
    cast: Cast, setup: dict
):
    appointment = book(cast, setup, 10)
    actions.do_confirm_appointment(actor_of(cast.fiona), appointment)
    changed = actions.do_move_appointment(
        actor_of(cast.fiona),
        Appointment.objects.get(pk=appointment.pk),
        {"starts_at": local(setup["day"], 14, clinic=cast.harbour)},
    )
    moved = Appointment.objects.get(pk=appointment.pk)
    assert "starts_at" in changed and moved.duration_min == 60
    assert moved.status == Status.BOOKED and moved.confirmed_at is None
    assert moved.history.count() == 3  # booked, confirmed, moved


def test_a_move_into_a_taken_time_changes_nothing(cast: Cast, setup: dict):
    book(cast, setup, 10)
    other = book(cast, setup, 14)
    with pytest.raises(rules.AppointmentConflict):
        actions.do_move_appointment(
            actor_of(cast.fiona),
            Appointment.objects.get(pk=other.pk),
            {"starts_at": local(setup["day"], 10, 30, cast.harbour)},
        )
    assert Appointment.objects.get(pk=other.pk).starts_at == other.starts_at


def test_the_status_machine_refuses_going_back(cast: Cast, setup: dict):
    appointment = book(cast, setup, 10)
    actions.do_cancel_appointment(actor_of(cast.fiona), appointment, by_client=False)
    with pytest.raises(ValidationError, match="cancelled appointment cannot become confirmed"):
        actions.do_set_status(actor_of(cast.fiona), appointment, Status.CONFIRMED)
    with pytest.raises(ValidationError, match="cannot move"):
        actions.do_move_appointment(
            actor_of(cast.fiona),
            Appointment.objects.get(pk=appointment.pk),
            {"starts_at": appointment.starts_at + dt.timedelta(hours=3)},
        )


def test_cancelling_inside_the_notice_is_late_and_clients_must_call(cast: Cast, setup: dict):
    appointment = book(cast, setup, 10)
    with time_machine.travel(appointment.starts_at - dt.timedelta(hours=3), tick=False):
        portal = Actor("portal", cast.harbour)
        with pytest.raises(ValidationError, match="calling the clinic"):
            actions.do_cancel_appointment(portal, appointment, by_client=True)
        actions.do_cancel_appointment(actor_of(cast.fiona), appointment, by_client=True)
    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.status == Status.LATE_CANCELLED and stored.cancelled_by_client
    assert stored.cancelled_at is not None


def test_a_no_show_is_recorded_only_once_the_time_has_begun(cast: Cast, setup: dict):
    appointment = book(cast, setup, 10)
    with pytest.raises(ValidationError, match="once the appointment has begun"):
        actions.do_set_status(actor_of(cast.fiona), appointment, Status.NO_SHOW)
    with time_machine.travel(appointment.starts_at + dt.timedelta(minutes=20), tick=False):
        actions.do_set_status(actor_of(cast.fiona), appointment, Status.NO_SHOW)
    assert Appointment.objects.get(pk=appointment.pk).no_show_at is not None


def test_check_in_creates_the_visit_the_therapist_documents(cast: Cast, setup: dict):
    appointment = book(cast, setup, 10, room=setup["room"])
    with pytest.raises(ValidationError, match="on the day"):
        actions.do_check_in(actor_of(cast.fiona), appointment)
    with time_machine.travel(appointment.starts_at - dt.timedelta(minutes=5), tick=False):
        actions.do_check_in(actor_of(cast.fiona), appointment)
        visit = Visit.objects.get(appointment=appointment)
        assert (visit.client, visit.therapist, visit.starts_at) == (
            setup["client"],
            cast.tess,
            appointment.starts_at,
        )
        assert visit.duration_min == 60 and visit.status == "scheduled"
        # Checking in twice is refused (one visit per appointment).
        with pytest.raises(ValidationError):
            actions.do_check_in(actor_of(cast.fiona), Appointment.objects.get(pk=appointment.pk))
        # The therapist completes the visit: the appointment is completed with it.
        do_update_visit(actor_of(cast.tess), visit, {"status": "completed", "pressure": "moderate"})
    stored = Appointment.objects.get(pk=appointment.pk)
    assert stored.status == Status.COMPLETED and stored.completed_at is not None
    assert Visit.objects.count() == 1


def test_only_staff_who_treat_have_appointments(cast: Cast, setup: dict):
    with pytest.raises(ValidationError, match="who treats clients"):
        book(cast, setup, 10, staff=cast.fiona)
    other = make_member(cast.northside, "nora", "therapist")
    with pytest.raises(ValidationError, match="of this clinic"):
        book(cast, setup, 10, staff=other)


def test_every_write_announces_itself_for_reminders(cast: Cast, setup: dict):
    from touchstone.scheduling.signals import appointment_saved

    heard: list[tuple[str, list[str]]] = []

    def receiver(sender: Any, appointment: Appointment, event: str, changed: list, **kw: Any):
        heard.append((event, changed))

    appointment_saved.connect(receiver, dispatch_uid="test")
    try:
        appointment = book(cast, setup, 10)
        actions.do_move_appointment(
            actor_of(cast.fiona),
            Appointment.objects.get(pk=appointment.pk),
            {"starts_at": local(setup["day"], 14, clinic=cast.harbour)},
        )
        actions.do_cancel_appointment(
            actor_of(cast.fiona), Appointment.objects.get(pk=appointment.pk), by_client=False
        )
    finally:
        appointment_saved.disconnect(dispatch_uid="test")
    assert [event for event, _ in heard] == ["booked", "moved", "status"]
    assert "starts_at" in heard[1][1]
