"""Staff members' calendar feeds: a secret, revocable URL whose iCalendar, parsed back with
the icalendar library, carries the appointments and no client name."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
from django.test import Client as HttpClient

from touchstone.accounts.models import hash_token
from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast, make_client
from touchstone.scheduling.models import BookingPolicy, CalendarFeed, Status
from touchstone.scheduling.tests.factories import local, make_appointment, next_weekday


def _feed_url(cast: Cast) -> str:
    page = cast.browser_for(cast.tess).post("/calendar/feed/", {"action": "create"})
    assert page.status_code == 200
    return re.search(
        r'value="http://testserver(/calendar/feeds/[^"]+\.ics)"', page.content.decode()
    ).group(1)


def _events(response: object) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(response.content)  # type: ignore[attr-defined]
    return list(calendar.walk("VEVENT"))


def test_the_feed_carries_the_appointments_and_no_client_name(cast: Cast):
    client = make_client(cast.harbour, given_name="Rosalind", family_name="Quist")
    day = next_weekday(2)
    booked = make_appointment(cast.harbour, cast.tess, client, local(day, 10, clinic=cast.harbour))
    make_appointment(
        cast.harbour,
        cast.tess,
        client,
        local(day, 12, clinic=cast.harbour),
        status=Status.CANCELLED,
    )
    make_appointment(cast.harbour, cast.bob, client, local(day, 14, clinic=cast.harbour))
    url = _feed_url(cast)
    response = HttpClient().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar"
    assert b"Rosalind" not in response.content and b"Quist" not in response.content
    events = _events(response)
    assert len(events) == 1  # Tess's booked one: not the cancelled one, not Bob's
    event = events[0]
    assert event.decoded("dtstart") == booked.starts_at
    assert event.decoded("dtend") == booked.ends_at
    assert str(event["summary"]) == booked.service.name
    assert str(event["uid"]) == f"appointment-{booked.pk}@touchstone.harbour"
    assert AuditEvent.objects.filter(
        actor=cast.tess.user, action="list", detail__startswith="calendar feed"
    ).exists()


def test_initials_only_when_the_clinic_allows_them(cast: Cast):
    client = make_client(cast.harbour, given_name="Rosalind", family_name="Quist")
    make_appointment(cast.harbour, cast.tess, client)
    BookingPolicy.objects.create(clinic=cast.harbour, feed_initials=True)
    events = _events(HttpClient().get(_feed_url(cast)))
    assert str(events[0]["summary"]).endswith("– R.Q.")


def test_only_the_hash_is_stored_and_a_revoked_or_replaced_feed_stops(cast: Cast):
    first = _feed_url(cast)
    secret = first.rsplit("/", 1)[1].removesuffix(".ics")
    feed = CalendarFeed.objects.get()
    assert feed.key_hash == hash_token(secret) and secret not in feed.key_hash
    second = _feed_url(cast)  # a new address: the old one stops
    assert HttpClient().get(first).status_code == 404
    assert HttpClient().get(second).status_code == 200
    cast.browser_for(cast.tess).post("/calendar/feed/", {"action": "revoke"})
    assert HttpClient().get(second).status_code == 404
    assert HttpClient().get("/calendar/feeds/tscal_guess.ics").status_code == 404
    assert (
        AuditEvent.objects.filter(action="revoke", object_type="scheduling.calendarfeed").count()
        == 2
    )


def test_a_feed_stops_with_its_staff_member(cast: Cast):
    url = _feed_url(cast)
    cast.tess.is_active = False
    cast.tess.save(update_fields=["is_active"])
    assert HttpClient().get(url).status_code == 404


def test_feed_covers_a_month_back(cast: Cast):
    old = make_appointment(
        cast.harbour,
        cast.tess,
        starts_at=local(next_weekday(2), 10, clinic=cast.harbour) - dt.timedelta(days=60),
    )
    events = _events(HttpClient().get(_feed_url(cast)))
    assert all(str(e["uid"]) != f"appointment-{old.pk}@touchstone.harbour" for e in events)
