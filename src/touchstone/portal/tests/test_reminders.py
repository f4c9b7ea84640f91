"""Appointment reminders from the real schedule: at the clinic's lead times, through the worker
and a real SMTP server, with time travel; the confirm and cancel links they carry (signed,
single-purpose, expiring); channel preference and opt-out; moved and cancelled appointments."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.accounts.models import Clinic
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.messaging.models import Message, OutboxText, Status
from touchstone.messaging.tests.smtp import Inbox, smtp_server
from touchstone.portal.appointments import appointment_token
from touchstone.scheduling.actions import do_move_appointment
from touchstone.scheduling.models import Appointment
from touchstone.scheduling.models import Status as AppointmentStatus
from touchstone.scheduling.tests.factories import make_appointment
from touchstone.tests.installation import installation

# Monday 2 March 2026, 10:00 in Chicago (UTC-6 until the 8th); the visit is Thursday 14:00.
MONDAY = dt.datetime(2026, 3, 2, 16, 0, tzinfo=dt.UTC)
THURSDAY_2PM = dt.datetime(2026, 3, 5, 20, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https://touchstone\.example(/a/(confirm|cancel)/[^/\s]+/)")


@pytest.fixture
def clinic(cast: Cast) -> Clinic:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.phone = "(312) 555-0100"
    cast.harbour.save(update_fields=["time_zone", "phone"])
    return cast.harbour


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server(settings) as inbox:
        yield inbox


def _worker() -> None:
    call_command("worker", "--once", verbosity=0)


def _book(cast: Cast, clinic: Clinic, starts_at: dt.datetime = THURSDAY_2PM, **client: Any) -> Any:
    who = make_client(clinic, email="dana@example.org", **client)
    with time_machine.travel(MONDAY - dt.timedelta(days=7), tick=False):
        return make_appointment(clinic, cast.tess, who, starts_at)


def _move(cast: Cast, appointment: Appointment, starts_at: dt.datetime) -> None:
    fresh = Appointment.objects.get(pk=appointment.pk)
    do_move_appointment(
        actor_of(cast.fiona), fresh, {"starts_at": starts_at}, override_reason="client asked"
    )


def _links(body: str) -> dict[str, str]:
    return {purpose: path for path, purpose in LINK.findall(body)}


def test_reminders_at_48_and_2_hours_reach_a_real_smtp_server_and_confirm_works(
    cast: Cast, clinic: Clinic, smtp: Inbox
):
    appointment = _book(cast, clinic)
    with time_machine.travel(MONDAY, tick=False) as traveller:
        _worker()
        assert smtp.received == []  # 76 hours ahead: nothing due yet
        traveller.move_to(THURSDAY_2PM - dt.timedelta(hours=48))
        _worker()
        _worker()  # a second run sends nothing twice
        [first] = smtp.to("dana@example.org")
        body = first.get_payload()
        assert "Thursday, March 5 at 2:00 PM" in body
        for clinical in ("PHQ", "score", "depress", "anxi", "diagnos", "Swedish"):
            assert clinical not in body + first["Subject"]
        links = _links(body)
        assert set(links) == {"confirm", "cancel"}

        browser = HttpClient()
        page = browser.get(links["confirm"])
        assert page.status_code == 200 and "Confirm my appointment" in page.text
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED  # opening a link changes nothing
        done = browser.post(links["confirm"])
        assert "your appointment is confirmed" in done.text
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CONFIRMED
        assert appointment.confirmed_at == THURSDAY_2PM - dt.timedelta(hours=48)
        event = AuditEvent.objects.filter(object_type="scheduling.appointment").latest("at", "id")
        assert event.channel == "portal" and "confirmed" in event.detail

        traveller.move_to(THURSDAY_2PM - dt.timedelta(hours=2))
        _worker()
        traveller.shift(dt.timedelta(hours=1))
        _worker()
    assert len(smtp.to("dana@example.org")) == 2  # a confirmed appointment is still reminded
    assert Message.objects.filter(kind="reminder", status=Status.SENT).count() == 2


def test_the_cancel_link_cancels_before_the_notice_and_asks_for_a_call_inside_it(
    cast: Cast, clinic: Clinic, settings: Any
):
    settings.SITE_URL = "https://touchstone.example"
    early = _book(cast, clinic)
    late = _book(cast, clinic, THURSDAY_2PM + dt.timedelta(hours=2))
    browser = HttpClient()
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=46), tick=False):
        _worker()  # 48 hours before the later one, inside the 48-hour lead of the earlier
        [for_early, for_late] = sorted(mail.outbox, key=lambda m: "4:00 PM" in m.body)
        browser.post(_links(for_early.body)["cancel"])
        early.refresh_from_db()
        assert early.status == AppointmentStatus.CANCELLED and early.cancelled_by_client
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=3), tick=False):
        page = browser.post(_links(for_late.body)["cancel"])
        assert "by calling the clinic" in page.text and "(312) 555-0100" in page.text
        late.refresh_from_db()
        assert late.status == AppointmentStatus.BOOKED
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=2), tick=False):
        _worker()  # the cancelled appointment gets no 2-hour reminder
    reminded = Message.objects.filter(kind="reminder").values_list("key", flat=True)
    assert not any(k.startswith(f"reminder:{early.pk}:2h") for k in reminded)


def test_links_are_single_purpose_expire_at_the_start_and_die_when_the_time_moves(
    cast: Cast, clinic: Clinic
):
    appointment = _book(cast, clinic)
    browser = HttpClient()
    with time_machine.travel(MONDAY, tick=False):
        confirm = appointment_token(appointment, "confirm")
        assert browser.get(f"/a/confirm/{confirm}/").status_code == 200
        # A confirm token is no cancel token, and a forged one is nothing.
        assert browser.post(f"/a/cancel/{confirm}/").status_code == 404
        assert browser.get(f"/a/confirm/{confirm[:-2]}xx/").status_code == 404
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.BOOKED
    with time_machine.travel(THURSDAY_2PM, tick=False):
        assert browser.get(f"/a/confirm/{confirm}/").status_code == 404  # it has begun
    with time_machine.travel(MONDAY, tick=False):
        _move(cast, appointment, THURSDAY_2PM + dt.timedelta(days=1))
        assert browser.get(f"/a/confirm/{confirm}/").status_code == 404  # the old time's link
        moved = appointment_token(Appointment.objects.get(pk=appointment.pk), "confirm")
        assert browser.get(f"/a/confirm/{moved}/").status_code == 200


def test_a_move_voids_the_queued_reminder_and_the_new_time_gets_its_own(cast: Cast, clinic: Clinic):
    clinic.quiet_hours_start, clinic.quiet_hours_end = dt.time(20), dt.time(8)
    clinic.save(update_fields=["quiet_hours_start", "quiet_hours_end"])
    appointment = _book(cast, clinic)
    # 48 hours before is Tuesday 14:00; at 23:00 on Monday the reminder of the 48-hour lead is
    # not due yet. Move the visit to Wednesday 09:00: the 48-hour lead is then due at once, but
    # it is 21:00 in Chicago, so it waits for 08:00 (quiet hours).
    evening = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)  # Monday 21:00 Chicago
    wednesday_9am = dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC)
    with time_machine.travel(evening, tick=False):
        _move(cast, appointment, wednesday_9am)
        _worker()
        [queued] = Message.objects.filter(kind="reminder")
        assert queued.status == Status.QUEUED and mail.outbox == []
        _move(cast, appointment, wednesday_9am + dt.timedelta(hours=1))
        queued.refresh_from_db()
        assert (queued.status, queued.skip_reason) == (Status.SKIPPED, "expired")
    with time_machine.travel(dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC), tick=False):
        _worker()  # Tuesday 08:00 Chicago
    [sent] = mail.outbox
    assert "Wednesday, March 4 at 10:00 AM" in sent.body


def test_channel_preference_and_opt_out_are_honoured(cast: Cast, clinic: Clinic):
    _book(cast, clinic, phone="312 555 0142", message_channel="sms")
    _book(cast, clinic, THURSDAY_2PM + dt.timedelta(hours=1), messages_opt_out=True)
    with time_machine.travel(THURSDAY_2PM - dt.timedelta(hours=46), tick=False):
        _worker()
    assert mail.outbox == []
    [text] = OutboxText.objects.all()
    assert text.to == "+13125550142" and "/a/confirm/" in text.body
    skipped = Message.objects.get(status=Status.SKIPPED)
    assert skipped.skip_reason == "opted_out"


SETUP = """
import datetime as dt, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "touchstone.settings")
import django
django.setup()
from django.utils import timezone
from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.conftest import make_client, make_member
from touchstone.scheduling.tests.factories import make_appointment
# No quiet hours: the test runs at the real time of day, which may fall in the default ones.
clinic = Clinic.objects.create(
    name="Harbour Massage", slug="harbour",
    quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0),
)
tess = make_member(clinic, "tess", Role.THERAPIST)
client = make_client(clinic, email="dana@example.org")
make_appointment(clinic, tess, client, timezone.now() + dt.timedelta(hours=30))
"""


@pytest.mark.slow
def test_contract_worker_once_puts_due_reminders_in_email_file_path(
    tmp_path: Path, migrated_database: str
):
    """Issue 13 §6, as an operator runs it: ``touchstone worker --once`` with the file
    backend writes the due reminders into ``EMAIL_FILE_PATH``."""
    outbox = tmp_path / "outbox"
    email = {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(outbox),
    }
    with installation(tmp_path / "site", template=migrated_database) as site:
        subprocess.run([sys.executable, "-c", SETUP], env=site.env, check=True)
        result = site.touchstone("worker", "--once", env=email)
        assert "task(s) run" in result.stdout
        site.touchstone("worker", "--once", env=email)  # nothing is due twice
    [written] = list(outbox.iterdir())
    text = written.read_text()
    assert "Reminder: your appointment at Harbour Massage" in text
    assert "dana@example.org" in text and "/a/confirm/" in text and "/a/cancel/" in text
