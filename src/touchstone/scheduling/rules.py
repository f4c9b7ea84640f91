"""The scheduling rules, in one place. ``scheduling.actions`` applies them inside the write
transaction, so the calendar pages, the API, the client's private link, the import command
and jobs all obey the same rules:

1. no double booking: no two appointments in a blocking status share time for one staff
   member or one room (``find_conflicts``; the database refuses it too, migration 0002);
2. inside the staff member's working hours (``outside_hours``), unless the booking carries an
   explicit override with a reason, which is stored on the appointment;
3. the status machine (``check_transition``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from touchstone.scheduling.availability import working_blocks
from touchstone.scheduling.intervals import covers
from touchstone.scheduling.models import BLOCKING, TRANSITIONS, Appointment, Status


class AppointmentConflict(ValidationError):
    """The time is taken: another blocking appointment of the same staff member or room
    overlaps. ``conflicts`` are the appointments in the way (oldest first); the message names
    the first, for staff (the client's own pages say only that the time is taken)."""

    def __init__(self, appointment: Appointment, conflicts: list[Appointment]) -> None:
        self.conflicts = conflicts
        super().__init__({"starts_at": [describe_conflict(appointment, conflicts)]})


def describe_conflict(appointment: Appointment, conflicts: list[Appointment]) -> str:
    if not conflicts:  # refused by the database after a race, the other row not visible yet
        return "This time was just taken; choose another."
    other = conflicts[0]
    zone = appointment.clinic.zone  # the clinic's wall clock, whoever asks
    when = (
        f"{timezone.localtime(other.starts_at, zone):%Y-%m-%d %H:%M}"
        f"–{timezone.localtime(other.ends_at, zone):%H:%M}"
    )
    if other.staff_id == appointment.staff_id:
        who = f"{other.staff.display_name} already has appointment {other.pk}"
    else:
        who = f"{other.room} is taken by appointment {other.pk}"
    more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
    return f"{who} at {when}{more}."


def find_conflicts(appointment: Appointment) -> list[Appointment]:
    """Blocking appointments other than ``appointment`` that overlap it for its staff member
    or its room; empty when ``appointment`` itself holds no time. One query."""
    if appointment.status not in BLOCKING:
        return []
    same_resource = Q(staff_id=appointment.staff_id)
    if appointment.room_id is not None:
        same_resource |= Q(room_id=appointment.room_id)
    return list(
        Appointment.objects.filter(clinic_id=appointment.clinic_id)
        .blocking()
        .overlapping(appointment.starts_at, appointment.ends_at)
        .filter(same_resource)
        .exclude(pk=appointment.pk)
        .select_related("staff__user", "room")
        .order_by("starts_at", "id")
    )


def outside_hours(appointment: Appointment) -> str | None:
    """Why ``appointment`` lies outside its staff member's working hours (at its location, when
    it has one), or None when it fits. Three queries."""
    zone = appointment.clinic.zone
    first = timezone.localtime(appointment.starts_at, zone).date()
    last = timezone.localtime(appointment.ends_at - dt.timedelta(microseconds=1), zone).date()
    blocks = working_blocks(appointment.clinic, [appointment.staff_id], first, last)[
        appointment.staff_id
    ]
    location_id = appointment.location_id or (
        appointment.room.location_id if appointment.room is not None else None
    )
    here = [b.interval for b in blocks if location_id is None or b.location_id == location_id]
    if covers(here, appointment.starts_at, appointment.ends_at):
        return None
    name = appointment.staff.display_name
    if location_id is not None and covers(
        [b.interval for b in blocks], appointment.starts_at, appointment.ends_at
    ):
        return f"{name} works at another location at that time."
    if not blocks:
        return f"{name} has no working hours on {first:%Y-%m-%d}."
    hours = ", ".join(
        f"{timezone.localtime(b.start, zone):%H:%M}–{timezone.localtime(b.end, zone):%H:%M}"
        for b in blocks
    )
    return f"Outside {name}'s hours on {first:%Y-%m-%d} ({hours})."


def check_hours(appointment: Appointment, override_reason: str) -> None:
    """Refuse a time outside the staff member's hours unless overridden with a reason; record
    the override (or its absence) on ``appointment``."""
    problem = outside_hours(appointment)
    override_reason = (override_reason or "").strip()
    if problem is None:
        appointment.outside_hours, appointment.override_reason = False, ""
        return
    if not override_reason:
        raise ValidationError(
            {
                "starts_at": [
                    f"{problem} To book it anyway, say why in “Book outside hours because”."
                ]
            }
        )
    appointment.outside_hours, appointment.override_reason = True, override_reason[:200]


def check_transition(appointment: Appointment, status: str) -> None:
    """Refuse a status change the status machine does not allow."""
    if status not in Status.values:
        raise ValidationError({"status": [f"Unknown status {status!r}."]})
    if status not in TRANSITIONS[appointment.status]:
        current = Status(appointment.status).label.lower()
        wanted = Status(status).label.lower()
        raise ValidationError({"status": [f"A {current} appointment cannot become {wanted}."]})


def check_free(appointment: Appointment) -> None:
    """Raise ``AppointmentConflict`` when the appointment's time is taken."""
    conflicts = find_conflicts(appointment)
    if conflicts:
        raise AppointmentConflict(appointment, conflicts)
