"""Read-only queries on the schedule, each in a fixed number of queries whatever the number of
rows. Other apps (the job runner's reminders, the home page, the client record) read
appointments only through these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.scheduling.availability import working_blocks
from touchstone.scheduling.models import UPCOMING, Appointment
from touchstone.scheduling.slots import bookable_staff


def appointments_between(
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    *,
    staff_id: int | None = None,
    statuses: Iterable[str] | None = None,
) -> QuerySet[Appointment]:
    """The clinic's appointments that share any time with [start, end), oldest first, with
    client, staff (and their user), service, location and room joined: one query.

    ``statuses`` narrows to those statuses (e.g. ``models.UPCOMING`` for reminders);
    ``staff_id`` to one staff member's appointments. ``start`` and ``end`` are aware datetimes.
    """
    rows = (
        Appointment.objects.filter(clinic_id=clinic.pk)
        .overlapping(start, end)
        .select_related("client", "staff__user", "service", "location", "room")
        .order_by("starts_at", "id")
    )
    if staff_id is not None:
        rows = rows.filter(staff_id=staff_id)
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    return rows


@dataclass
class Column:
    """One column of the calendar: a staff member's day, or one day of the week."""

    title: str
    day: dt.date
    staff: StaffMember | None
    hours: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)


def calendar(
    clinic: Clinic, first: dt.date, days: int, *, staff_id: int | None = None
) -> list[Column]:
    """The calendar from the local date ``first`` for ``days`` days: one column per staff
    member who treats when it is one day (or only ``staff_id``'s), one column per day for a
    week. Each column has its working hours and its appointments (cancelled ones too, so the
    front desk sees them; ``Appointment.is_blocking`` tells them apart). Five queries, whatever
    the number of staff and appointments."""
    zone = clinic.zone
    staff = [m for m in bookable_staff(clinic) if staff_id is None or m.pk == staff_id]
    last = first + dt.timedelta(days=days - 1)
    blocks = working_blocks(clinic, [m.pk for m in staff], first, last)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    rows = list(appointments_between(clinic, start, end, staff_id=staff_id))
    if days == 1:
        columns = {m.pk: Column(m.display_name, first, m) for m in staff}
        for m in staff:
            columns[m.pk].hours = [b.interval for b in blocks[m.pk]]
        for row in rows:
            if row.staff_id in columns:
                columns[row.staff_id].appointments.append(row)
        return list(columns.values())
    by_day = {
        first + dt.timedelta(days=n): Column(
            f"{first + dt.timedelta(days=n):%a %Y-%m-%d}",
            first + dt.timedelta(days=n),
            staff[0] if staff_id is not None and staff else None,
        )
        for n in range(days)
    }
    for m in staff:
        for block in blocks[m.pk]:
            by_day[timezone.localtime(block.start, zone).date()].hours.append(block.interval)
    for row in rows:
        local_day = timezone.localtime(row.starts_at, zone).date()
        if local_day in by_day:
            by_day[local_day].appointments.append(row)
    return list(by_day.values())


def appointments_today(member: StaffMember, day: dt.date) -> list[Appointment]:
    """The clinic's appointments on ``day`` (local date) that hold time, the member's own
    first, then by time: the home page's "today's visits". One query."""
    zone = member.clinic.zone
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    rows = appointments_between(member.clinic, start, start + dt.timedelta(days=1))
    return sorted(
        (a for a in rows if a.is_blocking or a.status == "no_show"),
        key=lambda a: (a.staff_id != member.pk, a.starts_at, a.pk),
    )


def appointments_to_remind(
    clinic: Clinic, start: dt.datetime, end: dt.datetime
) -> QuerySet[Appointment]:
    """The clinic's upcoming appointments (booked or confirmed) that start in ``(start,
    end]``, client joined: what the reminder source gives messaging (one query)."""
    return (
        Appointment.objects.filter(
            clinic_id=clinic.pk,
            status__in=list(UPCOMING),
            starts_at__gt=start,
            starts_at__lte=end,
        )
        .select_related("client", "clinic")
        .order_by("starts_at", "id")
    )
