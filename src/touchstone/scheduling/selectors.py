"""Read-only queries on the schedule, each in a fixed number of queries whatever the number of
rows. Other apps (the job runner's reminders, the home page, the client record) read
appointments only through these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import QuerySet

from touchstone.accounts.models import Clinic
from touchstone.scheduling.models import Appointment


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
