"""Benchmark: the calendar's week view of a clinic with 20 staff and 1,500 appointments.

Builds a throw-away SQLite database (``--db``, default a temporary file) with one clinic,
``--staff`` therapists working weekdays 08:00-17:00 (break 12:00-13:00), ``--clients``
clients and ``--appointments`` 30-minute appointments, all in the one week viewed (20 staff
have 1,600 half-hours a week: 1,500 is a nearly full week; bulk inserts, no rules: a
benchmark of reading, not booking). Then, through Django's test
client, as the owner:

* the whole clinic's week (``/calendar/?view=week&date=...``): median, min and max of
  ``--repeat`` warm views, server time inside the test client (no network; wall and CPU time,
  ``time.process_time``, with the 1-minute load average), and the number of SQL queries;
* the same for the day view and for one staff member's week.

The query count does not depend on the number of appointments (asserted in
``scheduling/tests/test_views.py``); timings are reported here, never asserted.

Run: ``.venv/bin/python bench/calendar_week.py``. Results go in docs/benchmarks.md. With
``BENCH_PROFILE=1`` the clinic's week is also rendered once under cProfile and the 25 most
expensive functions (cumulative time) are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--appointments", type=int, default=1_500)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    db = args.db or Path(tempfile.mkdtemp()) / "bench-calendar.sqlite3"
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    from touchstone.accounts.models import Clinic
    from touchstone.accounts.roles import Role
    from touchstone.clients.models import Client
    from touchstone.conftest import make_member
    from touchstone.scheduling.models import Appointment, WeeklyHours
    from touchstone.scheduling.tests.factories import make_location, make_room, make_service

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    clinic = Clinic.objects.create(name="Bench clinic", slug="bench", time_zone="America/Chicago")
    owner = make_member(clinic, "owner", Role.OWNER)
    staff = [make_member(clinic, f"therapist{i}", Role.THERAPIST) for i in range(args.staff)]
    location = make_location(clinic)
    rooms = [make_room(clinic, f"Room {i}") for i in range(args.staff)]
    service = make_service(clinic, name="Massage 30", duration_min=30)
    WeeklyHours.objects.bulk_create(
        WeeklyHours(
            clinic=clinic,
            staff=member,
            location=location,
            weekday=day,
            starts=dt.time(8),
            ends=dt.time(17),
            break_starts=dt.time(12),
            break_ends=dt.time(13),
        )
        for member in staff
        for day in range(5)
    )
    clients = Client.objects.bulk_create(
        Client(
            clinic=clinic,
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            date_of_birth=dt.date(1980, 1, 1) + dt.timedelta(days=i),
        )
        for i in range(args.clients)
    )
    monday = dt.date(2026, 3, 2)
    starts = [dt.time(h, m) for h in (8, 9, 10, 11, 13, 14, 15, 16) for m in (0, 30)]
    slots = [(member, day, start) for day in range(5) for start in starts for member in staff]
    if args.appointments > len(slots):
        sys.exit(f"{args.staff} staff have {len(slots)} half-hours a week; ask for fewer.")
    rng = random.Random(1)
    rows = []
    for member, day, start_time in rng.sample(slots, args.appointments):
        start = dt.datetime.combine(monday + dt.timedelta(days=day), start_time, tzinfo=clinic.zone)
        rows.append(
            Appointment(
                clinic=clinic,
                client=rng.choice(clients),
                staff=member,
                service=service,
                location=location,
                room=rooms[staff.index(member)],
                starts_at=start,
                ends_at=start + dt.timedelta(minutes=30),
            )
        )
    Appointment.objects.bulk_create(rows)
    print(
        f"built {args.staff} staff, {args.clients} clients, {len(rows)} appointments "
        f"in the week viewed in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )

    http = HttpClient()
    http.force_login(owner.user)
    views = {
        "clinic week": f"/calendar/?view=week&date={monday}",
        "clinic day": f"/calendar/?view=day&date={monday}",
        "one staff member's week": f"/calendar/?view=week&date={monday}&staff={staff[0].pk}",
    }
    for name, url in views.items():
        assert http.get(url).status_code == 200
        times, cpu = [], []
        load = os.getloadavg()[0]
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as ctx:
                response = http.get(url)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert response.status_code == 200
        print(
            f"{name}: warm median {1000 * statistics.median(times):.0f} ms "
            f"(min {1000 * min(times):.0f}, max {1000 * max(times):.0f}), "
            f"CPU median {1000 * statistics.median(cpu):.0f} ms "
            f"(min {1000 * min(cpu):.0f}); {len(ctx.captured_queries)} queries; "
            f"{len(response.content) // 1024} KiB; load average {load:.1f}"
        )
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(http.get, views["clinic week"])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
