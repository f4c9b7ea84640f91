"""Appointment reminders through the reminder-source interface (the scheduling app plugs
its Appointment model in; here a stand-in with the same three attributes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from touchstone.accounts.models import Clinic
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.messaging.models import Message
from touchstone.messaging.reminders import (
    ReminderSource,
    register_reminder_source,
    unregister_reminder_source,
)

MONDAY_NOON = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)  # 12:00 in Chicago


@dataclass
class Appointment:
    pk: int
    client: Client
    starts_at: dt.datetime
    clinic: Clinic
    cancelled: bool = False


@pytest.fixture
def book(cast: Cast) -> Iterator[Any]:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    booked: list[Appointment] = []
    source = ReminderSource(
        appointments=lambda clinic, start, end: [
            a
            for a in booked
            if a.clinic == clinic and not a.cancelled and start < a.starts_at <= end
        ],
        links=lambda a: (f"https://t.example/c/{a.pk}", f"https://t.example/x/{a.pk}"),
    )
    register_reminder_source(source)

    def add(starts_at: dt.datetime, **client: Any) -> Appointment:
        who = make_client(cast.harbour, email="dana@example.org", **client)
        booked.append(Appointment(len(booked) + 1, who, starts_at, cast.harbour))
        return booked[-1]

    yield add
    unregister_reminder_source(source)


def _worker() -> None:
    call_command("worker", "--once", verbosity=0)


def test_it_reminds_48_and_2_hours_before_with_confirm_and_cancel_links(book: Any):
    visit = book(MONDAY_NOON + dt.timedelta(days=3))  # Thursday 12:00 Chicago
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        _worker()
        assert mail.outbox == []
        traveller.move_to(visit.starts_at - dt.timedelta(hours=48))
        _worker()
        [first] = mail.outbox
        assert "Thursday, March 5 at 12:00 PM" in first.body
        assert "https://t.example/c/1" in first.body and "https://t.example/x/1" in first.body
        traveller.shift(dt.timedelta(hours=1))
        _worker()
        assert len(mail.outbox) == 1
        traveller.move_to(visit.starts_at - dt.timedelta(hours=2))
        _worker()
        traveller.shift(dt.timedelta(minutes=30))
        _worker()
    assert len(mail.outbox) == 2
    assert sorted(Message.objects.values_list("key", flat=True)) == [
        "reminder:1:2h:20260305T1800Z",
        "reminder:1:48h:20260305T1800Z",
    ]


def test_a_late_booking_gets_only_the_short_reminder(book: Any):
    book(MONDAY_NOON + dt.timedelta(hours=1))
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        _worker()
        traveller.shift(dt.timedelta(minutes=30))
        _worker()
    assert list(Message.objects.values_list("key", flat=True)) == ["reminder:1:2h:20260302T1900Z"]
    assert len(mail.outbox) == 1


def test_a_cancelled_appointment_and_an_opted_out_client_get_nothing(book: Any):
    book(MONDAY_NOON + dt.timedelta(hours=47)).cancelled = True
    book(MONDAY_NOON + dt.timedelta(hours=47), messages_opt_out=True)
    with time_machine.travel(MONDAY_NOON, tick=False):
        _worker()
    assert mail.outbox == []
    [message] = Message.objects.all()
    assert message.skip_reason == "opted_out"


def test_the_worker_puts_due_reminders_in_email_file_path(book: Any, settings: Any, tmp_path: Path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    book(MONDAY_NOON + dt.timedelta(hours=30))
    with time_machine.travel(MONDAY_NOON, tick=False):
        _worker()
    [written] = list(tmp_path.iterdir())
    assert "Reminder: your appointment at Harbour Massage" in written.read_text()
