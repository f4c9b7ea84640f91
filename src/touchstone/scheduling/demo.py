"""The demo clinic's calendar (registered in ``DEMO_EXTENSIONS`` by the app).

Deterministic for a seed and a day (everything comes from ``context.rng`` and
``context.today``): one location with two rooms, four services, weekday hours 09:00-17:00
(break 12:00-13:00) for the therapist and the clinician, and appointments from three weeks
before the current week to the end of the next one: past days completed, with some no-shows and
cancellations (on time and late), today and later booked (those within two days mostly
confirmed), a few cancelled. Staff and rooms are never double-booked (the database's own rule
holds: rows are inserted through the ORM, checked by the triggers or exclusion constraints).
Then the reminders those appointments got so far (``messaging.demo``).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import Role
from touchstone.clients.demo import DemoContext
from touchstone.clients.models import Client
from touchstone.messaging.demo import build_reminder_history
from touchstone.scheduling.models import (
    Appointment,
    Location,
    Room,
    Service,
    Status,
    WeeklyHours,
)

SERVICES = [
    # name, minutes, modality, billing code (fees: the fee schedule, billing.demo)
    ("Swedish massage 60", 60, "swedish", "97124"),
    ("Deep tissue massage 60", 60, "deep_tissue", "97124"),
    ("Myofascial release 45", 45, "myofascial", "97140"),
    ("Prenatal massage 60", 60, "prenatal", "97124"),
]
#: Start times of the day's slots (the hour 12-13 is the break).
SLOTS = [dt.time(9), dt.time(10), dt.time(11), dt.time(13), dt.time(14), dt.time(15), dt.time(16)]
PAST_OUTCOMES = [
    (Status.COMPLETED, 85),
    (Status.NO_SHOW, 7),
    (Status.CANCELLED, 5),
    (Status.LATE_CANCELLED, 3),
]


def build_demo_calendar(context: DemoContext) -> None:
    if not context.last:
        return  # once, after the last batch of clients (the demo builds in batches)
    rng, clinic, today = context.rng, context.clinic, context.today
    zone = clinic.zone
    location = Location.objects.create(
        clinic=clinic, name="Stillwater studio", address="12 Harbor Lane (demo address)"
    )
    rooms = [
        Room.objects.create(clinic=clinic, location=location, name=f"Room {n}") for n in (1, 2)
    ]
    services = [
        Service.objects.create(
            clinic=clinic,
            name=name,
            duration_min=minutes,
            modality=modality,
            billing_code=code,
        )
        for name, minutes, modality, code in SERVICES
    ]
    staff = [context.staff[Role.THERAPIST], context.staff[Role.CLINICIAN]]
    for member in staff:
        for weekday in range(5):
            WeeklyHours.objects.create(
                clinic=clinic,
                staff=member,
                location=location,
                weekday=weekday,
                starts=dt.time(9),
                ends=dt.time(17),
                break_starts=dt.time(12),
                break_ends=dt.time(13),
            )
    # Every client of the clinic, not only the last batch's, except those who stopped coming
    # (care.demo ended their episode early).
    clients = list(
        Client.objects.filter(clinic=clinic, archived_at__isnull=True)
        .exclude(episodes__ended_on__lt=today)
        .order_by("pk")
    )
    if not clients:
        return
    monday = today - dt.timedelta(days=today.weekday())
    first, last = monday - dt.timedelta(weeks=3), monday + dt.timedelta(days=13)
    now = timezone.now()
    rows: list[Appointment] = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            for slot in SLOTS:
                # The therapist's day is fuller than the clinician's; one room each.
                for member, room, busy in ((staff[0], rooms[0], 0.75), (staff[1], rooms[1], 0.3)):
                    if rng.random() >= (busy if day < today else busy * 0.8):
                        continue
                    service = rng.choice(services)
                    starts_at = dt.datetime.combine(day, slot, tzinfo=zone)
                    rows.append(
                        _appointment(context, member, room, service, starts_at, clients, now)
                    )
        day += dt.timedelta(days=1)
    Appointment.objects.bulk_create(rows, batch_size=200)
    build_reminder_history(
        context.actor,
        clinic,
        Appointment.objects.filter(clinic=clinic).select_related("client", "clinic"),
        since=dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        now=now,
    )


def _appointment(
    context: DemoContext,
    member: StaffMember,
    room: Room,
    service: Service,
    starts_at: dt.datetime,
    clients: list[Client],
    now: dt.datetime,
) -> Appointment:
    rng = context.rng
    booked_at = starts_at - dt.timedelta(days=rng.randint(3, 21), hours=rng.randint(0, 8))
    appointment = Appointment(
        clinic=context.clinic,
        client=rng.choice(clients),
        staff=member,
        service=service,
        location=room.location,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + service.duration,
        booked_at=min(booked_at, now),
    )
    if starts_at.date() < context.today:
        status = rng.choices([s for s, _ in PAST_OUTCOMES], [w for _, w in PAST_OUTCOMES])[0]
    elif rng.random() < 0.05:
        status = Status.CANCELLED
    elif starts_at - now < dt.timedelta(days=2) and rng.random() < 0.6:
        status = Status.CONFIRMED
    else:
        status = Status.BOOKED
    appointment.status = status
    if status == Status.COMPLETED:
        appointment.arrived_at = starts_at - dt.timedelta(minutes=rng.randint(2, 10))
        appointment.completed_at = appointment.ends_at
    elif status == Status.NO_SHOW:
        appointment.no_show_at = starts_at + dt.timedelta(minutes=15)
    elif status in (Status.CANCELLED, Status.LATE_CANCELLED):
        hours = rng.randint(2, 20) if status == Status.LATE_CANCELLED else rng.randint(26, 60)
        appointment.cancelled_at = min(starts_at - dt.timedelta(hours=hours), now)
        appointment.cancelled_by_client = rng.random() < 0.7
    elif status == Status.CONFIRMED:
        appointment.confirmed_at = min(starts_at - dt.timedelta(hours=rng.randint(20, 47)), now)
    return appointment
