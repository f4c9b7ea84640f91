"""Issue 13's day in a real browser, at a phone's, a tablet's and a desktop's width: the front
desk books, moves and checks in an appointment; the therapist documents the visit it became;
the client books a follow-up through the private link they hold. Screenshots of each step go
to artifacts/screenshots/ (booking-<width>-NN-*.png); every page is checked with axe-core.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from touchstone.care.models import Visit
from touchstone.conftest import Cast, make_client
from touchstone.portal.models import PortalLink
from touchstone.scheduling.models import Appointment, BookingPolicy, Status, WeeklyHours
from touchstone.scheduling.tests.factories import make_location, make_room, make_service
from touchstone.tests.browser.axe import serious_violations
from touchstone.tests.browser.conftest import ARTIFACTS
from touchstone.tests.browser.signing import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [
    pytest.param(
        390, marks=pytest.mark.browser_context_args(viewport={"width": 390, "height": 844})
    ),
    pytest.param(
        768, marks=pytest.mark.browser_context_args(viewport={"width": 768, "height": 1024})
    ),
    pytest.param(
        1280, marks=pytest.mark.browser_context_args(viewport={"width": 1280, "height": 900})
    ),
]


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("width", WIDTHS)
def test_front_desk_therapist_and_client_run_a_booking_day(
    cast: Cast, live_server: Any, page: Any, browser: Any, width: int
):
    url = live_server.url
    problems: list[str] = []

    def check(name: str, on: Any = page) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        on.screenshot(path=str(ARTIFACTS / f"booking-{width}-{name}.png"), full_page=True)
        problems.extend(f"{name}: {v}" for v in serious_violations(on))
        if not _no_sideways_scroll(on):
            problems.append(f"{name}: the page scrolls sideways at {width} px")

    # Tess works every day from 00:00 to 23:30, so the test runs whatever the hour.
    location = make_location(cast.harbour)
    for weekday in range(7):
        WeeklyHours.objects.create(
            clinic=cast.harbour,
            staff=cast.tess,
            location=location,
            weekday=weekday,
            starts=dt.time(0),
            ends=dt.time(23, 30),
        )
    make_service(cast.harbour)
    make_room(cast.harbour)
    BookingPolicy.objects.create(
        clinic=cast.harbour, online_booking=True, min_notice_hours=0, slot_step_min=60
    )
    client = make_client(cast.harbour, given_name="Maya", family_name="Okonkwo")
    today = timezone.localdate(timezone.now(), cast.harbour.zone)

    # The front desk books Maya with Tess today at 00:00 ...
    sign_in(page, url, "fiona")
    page.goto(f"{url}/calendar/new/?date={today:%Y-%m-%d}&staff={cast.tess.pk}&time=00:00")
    page.get_by_label("Find a client").fill("Okonk")
    page.locator("#id_client option", has_text="Okonkwo, Maya").wait_for(state="attached")
    page.locator("#id_client").select_option(str(client.pk))
    page.locator("#id_service").select_option(label="Swedish massage 60 (60 min)")
    check("01-book")
    page.get_by_role("button", name="Book", exact=True).click()
    page.get_by_text("Appointment booked.").wait_for()
    check("02-calendar")
    appointment = Appointment.objects.get(client=client)

    # ... moves it to 01:00 ...
    page.goto(f"{url}/calendar/appointments/{appointment.pk}/")
    page.get_by_label("Start").fill("01:00")
    page.get_by_role("button", name="Move", exact=True).click()
    page.get_by_text("Appointment moved.").wait_for()
    appointment.refresh_from_db()
    assert timezone.localtime(appointment.starts_at, cast.harbour.zone).hour == 1

    # ... and checks her in: the visit exists, and the front desk sees no link to its notes.
    page.goto(f"{url}/calendar/appointments/{appointment.pk}/")
    check("03-appointment")
    page.get_by_role("button", name="Check in").click()
    page.get_by_text("Arrived:").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == Status.ARRIVED and appointment.visit_id
    page.goto(f"{url}/calendar/appointments/{appointment.pk}/")
    assert page.get_by_role("link", name="Document the visit").count() == 0

    # The therapist documents that visit from the appointment: nothing typed twice.
    page.context.clear_cookies()
    sign_in(page, url, "tess")
    page.goto(f"{url}/calendar/appointments/{appointment.pk}/")
    page.get_by_role("link", name="Document the visit").click()
    page.get_by_label("Subjective").fill("Neck tension, slept badly this week.")
    check("04-visit")
    page.get_by_role("button", name="Save the visit").click()
    page.wait_for_url(re.compile(r"/visits/\d+/$"))
    visit = Visit.objects.get(pk=appointment.visit_id)
    assert visit.subjective.startswith("Neck tension") and visit.therapist == cast.tess

    # Maya books her follow-up on her own phone through her private link.
    link = PortalLink.objects.create(
        clinic=cast.harbour,
        client=client,
        purpose="progress",
        created_by=cast.tess,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    phone = browser.new_context(viewport=page.viewport_size).new_page()
    phone.goto(f"{url}/p/{link.token}/book/")
    phone.get_by_role("heading", name="Book your next visit").wait_for()
    check("05-portal", phone)
    phone.locator("input[name=slot]").first.check()
    phone.get_by_role("button", name="Book this time").click()
    phone.get_by_text("Your appointment is booked.").wait_for()
    check("06-portal-booked", phone)
    follow_up = Appointment.objects.filter(client=client).exclude(pk=appointment.pk).get()
    assert follow_up.channel == "portal" and follow_up.status == Status.BOOKED
    assert problems == [], "\n".join(problems)
