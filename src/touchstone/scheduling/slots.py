"""Free times a client may book online: the staff members' bookable hours, less what is booked,
narrowed by the clinic's booking policy (minimum notice, how far ahead, the start-time step)
and, where a location has rooms, by a free room for the whole appointment.

``free_slots`` is what the client's booking page offers and what ``online.do_book_online``
checks a requested time against, so a time the page would not offer is never booked.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.scheduling.availability import at, working_blocks
from touchstone.scheduling.intervals import Interval, overlaps, starts_within, subtract
from touchstone.scheduling.models import Appointment, BookingPolicy, Room, Service


@dataclass(frozen=True)
class Slot:
    """A bookable start: with whom, where, and the room it would take (None: no rooms there)."""

    start: dt.datetime
    end: dt.datetime
    staff_id: int
    location_id: int
    room_id: int | None


def bookable_staff(clinic: Clinic) -> list[StaffMember]:
    """Active staff members who treat (the roles with care.edit): who appointments are with."""
    return list(
        StaffMember.objects.who_can("care.edit").filter(clinic_id=clinic.pk).select_related("user")
    )


def window(policy: BookingPolicy, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and latest start the policy lets a client book from ``now``."""
    return now + policy.min_notice, now + dt.timedelta(days=policy.max_days_ahead)


def free_slots(
    clinic: Clinic,
    policy: BookingPolicy,
    service: Service,
    *,
    staff_ids: Iterable[int],
    first: dt.date,
    last: dt.date,
    now: dt.datetime | None = None,
    ignore: Appointment | None = None,
) -> list[Slot]:
    """Every start between the local dates ``first`` and ``last`` at which ``service`` fits in
    a bookable-online block of one of ``staff_ids``, with that staff member free (and a room
    free, where the location has rooms), inside the policy's window. ``ignore`` is an
    appointment being rescheduled (its own time counts as free). Five queries."""
    now = now or timezone.now()
    earliest, latest = window(policy, now)
    zone = clinic.zone
    staff_ids = list(staff_ids)
    blocks = working_blocks(clinic, staff_ids, first, last)
    span = (at(first, dt.time.min, zone), at(last + dt.timedelta(days=1), dt.time.min, zone))
    busy_staff: dict[int, list[Interval]] = defaultdict(list)
    busy_room: dict[int, list[Interval]] = defaultdict(list)
    taken = Appointment.objects.filter(clinic_id=clinic.pk).blocking().overlapping(*span)
    if ignore is not None:
        taken = taken.exclude(pk=ignore.pk)
    for busy_id, busy_room_id, start, end in taken.values_list(
        "staff_id", "room_id", "starts_at", "ends_at"
    ):
        busy_staff[busy_id].append((start, end))
        if busy_room_id is not None:
            busy_room[busy_room_id].append((start, end))
    rooms: dict[int, list[int]] = defaultdict(list)
    for active_room, location_id in Room.objects.filter(
        clinic_id=clinic.pk, is_active=True
    ).values_list("pk", "location_id"):
        rooms[location_id].append(active_room)

    step = dt.timedelta(minutes=policy.slot_step_min)
    duration = service.duration
    slots: list[Slot] = []
    for staff_id in staff_ids:
        for block in blocks.get(staff_id, []):
            if not block.bookable_online:
                continue
            free = subtract([block.interval], busy_staff[staff_id])
            origin = at(timezone.localtime(block.start, zone).date(), dt.time.min, zone)
            for start in starts_within(free, duration, step, origin):
                if not earliest <= start <= latest:
                    continue
                end = start + duration
                room_id: int | None = None
                if rooms[block.location_id]:
                    room_id = next(
                        (
                            room
                            for room in rooms[block.location_id]
                            if not any(overlaps((start, end), b) for b in busy_room[room])
                        ),
                        None,
                    )
                    if room_id is None:
                        continue  # every room there is taken
                slots.append(Slot(start, end, staff_id, block.location_id, room_id))
    return sorted(slots, key=lambda s: (s.start, s.staff_id))
