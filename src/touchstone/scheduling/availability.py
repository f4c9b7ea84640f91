"""When staff members work: weekly hours, a date's exceptions (which replace that date's weekly
hours), breaks and time off, turned into aware intervals in the clinic's time zone.

``working_blocks`` reads everything for many staff members and days in three queries; the
conflict rule (``rules``), the free-slot search (``slots``) and the calendar's shading all
build on it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from touchstone.accounts.models import Clinic, can_filter
from touchstone.scheduling.intervals import Interval, subtract
from touchstone.scheduling.models import HoursException, TimeOff, WeeklyHours


@dataclass(frozen=True)
class Block:
    """A stretch of working time of one staff member at one location."""

    staff_id: int
    start: dt.datetime
    end: dt.datetime
    location_id: int
    bookable_online: bool

    @property
    def interval(self) -> Interval:
        return (self.start, self.end)


def at(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``time`` on ``day`` as an aware datetime in ``zone`` (the clinic's wall clock)."""
    return dt.datetime.combine(day, time, tzinfo=zone)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def working_blocks(
    clinic: Clinic, staff_ids: Iterable[int], first: dt.date, last: dt.date
) -> dict[int, list[Block]]:
    """Each staff member's working blocks from ``first`` to ``last`` (local dates, inclusive),
    breaks and time off already taken out, sorted by start. Three queries."""
    staff_ids = list(staff_ids)
    found = _blocks(clinic, Q(staff_id__in=staff_ids), first, last)
    return {staff_id: found.get(staff_id, []) for staff_id in staff_ids}


def treating_staff_blocks(clinic: Clinic, first: dt.date, last: dt.date) -> dict[int, list[Block]]:
    """:func:`working_blocks` of every active staff member who treats (who appointments are
    with, ``slots.bookable_staff``), keyed by those who work then. Three queries: each picks
    those staff members itself, where reading them first would take a fourth."""
    return _blocks(clinic, can_filter("care.edit", via="staff"), first, last)


def _blocks(clinic: Clinic, staff: Q, first: dt.date, last: dt.date) -> dict[int, list[Block]]:
    """The working blocks of the staff members the condition ``staff`` picks (on the hours
    and time-off rows), keyed by those who have hours or exceptions in [first, last]."""
    zone = clinic.zone
    weekly: dict[tuple[int, int], list[WeeklyHours]] = defaultdict(list)
    # Unordered (.order_by()): the blocks are sorted below; ordering costs each query's SQL.
    for weekly_row in WeeklyHours.objects.filter(staff, clinic_id=clinic.pk).order_by():
        weekly[(weekly_row.staff_id, weekly_row.weekday)].append(weekly_row)
    exceptions: dict[tuple[int, dt.date], list[HoursException]] = defaultdict(list)
    for exception in HoursException.objects.filter(
        staff, clinic_id=clinic.pk, day__gte=first, day__lte=last
    ).order_by():
        exceptions[(exception.staff_id, exception.day)].append(exception)
    span_start, span_end = (
        at(first, dt.time.min, zone),
        at(last + dt.timedelta(days=1), dt.time.min, zone),
    )
    away: dict[int, list[Interval]] = defaultdict(list)
    for off in TimeOff.objects.filter(
        staff, clinic_id=clinic.pk, starts_at__lt=span_end, ends_at__gt=span_start
    ).order_by():
        away[off.staff_id].append((off.starts_at, off.ends_at))

    result: dict[int, list[Block]] = {}
    for staff_id in sorted({s for s, _ in weekly} | {s for s, _ in exceptions}):
        blocks: list[Block] = []
        for day in days(first, last):
            rows: list[WeeklyHours | HoursException] = [*exceptions.get((staff_id, day), [])] or [
                row for row in weekly.get((staff_id, day.weekday()), []) if row.applies_on(day)
            ]
            for row in rows:
                for start, end in row.blocks:
                    for piece_start, piece_end in subtract(
                        [(at(day, start, zone), at(day, end, zone))], away.get(staff_id, [])
                    ):
                        blocks.append(
                            Block(
                                staff_id,
                                piece_start,
                                piece_end,
                                row.location_id,
                                row.bookable_online,
                            )
                        )
        result[staff_id] = sorted(blocks, key=lambda b: (b.start, b.end))
    return result
