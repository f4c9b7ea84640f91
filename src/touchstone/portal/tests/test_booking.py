"""The client's booking pages: book, move and cancel through a private link, under the
clinic's booking policy and the one conflict rule, in the clinic's time zone."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.portal import throttle
from touchstone.portal.models import PortalLink
from touchstone.scheduling import actions
from touchstone.scheduling.models import Appointment, BookingPolicy, Service, Status
from touchstone.scheduling.online import TAKEN
from touchstone.scheduling.tests.factories import (
    local,
    make_appointment,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)


@pytest.fixture
def clinic(cast: Cast) -> Cast:
    """Harbour in Chicago, Tess working weekdays 09-17, one room, online booking on."""
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    make_weekday_hours(cast.harbour, cast.tess)
    make_service(cast.harbour)
    make_room(cast.harbour)
    BookingPolicy.objects.create(
        clinic=cast.harbour,
        online_booking=True,
        new_clients_online=True,
        min_notice_hours=0,
        slot_step_min=60,
        cancellation_notice_hours=24,
    )
    return cast


def link_for(cast: Cast, client: Any = None, **fields: Any) -> tuple[PortalLink, str]:
    link = PortalLink.objects.create(
        clinic=cast.harbour,
        client=client or make_client(cast.harbour),
        purpose=fields.pop("purpose", "progress"),
        created_by=cast.tess,
        expires_at=timezone.now() + dt.timedelta(days=14),
        **fields,
    )
    return link, f"/p/{link.token}/book/"


def day_ahead(cast: Cast, weekday: int = 2) -> dt.date:
    """A weekday at least two days ahead in the clinic's calendar (outside the notice)."""
    today = timezone.localdate(timezone.now(), cast.harbour.zone)
    return next_weekday(weekday, today + dt.timedelta(days=2))


def slot(cast: Cast, day: dt.date, hour: int) -> str:
    return local(day, hour, clinic=cast.harbour).isoformat()


def _service(cast: Cast) -> Service:
    return Service.objects.get(clinic=cast.harbour, name="Swedish massage 60")


def book(http: HttpClient, path: str, cast: Cast, start: str, staff: str = "any") -> Any:
    return http.post(path, {"service": _service(cast).pk, "staff": staff, "slot": start})


def test_it_offers_free_times_in_the_clinics_zone_and_books_one(clinic: Cast):
    link, path = link_for(clinic)
    day = day_ahead(clinic)
    http = HttpClient()
    page = http.get(path, {"service": _service(clinic).pk, "staff": "any", "start": day})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{slot(clinic, day, 9)}"' in html  # 09:00 Chicago, whatever the server's zone
    assert "12:00" not in html.split(day.isoformat(), 1)[1].split("</fieldset>", 1)[0]  # break
    response = book(http, path, clinic, slot(clinic, day, 10), str(clinic.tess.pk))
    assert response.status_code == 302 and response["Location"].endswith("?done=booked")
    appointment = Appointment.objects.get()
    assert appointment.client == link.client and appointment.staff == clinic.tess
    assert appointment.starts_at == local(day, 10, clinic=clinic.harbour)
    assert appointment.channel == "portal" and appointment.booked_by is None
    assert appointment.room is not None and appointment.status == Status.BOOKED
    assert AuditEvent.objects.filter(
        channel="portal", action="create", object_type="scheduling.appointment"
    ).exists()
    after = http.get(response["Location"]).content.decode()
    assert "Your appointment is booked." in after and "10:00" in after


def test_a_time_taken_a_second_ago_is_refused_with_a_clear_message(clinic: Cast):
    _, path = link_for(clinic)
    day = day_ahead(clinic)
    make_appointment(clinic.harbour, clinic.tess, starts_at=local(day, 10, clinic=clinic.harbour))
    response = book(HttpClient(), path, clinic, slot(clinic, day, 10), str(clinic.tess.pk))
    assert response.status_code == 409
    assert TAKEN in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_time_the_page_would_not_offer_is_refused(clinic: Cast):
    _, path = link_for(clinic)
    day = day_ahead(clinic)
    for start in (slot(clinic, day, 12), slot(clinic, day, 7), "2026-01-01T10:00"):
        response = book(HttpClient(), path, clinic, start)
        assert response.status_code in (200, 409)
        assert "errors" in response.content.decode()
    assert Appointment.objects.count() == 0


def test_the_policy_decides_who_may_book_online(clinic: Cast):
    policy = BookingPolicy.objects.get(clinic=clinic.harbour)
    client = make_client(clinic.harbour)
    _, path = link_for(clinic, client)
    day = day_ahead(clinic)
    policy.new_clients_online = False
    policy.save(update_fields=["new_clients_online"])
    page = HttpClient().get(path).content.decode()
    assert "Your first visit is booked by the clinic" in page
    assert book(HttpClient(), path, clinic, slot(clinic, day, 10)).status_code == 200
    assert Appointment.objects.count() == 0
    make_visit(clinic.harbour, client=client)
    assert book(HttpClient(), path, clinic, slot(clinic, day, 10)).status_code == 302
    policy.max_upcoming_online = 1
    policy.save(update_fields=["max_upcoming_online"])
    refused = book(HttpClient(), path, clinic, slot(clinic, day, 14))
    assert "the most that can be booked online" in refused.content.decode()
    policy.online_booking = False
    policy.save(update_fields=["online_booking"])
    assert "does not take bookings online" in HttpClient().get(path).content.decode()
    assert Appointment.objects.count() == 1


def test_a_service_not_bookable_online_is_neither_offered_nor_booked(clinic: Cast):
    hidden = make_service(clinic.harbour, name="Assessment", bookable_online=False)
    _, path = link_for(clinic)
    assert "Assessment" not in HttpClient().get(path).content.decode()
    response = HttpClient().post(
        path, {"service": hidden.pk, "staff": "any", "slot": slot(clinic, day_ahead(clinic), 10)}
    )
    assert "cannot be booked online" in response.content.decode()
    assert Appointment.objects.count() == 0


def _booked(cast: Cast, client: Any, start: dt.datetime) -> Appointment:
    return actions.do_book_appointment(
        actor_of(cast.fiona),
        {"client": client, "staff": cast.tess, "service": _service(cast), "starts_at": start},
    )


def test_the_client_moves_their_appointment_before_the_notice_only(clinic: Cast):
    link, path = link_for(clinic)
    day = day_ahead(clinic)
    appointment = _booked(clinic, link.client, local(day, 10, clinic=clinic.harbour))
    move = f"{path}{appointment.pk}/move/"
    http = HttpClient()
    week = {"service": _service(clinic).pk, "staff": clinic.tess.pk, "start": day}
    assert f'value="{slot(clinic, day, 10)}"' in http.get(move, week).content.decode()  # its own
    response = http.post(move, {"staff": str(clinic.tess.pk), "slot": slot(clinic, day, 15)})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.starts_at == local(day, 15, clinic=clinic.harbour)
    # Inside the cancellation notice it is the clinic's to move.
    with time_machine.travel(appointment.starts_at - dt.timedelta(hours=3)):
        page = http.get(move).content.decode()
        assert "can only be moved by calling the clinic" in page
        http.post(move, {"staff": "any", "slot": slot(clinic, day, 16)})
    appointment.refresh_from_db()
    assert appointment.starts_at == local(day, 15, clinic=clinic.harbour)


def test_a_cancellation_inside_the_notice_is_late_and_only_once_accepted(clinic: Cast):
    link, path = link_for(clinic)
    day = day_ahead(clinic)
    early = _booked(clinic, link.client, local(day, 9, clinic=clinic.harbour))
    late = _booked(clinic, link.client, local(day, 14, clinic=clinic.harbour))
    http = HttpClient()
    assert http.post(f"{path}{early.pk}/cancel/").status_code == 302
    early.refresh_from_db()
    assert early.status == Status.CANCELLED and early.cancelled_by_client
    with time_machine.travel(late.starts_at - dt.timedelta(hours=2)):
        cancel = f"{path}{late.pk}/cancel/"
        assert "recorded as a late cancellation" in http.get(cancel).content.decode()
        refused = http.post(cancel)
        assert refused.status_code == 409 and "tick the box" in refused.content.decode()
        late.refresh_from_db()
        assert late.status == Status.BOOKED
        assert http.post(cancel, {"accept_late": "on"}).status_code == 302
    late.refresh_from_db()
    assert late.status == Status.LATE_CANCELLED and late.cancelled_by_client


def test_a_client_sees_and_changes_only_their_own_appointments(clinic: Cast):
    _, path = link_for(clinic)
    other_client = make_client(clinic.harbour, given_name="Other")
    day = day_ahead(clinic)
    theirs = _booked(clinic, other_client, local(day, 11, clinic=clinic.harbour))
    elsewhere = make_appointment(clinic.northside, clinic.charlie)
    http = HttpClient()
    assert "11:00" not in http.get(path).content.decode().split("Book a visit</h2>")[0]
    for other in (theirs, elsewhere):
        for action in ("move", "cancel"):
            assert http.get(f"{path}{other.pk}/{action}/").status_code == 404
            assert http.post(f"{path}{other.pk}/{action}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.BOOKED


def test_a_spent_questionnaire_link_still_books_and_a_revoked_one_does_not(clinic: Cast):
    _, spent = link_for(clinic, purpose="questionnaires", used_at=timezone.now())
    assert HttpClient().get(spent).status_code == 200
    _, revoked = link_for(clinic, revoked_at=timezone.now())
    assert HttpClient().get(revoked).status_code == 404
    assert HttpClient().get("/p/not-a-token/book/").status_code == 404


def test_posts_need_the_csrf_token(clinic: Cast):
    _, path = link_for(clinic)
    http = HttpClient(enforce_csrf_checks=True)
    response = book(http, path, clinic, slot(clinic, day_ahead(clinic), 10))
    assert response.status_code == 403
    assert Appointment.objects.count() == 0


def test_booking_attempts_are_throttled_per_link(clinic: Cast):
    _, path = link_for(clinic)
    http = HttpClient()
    for _ in range(throttle.PER_LINK):
        assert http.post(path, {}).status_code == 200  # refused form, counted
    response = book(http, path, clinic, slot(clinic, day_ahead(clinic), 10))
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()
    assert Appointment.objects.count() == 0
    assert AuditEvent.objects.filter(detail=throttle.HELD_BACK, channel="portal").count() == 1
    # Another client's link is not held back by this one's attempts.
    _, other = link_for(clinic)
    assert book(http, other, clinic, slot(clinic, day_ahead(clinic), 10)).status_code == 302


def test_the_thanks_page_of_a_questionnaire_offers_to_book(clinic: Cast):
    client = make_client(clinic.harbour)
    response = clinic.browser_for(clinic.fiona).post(
        f"/clients/{client.pk}/links/new/", {"instrument_ids": ["gad2"], "valid_days": "3"}
    )
    assert response.status_code == 200
    link = PortalLink.objects.get(client=client)
    pk = link.administrations.get().pk
    thanks = HttpClient().post(
        f"/p/{link.token}/", {f"a{pk}-gad2-1": "1", f"a{pk}-gad2-2": "0", "finish": "1"}
    )
    page = thanks.content.decode()
    assert "Book your next visit" in page
    url = page.split("Book your next visit")[0].rsplit('href="', 1)[1].split('"')[0]
    assert url.startswith("/p/") and url.endswith("/book/")
    assert HttpClient().get(url).status_code == 200  # the spent link still books


REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_clients_asking_for_one_time_at_once_get_one_appointment(clinic: Cast):
    """Through the portal's page, in threads released by a barrier: one client gets the
    time, nineteen are told it was just taken, and nothing overlaps."""
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers by its lock")
    day = day_ahead(clinic)
    paths = [link_for(clinic)[1] for _ in range(REQUESTS)]
    start = slot(clinic, day, 10)
    service = _service(clinic).pk
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def request(n: int) -> None:
        http = HttpClient()
        try:
            barrier.wait()
            response = http.post(
                paths[n], {"service": service, "staff": str(clinic.tess.pk), "slot": start}
            )
            outcome = (response.status_code, TAKEN in response.content.decode())
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [(302, False)] + [(409, True)] * (REQUESTS - 1)
    rows = list(Appointment.objects.all())
    assert len(rows) == 1 and rows[0].channel == "portal"
    overlaps = [
        (a.pk, b.pk)
        for a in rows
        for b in rows
        if a.pk < b.pk and a.starts_at < b.ends_at and b.starts_at < a.ends_at
    ]
    assert overlaps == []
