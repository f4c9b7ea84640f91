"""Staff members' calendar feeds: their appointments as an iCalendar file (RFC 5545) built
with the ``icalendar`` library, behind a secret URL (``CalendarFeed``).

What a feed carries is deliberately little, since a phone's calendar app syncs it to places
the clinic does not control: the service, the start and end (UTC), the location and room,
and the status. No client name, no note; the client's initials only where the clinic's
booking policy allows them.
"""

from __future__ import annotations

import datetime as dt
import secrets

import icalendar
from django.utils import timezone

from touchstone.accounts.models import hash_token
from touchstone.scheduling.models import BLOCKING, Appointment, CalendarFeed, Status, policy_for

#: Feed secrets: a label and 256 bits of randomness (``hash_token`` stores their SHA-256).
FEED_PREFIX = "tscal"
#: The span a feed covers around today.
PAST = dt.timedelta(days=30)
AHEAD = dt.timedelta(days=180)


def new_secret() -> str:
    return f"{FEED_PREFIX}_{secrets.token_urlsafe(32)}"


def find_feed(secret: str) -> CalendarFeed | None:
    """The active feed behind ``secret`` (its staff member still active), or None."""
    if not secret.startswith(f"{FEED_PREFIX}_"):
        return None
    return (
        CalendarFeed.objects.active()
        .select_related("clinic", "staff__user")
        .filter(key_hash=hash_token(secret), staff__is_active=True)
        .first()
    )


def initials(given: str, family: str) -> str:
    return "".join(f"{part[0].upper()}." for part in (given, family) if part)


def feed_appointments(feed: CalendarFeed, now: dt.datetime | None = None) -> list[Appointment]:
    """The staff member's appointments that hold time, from a month ago to six months on.
    One query."""
    now = now or timezone.now()
    return list(
        Appointment.objects.filter(
            clinic_id=feed.clinic_id,
            staff_id=feed.staff_id,
            status__in=BLOCKING,
            starts_at__gte=now - PAST,
            starts_at__lt=now + AHEAD,
        )
        .select_related("client", "service", "location", "room")
        .order_by("starts_at", "id")
    )


def build_calendar(feed: CalendarFeed, appointments: list[Appointment]) -> bytes:
    """The iCalendar document of ``appointments`` for ``feed``'s staff member."""
    clinic = feed.clinic
    show_initials = policy_for(clinic).feed_initials
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Touchstone//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{clinic.name}: {feed.staff.display_name}")
    calendar.add("x-wr-timezone", clinic.time_zone)
    stamp = timezone.now()
    for appointment in appointments:
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@touchstone.{clinic.slug}")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
        event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
        summary = appointment.service.name
        if show_initials:
            client = appointment.client
            summary += f" – {initials(client.given_name, client.family_name)}"
        event.add("summary", summary)
        place = [p for p in (appointment.location, appointment.room) if p is not None]
        if place:
            event.add("location", ", ".join(str(p) for p in place))
        event.add("status", "TENTATIVE" if appointment.status == Status.BOOKED else "CONFIRMED")
        event.add("last-modified", appointment.booked_at)
        calendar.add_component(event)
    return calendar.to_ical()
