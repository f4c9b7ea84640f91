"""Benchmark: the worker sends 10,000 due appointment reminders (target: under a minute).

A clinic with 10,000 clients, each with an appointment 47 hours ahead (inside the 48-hour
reminder window), served through the reminder-source interface the scheduling app plugs its
Appointment model into (messaging/reminders.py). One ``touchstone worker --once`` turn
queues the 10,000 reminders (one Message row and one audit event each) and sends them with
the file e-mail backend (one file per message, as EMAIL_FILE_PATH contracts). Timed: that
turn, end to end. Run: ``.venv/bin/python bench/reminders.py [--clients N]
[--backend file|locmem]`` (``BENCH_PROFILE=1`` prints a profile of the turn).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--backend", choices=("file", "locmem"), default="file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp())
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench-reminders.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.utils import timezone

    from touchstone.accounts.models import Clinic
    from touchstone.clients.models import Client
    from touchstone.messaging.models import Message
    from touchstone.messaging.reminders import ReminderSource, register_reminder_source

    if args.backend == "file":
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = str(work / "mail")
    else:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail.outbox = []
    call_command("migrate", verbosity=0)
    clinic = Clinic.objects.create(
        name="Bench clinic", slug="bench", quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0)
    )
    Client.objects.bulk_create(
        Client(
            clinic=clinic, given_name=f"C{i}", family_name="Bench",
            date_of_birth=dt.date(1980, 1, 1), email=f"c{i}@example.org",
        )
        for i in range(args.clients)
    )  # fmt: skip

    @dataclass
    class Appointment:
        pk: int
        client: Any
        starts_at: dt.datetime

    ahead = timezone.now() + dt.timedelta(hours=47)
    booked = [
        Appointment(c.pk, c, ahead)
        for c in Client.objects.filter(clinic=clinic).select_related("clinic")
    ]
    register_reminder_source(
        ReminderSource(
            appointments=lambda _clinic, start, end: [
                a for a in booked if start < a.starts_at <= end
            ],
            links=lambda a: (f"https://t.example/c/{a.pk}", f"https://t.example/x/{a.pk}"),
        )
    )
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        cProfile.runctx(
            'call_command("worker", "--once", verbosity=0)', globals(), locals(), sort="cumtime"
        )
    else:
        call_command("worker", "--once", verbosity=0)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    sent = Message.objects.filter(status="sent").count()
    delivered = len(list((work / "mail").iterdir())) if args.backend == "file" else len(mail.outbox)
    print(
        f"{sent} reminders queued and sent ({delivered} delivered by the {args.backend} backend) "
        f"in {seconds:.1f} s ({cpu:.1f} s of CPU): {sent / seconds:.0f} per second; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
