"""Read-only queries on the schedule, each in a fixed number of queries whatever the number of
rows. Other apps (the job runner's reminders, the home page, the client record) read
appointments only through these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.models import Client
from touchstone.scheduling.availability import treating_staff_blocks, working_blocks
from touchstone.scheduling.models import BLOCKING, UPCOMING, Appointment, Status
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


@dataclass(frozen=True, slots=True)
class Card:
    """One appointment as the calendar shows it, worked out in one pass over plain rows: no
    model instances, and no time zone conversion, URL reversing or method call per card in the
    template (bench/calendar_week.py: 1,500 cards a week)."""

    pk: int
    when: str  # "09:00–09:30", clinic time
    who: str  # the client's name
    what: str  # service, and room if any
    status: str
    status_text: str
    freed: bool  # not blocking time (cancelled, no-show)
    outside_hours: bool
    override_reason: str


@dataclass
class Column:
    """One column of the calendar: a staff member's day, or one day of the week."""

    title: str
    day: dt.date
    staff: StaffMember | None
    hours: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    appointments: list[Card] = field(default_factory=list)


_CARD_FIELDS = (
    "pk", "starts_at", "ends_at", "status", "outside_hours", "override_reason", "staff_id",
    "client__given_name", "client__preferred_name", "client__family_name", "service__name",
    "room__name",
)  # fmt: skip
_STATUS_TEXT = dict(Status.choices)


def _hm(moment: dt.datetime) -> str:
    """The local time as HH:MM: a quarter of strftime's cost, which showed in the profile."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def calendar_cards(
    clinic: Clinic, start: dt.datetime, end: dt.datetime, *, staff_id: int | None = None
) -> list[tuple[dt.date, int, Card]]:
    """(local day, staff id, card) of the clinic's appointments that share time with [start,
    end), oldest first (cancelled ones too). One query of plain rows."""
    zone = clinic.zone
    rows = Appointment.objects.filter(clinic_id=clinic.pk).overlapping(start, end)
    if staff_id is not None:
        rows = rows.filter(staff_id=staff_id)
    out = []
    for (pk, starts_at, ends_at, status, outside, reason, staff, given, preferred, family,
         service, room) in rows.order_by(
        "starts_at", "id"
    ).values_list(*_CARD_FIELDS):  # fmt: skip
        starts, ends = starts_at.astimezone(zone), ends_at.astimezone(zone)
        card = Card(
            pk=pk, when=f"{_hm(starts)}–{_hm(ends)}",
            who=Client.name_of(given, preferred, family),
            what=f"{service} · {room}" if room else service,
            status=status, status_text=_STATUS_TEXT.get(status, status),
            freed=status not in BLOCKING, outside_hours=outside, override_reason=reason,
        )  # fmt: skip
        out.append((starts.date(), staff, card))
    return out


def calendar(
    clinic: Clinic, first: dt.date, days: int, *, staff_id: int | None = None
) -> list[Column]:
    """The calendar from the local date ``first`` for ``days`` days: one column per staff
    member who treats when it is one day (or only ``staff_id``'s), one column per day for a
    week. Each column has its working hours and its appointments as :class:`Card` s
    (cancelled ones too, so the front desk sees them; ``Card.freed`` tells them apart). Five
    queries, whatever the number of staff and appointments."""
    zone = clinic.zone
    staff = [m for m in bookable_staff(clinic) if staff_id is None or m.pk == staff_id]
    last = first + dt.timedelta(days=days - 1)
    blocks = working_blocks(clinic, [m.pk for m in staff], first, last)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    cards = calendar_cards(clinic, start, end, staff_id=staff_id)
    if days == 1:
        columns = {m.pk: Column(m.display_name, first, m) for m in staff}
        for m in staff:
            columns[m.pk].hours = [b.interval for b in blocks[m.pk]]
        for _day, member_id, card in cards:
            if member_id in columns:
                columns[member_id].appointments.append(card)
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
    for local_day, _member_id, card in cards:
        if local_day in by_day:
            by_day[local_day].appointments.append(card)
    return list(by_day.values())


@dataclass
class WeekCell:
    """One staff member's day in the clinic-wide week: counts, the span booked and each
    appointment as (id, local start "HH:MM", freed) for a light link; the cards themselves are
    on that staff member's day view."""

    day: dt.date
    iso: str  # the day as YYYY-MM-DD, for its links (no |date filter per cell)
    hours: str = ""  # "08:00–12:00, 13:00–17:00", or "" when not working
    booked: int = 0  # appointments that hold time
    freed: int = 0  # cancelled, late-cancelled, no-show
    outside_hours: int = 0
    first: str = ""  # the first booked start, "HH:MM"
    last: str = ""  # the last booked end, "HH:MM"
    times: list[tuple[int, str, bool]] = field(default_factory=list)


@dataclass
class WeekRow:
    """One staff member's week: a cell per day."""

    staff_id: int
    name: str
    cells: list[WeekCell]


_GRID_FIELDS = (
    "pk", "starts_at", "ends_at", "status", "outside_hours", "staff_id",
    "staff__user__first_name", "staff__user__last_name", "staff__user__username",
)  # fmt: skip


def week_grid(clinic: Clinic, first: dt.date) -> list[WeekRow]:
    """The clinic-wide week from the local date ``first``: one row per staff member who treats
    (and one for anyone else with an appointment that week), one :class:`WeekCell` per day.
    Five queries, whatever the number of staff and appointments; no per-appointment model
    instance, client name or service (bench/calendar_week.py: 1,500 appointments)."""
    zone = clinic.zone
    last = first + dt.timedelta(days=6)
    staff = bookable_staff(clinic)
    blocks = working_blocks(clinic, [m.pk for m in staff], first, last)
    week = [first + dt.timedelta(days=n) for n in range(7)]

    def cells() -> list[WeekCell]:
        return [WeekCell(day, day.isoformat()) for day in week]

    rows = {m.pk: WeekRow(m.pk, m.display_name, cells()) for m in staff}
    for m in staff:
        spans: dict[dt.date, list[str]] = {}
        for block in blocks[m.pk]:
            start, end = block.start.astimezone(zone), block.end.astimezone(zone)
            spans.setdefault(start.date(), []).append(f"{start:%H:%M}–{end:%H:%M}")
        for cell in rows[m.pk].cells:
            cell.hours = ", ".join(spans.get(cell.day, []))
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    found = Appointment.objects.filter(clinic_id=clinic.pk).overlapping(start, end)
    for (pk, starts_at, ends_at, status, outside, staff_id, first_name, last_name,
         username) in found.order_by("starts_at", "id").values_list(*_GRID_FIELDS):  # fmt: skip
        starts, ends = starts_at.astimezone(zone), ends_at.astimezone(zone)
        index = (starts.date() - first).days
        if not 0 <= index < 7:
            continue  # began the evening before the week
        if staff_id not in rows:
            name = StaffMember.name_of(first_name, last_name, username)
            rows[staff_id] = WeekRow(staff_id, name, cells())
        cell = rows[staff_id].cells[index]
        freed = status not in BLOCKING
        when = _hm(starts)
        cell.times.append((pk, when, freed))
        cell.outside_hours += bool(outside)
        if freed:
            cell.freed += 1
            continue
        cell.booked += 1
        cell.first = cell.first or when
        cell.last = max(cell.last, _hm(ends) if ends.date() == starts.date() else "24:00")
    return list(rows.values())


def client_appointments(member: StaffMember, client: Client) -> list[Appointment]:
    """Every appointment of the client, newest first, with staff, service, location and room
    joined: the client record's Appointments tab. One query."""
    return list(
        Appointment.objects.for_member(member)
        .filter(client_id=client.pk)
        .select_related("staff__user", "service", "location", "room")
        .order_by("-starts_at", "-id")
    )


@dataclass(frozen=True)
class NextAppointment:
    """What the client page shows of the client's next appointment (plain values, not five
    joined models)."""

    pk: int
    starts_at: dt.datetime
    status: str
    service: str
    staff: str
    room: str | None

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)


_NEXT_APPOINTMENT_FIELDS = (
    "pk", "starts_at", "status", "service__name", "staff__user__first_name",
    "staff__user__last_name", "staff__user__username", "room__name",
)  # fmt: skip


def next_appointment(
    member: StaffMember, client: Client, now: dt.datetime
) -> NextAppointment | None:
    """The client's next booked or confirmed appointment after ``now``, or None: one query."""
    row = (
        Appointment.objects.for_member(member)
        .filter(client_id=client.pk, status__in=list(UPCOMING), starts_at__gte=now)
        .order_by("starts_at", "id")
        .values_list(*_NEXT_APPOINTMENT_FIELDS)
        .first()
    )
    if row is None:
        return None
    pk, starts_at, status, service, first_name, last_name, username, room = row
    staff = StaffMember.name_of(first_name, last_name, username)
    return NextAppointment(pk, starts_at, status, service, staff, room)


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


@dataclass(frozen=True)
class WeekFigures:
    """The owner's week at a glance (home page): visits done (checked in or completed), still
    booked, missed (no-shows), and how much of the treating staff's working time is booked."""

    first_day: dt.date
    done: int
    booked: int
    no_shows: int
    booked_minutes: int
    open_minutes: int

    @property
    def utilisation(self) -> float | None:
        """Booked share of the working time (weekly hours less breaks, exceptions and time
        off); None when nobody works this week."""
        return self.booked_minutes / self.open_minutes if self.open_minutes else None


def week_figures(clinic: Clinic, day: dt.date) -> WeekFigures:
    """The clinic's figures for the week (Monday to Sunday, local) holding ``day``. Four
    queries, whatever the number of appointments or staff: the appointments counted and their
    time summed per status by the database, and the working hours of those who treat."""
    first = day - dt.timedelta(days=day.weekday())
    start = dt.datetime.combine(first, dt.time.min, tzinfo=clinic.zone)
    per_status = {
        status: (count, time or dt.timedelta())
        for status, count, time in Appointment.objects.filter(
            clinic_id=clinic.pk, starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=7)
        )
        .values("status")
        .annotate(count=Count("pk"), time=Sum(F("ends_at") - F("starts_at")))
        .values_list("status", "count", "time")
        .order_by()
    }

    def count(*statuses: str) -> int:
        return sum(per_status.get(status, (0,))[0] for status in statuses)

    booked = sum((per_status[s][1] for s in BLOCKING if s in per_status), dt.timedelta())
    blocks = treating_staff_blocks(clinic, first, first + dt.timedelta(days=6))
    open_seconds = sum((b.end - b.start).total_seconds() for bs in blocks.values() for b in bs)
    return WeekFigures(
        first_day=first,
        done=count(Status.ARRIVED, Status.COMPLETED),
        booked=count(Status.BOOKED, Status.CONFIRMED),
        no_shows=count(Status.NO_SHOW),
        booked_minutes=round(booked.total_seconds() / 60),
        open_minutes=round(open_seconds / 60),
    )
