"""Objects for tests (and the access matrix): a location with a room, a 60-minute service and
weekday hours 09:00-17:00 (break 12:00-13:00) for a staff member, and appointments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.models import Client
from touchstone.conftest import make_client
from touchstone.scheduling.models import Appointment, Location, Room, Service, WeeklyHours


def make_location(clinic: Clinic, name: str = "Main") -> Location:
    return Location.objects.get_or_create(clinic=clinic, name=name)[0]


def make_room(clinic: Clinic, name: str = "Room 1") -> Room:
    return Room.objects.get_or_create(clinic=clinic, location=make_location(clinic), name=name)[0]


def make_service(clinic: Clinic, **fields: Any) -> Service:
    values: dict[str, Any] = {
        "name": "Swedish massage 60",
        "duration_min": 60,
        "price": Decimal("95.00"),
        "billing_code": "97124",
    }
    values.update(fields)
    return Service.objects.get_or_create(clinic=clinic, name=values.pop("name"), defaults=values)[0]


def make_weekday_hours(clinic: Clinic, staff: StaffMember, **fields: Any) -> list[WeeklyHours]:
    """Monday to Friday 09:00-17:00 with a break 12:00-13:00 at the clinic's main location."""
    values: dict[str, Any] = {
        "starts": dt.time(9),
        "ends": dt.time(17),
        "break_starts": dt.time(12),
        "break_ends": dt.time(13),
    }
    values.update(fields)
    return [
        WeeklyHours.objects.create(
            clinic=clinic, staff=staff, location=make_location(clinic), weekday=day, **values
        )
        for day in range(5)
    ]


def local(day: dt.date, hour: int, minute: int = 0, clinic: Clinic | None = None) -> dt.datetime:
    """``hour:minute`` on ``day`` in the clinic's zone (the current zone without a clinic)."""
    zone = clinic.zone if clinic is not None else timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def next_weekday(weekday: int = 1, after: dt.date | None = None) -> dt.date:
    """The next date (strictly after ``after``, today by default) falling on ``weekday``."""
    day = (after or timezone.localdate()) + dt.timedelta(days=1)
    while day.weekday() != weekday:
        day += dt.timedelta(days=1)
    return day


def make_appointment(
    clinic: Clinic,
    staff: StaffMember,
    client: Client | None = None,
    starts_at: dt.datetime | None = None,
    **fields: Any,
) -> Appointment:
    """An appointment written directly (no rules): for reading tests and the access matrix."""
    service = fields.pop("service", None) or make_service(clinic)
    starts_at = starts_at or local(next_weekday(), 10, clinic=clinic)
    return Appointment.objects.create(
        clinic=clinic,
        client=client or make_client(clinic),
        staff=staff,
        service=service,
        location=make_location(clinic),
        starts_at=starts_at,
        ends_at=starts_at + service.duration,
        **fields,
    )
