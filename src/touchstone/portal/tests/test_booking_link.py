""" "Send booking link": staff send a client a private link to book their next visit, by the
client's channel, audited and rate-limited, with a clear refusal when it cannot go."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, make_client
from touchstone.messaging.models import Message, OutboxText
from touchstone.portal.models import PortalLink, Purpose
from touchstone.portal.sending import PER_DAY
from touchstone.scheduling.models import BookingPolicy
from touchstone.scheduling.tests.factories import make_appointment

NOON = dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC)  # Monday 12:00 in Chicago
LINK = re.compile(r"https://touchstone\.example(/p/[^/\s]+/)")


@pytest.fixture
def clinic(cast: Cast, settings: Any) -> Cast:
    settings.SITE_URL = "https://touchstone.example"
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    BookingPolicy.objects.create(clinic=cast.harbour, online_booking=True)
    return cast


def _send(cast: Cast, client: Any, **data: str) -> Any:
    return cast.browser_for(cast.fiona).post(
        f"/clients/{client.pk}/links/booking/", data, follow=True
    )


def test_the_front_desk_sends_a_booking_link_by_e_mail_and_it_opens_the_booking_page(
    clinic: Cast,
):
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NOON, tick=False):
        page = _send(clinic, dana)
        assert page.redirect_chain[-1][0] == f"/clients/{dana.pk}/"
        assert "A booking link goes to Dana Example by e-mail." in page.content.decode()
        call_command("worker", "--once", verbosity=0)
        [sent] = mail.outbox
        assert sent.to == ["dana@example.org"] and "Book your next visit" in sent.subject
        for clinical in ("PHQ", "score", "depress", "anxi", "diagnos"):
            assert clinical not in sent.body
        [path] = LINK.findall(sent.body)
        opened = HttpClient().get(path, follow=True)
        assert opened.redirect_chain[-1][0].endswith("/book/") and opened.status_code == 200
    link = PortalLink.objects.get(client=dana)
    assert link.purpose == Purpose.BOOKING and link.created_by == clinic.fiona
    granted = AuditEvent.objects.get(object_type="portal.portallink", action="grant")
    assert granted.actor == clinic.fiona.user and granted.detail == "portal booking"
    assert AuditEvent.objects.filter(object_type="messaging.message", detail="booking by email")


def test_a_text_message_for_a_client_who_prefers_them(clinic: Cast):
    sam = make_client(clinic.harbour, phone="(312) 555-0142", message_channel="sms")
    with time_machine.travel(NOON, tick=False):
        assert "by text message" in _send(clinic, sam).content.decode()
        call_command("worker", "--once", verbosity=0)
    [text] = OutboxText.objects.all()
    assert text.to == "+13125550142" and LINK.search(text.body)


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"email": "lee@example.org", "messages_opt_out": True}, "asked for no messages"),
        ({"email": ""}, "has no e-mail address"),
        ({"message_channel": "sms", "phone": ""}, "has no mobile number"),
    ],
)
def test_a_client_who_opted_out_or_cannot_be_reached_gets_nothing_and_staff_are_told_why(
    clinic: Cast, fields: dict[str, Any], says: str
):
    lee = make_client(clinic.harbour, **fields)
    page = _send(clinic, lee).content.decode()
    assert says in page
    assert not PortalLink.objects.exists() and not Message.objects.exists()
    refused = AuditEvent.objects.get(action="denied", object_type="clients.client")
    assert refused.object_id == str(lee.pk) and "booking link not sent" in refused.detail


def test_it_is_refused_while_the_clinic_takes_no_online_bookings(clinic: Cast):
    BookingPolicy.objects.filter(clinic=clinic.harbour).update(online_booking=False)
    page = _send(clinic, make_client(clinic.harbour, email="a@example.org")).content.decode()
    assert "does not take online bookings" in page and not PortalLink.objects.exists()


def test_one_link_per_ten_minutes_and_three_a_day(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    with time_machine.travel(NOON, tick=False) as traveller:
        _send(clinic, dana)
        assert "a few minutes ago" in _send(clinic, dana).content.decode()  # a double click
        for _ in range(PER_DAY - 1):
            traveller.shift(dt.timedelta(minutes=11))
            _send(clinic, dana)
        traveller.shift(dt.timedelta(minutes=11))
        assert "no more today" in _send(clinic, dana).content.decode()
        assert Message.objects.filter(kind="booking").count() == PER_DAY
        traveller.shift(dt.timedelta(days=1))
        _send(clinic, dana)
    assert Message.objects.filter(kind="booking").count() == PER_DAY + 1


def test_from_the_appointment_page_it_returns_there(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    appointment = make_appointment(clinic.harbour, clinic.tess, dana)
    desk = clinic.browser_for(clinic.fiona)
    page = desk.get(f"/calendar/appointments/{appointment.pk}/").content.decode()
    assert "Send booking link" in page
    back = f"/calendar/appointments/{appointment.pk}/"
    response = desk.post(f"/clients/{dana.pk}/links/booking/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    evil = desk.post(f"/clients/{dana.pk}/links/booking/", {"next": "https://evil.example/"})
    assert evil["Location"] == f"/clients/{dana.pk}/"


def test_only_the_care_team_of_the_clinic_sends_one(clinic: Cast):
    dana = make_client(clinic.harbour, email="dana@example.org")
    url = f"/clients/{dana.pk}/links/booking/"
    assert clinic.browser_for(clinic.charlie).post(url).status_code == 404
    assert clinic.browser_for(clinic.rita).post(url).status_code == 403
    assert clinic.browser_for(clinic.fiona).get(url).status_code == 405
    assert not PortalLink.objects.exists()
