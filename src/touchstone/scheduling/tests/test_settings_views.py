"""The owner's scheduling settings pages: reachable from the clinic settings page, Django
forms with clear messages, every write through an action and audited."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from touchstone.audit.models import AuditEvent
from touchstone.conftest import Cast
from touchstone.scheduling.models import (
    BookingPolicy,
    HoursException,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from touchstone.scheduling.tests.factories import make_location, make_service

SERVICE = {
    "name": "Deep tissue 90",
    "duration_min": "90",
    "modality": "deep_tissue",
    "billing_code": "97124",
    "description": "",
    "bookable_online": "on",
    "is_active": "on",
}


def test_the_clinic_settings_page_links_to_the_scheduling_settings(cast: Cast):
    page = cast.browser_for(cast.alice).get("/accounts/clinic/").content.decode()
    assert 'href="/settings/scheduling/"' in page
    assert cast.browser_for(cast.alice).get("/settings/scheduling/").status_code == 200


def test_the_owner_adds_and_changes_a_service(cast: Cast):
    http = cast.browser_for(cast.alice)
    assert http.post("/settings/scheduling/service/new/", SERVICE).status_code == 302
    service = Service.objects.get(clinic=cast.harbour, name="Deep tissue 90")
    assert service.duration_min == 90 and service.bookable_online
    assert AuditEvent.objects.filter(
        actor=cast.alice.user, action="create", object_type="scheduling.service"
    ).exists()
    change = {**SERVICE, "duration_min": "85"}
    del change["bookable_online"]
    assert http.post(f"/settings/scheduling/service/{service.pk}/", change).status_code == 302
    service.refresh_from_db()
    assert service.duration_min == 85 and not service.bookable_online
    assert AuditEvent.objects.filter(action="update", object_type="scheduling.service").exists()


def test_bad_values_get_clear_messages_and_nothing_is_written(cast: Cast):
    http = cast.browser_for(cast.alice)
    make_service(cast.harbour, name="Deep tissue 90")
    page = http.post(
        "/settings/scheduling/service/new/", {**SERVICE, "billing_code": "9712"}
    ).content.decode()
    assert "A billing code is five digits" in page
    assert "already has a service of this name" in page
    assert Service.objects.filter(clinic=cast.harbour).count() == 1
    hours = {
        "staff": cast.tess.pk,
        "location": make_location(cast.harbour).pk,
        "weekday": "0",
        "starts": "17:00",
        "ends": "09:00",
    }
    page = http.post("/settings/scheduling/hours/new/", hours).content.decode()
    assert "The end must be after the start" in page
    page = http.post(
        "/settings/scheduling/hours/new/",
        {
            **hours,
            "starts": "09:00",
            "ends": "17:00",
            "break_starts": "18:00",
            "break_ends": "19:00",
        },
    ).content.decode()
    assert "The break must lie inside the hours" in page
    assert not WeeklyHours.objects.exists()


def test_hours_breaks_exceptions_time_off_and_rooms(cast: Cast):
    http = cast.browser_for(cast.alice)
    location = make_location(cast.harbour)
    hours = {
        "staff": cast.tess.pk,
        "location": location.pk,
        "weekday": "0",
        "starts": "09:00",
        "ends": "17:00",
        "break_starts": "12:00",
        "break_ends": "13:00",
        "bookable_online": "on",
    }
    assert http.post("/settings/scheduling/hours/new/", hours).status_code == 302
    weekly = WeeklyHours.objects.get()
    assert weekly.break_starts == dt.time(12)
    overlapping = http.post(
        "/settings/scheduling/hours/new/",
        {**hours, "starts": "16:00", "ends": "18:00", "break_starts": "", "break_ends": ""},
    )
    assert "overlap" in overlapping.content.decode()
    assert (
        http.post(
            f"/settings/scheduling/hours/{weekly.pk}/", {**hours, "ends": "16:00"}
        ).status_code
        == 302
    )
    weekly.refresh_from_db()
    assert weekly.ends == dt.time(16)
    exception = {
        "staff": cast.tess.pk,
        "location": location.pk,
        "day": "2030-01-07",
        "starts": "14:00",
        "ends": "20:00",
    }
    assert http.post("/settings/scheduling/exception/new/", exception).status_code == 302
    off = {
        "staff": cast.tess.pk,
        "starts_at": "2030-02-01T00:00",
        "ends_at": "2030-02-08T00:00",
        "kind": "vacation",
    }
    assert http.post("/settings/scheduling/time_off/new/", off).status_code == 302
    time_off = TimeOff.objects.get()
    assert time_off.starts_at.utcoffset() is not None
    assert (
        http.post(
            "/settings/scheduling/room/new/",
            {"location": location.pk, "name": "Room 2", "is_active": "on"},
        ).status_code
        == 302
    )
    assert Room.objects.filter(name="Room 2").exists()
    page = http.get("/settings/scheduling/").content.decode()
    assert "12:00–13:00" in page and "2030-01-07" in page and "Room 2" in page
    for url in (
        f"/settings/scheduling/hours/{weekly.pk}/remove/",
        f"/settings/scheduling/exception/{HoursException.objects.get().pk}/remove/",
        f"/settings/scheduling/time_off/{time_off.pk}/remove/",
    ):
        assert http.post(url).status_code == 302
    assert not WeeklyHours.objects.exists() and not TimeOff.objects.exists()
    assert AuditEvent.objects.filter(actor=cast.alice.user, action="delete").count() == 3


def test_the_booking_policy_is_saved_and_validated(cast: Cast):
    http = cast.browser_for(cast.alice)
    data = {
        "online_booking": "on",
        "min_notice_hours": "24",
        "max_days_ahead": "30",
        "slot_step_min": "30",
        "cancellation_notice_hours": "48",
        "max_upcoming_online": "2",
    }
    assert http.post("/settings/scheduling/policy/", data).status_code == 302
    policy = BookingPolicy.objects.get(clinic=cast.harbour)
    assert policy.online_booking and policy.cancellation_notice_hours == 48
    page = http.post(
        "/settings/scheduling/policy/", {**data, "max_days_ahead": "0"}
    ).content.decode()
    assert "greater than or equal to 1" in page
    policy.refresh_from_db()
    assert policy.max_days_ahead == 30


def test_only_the_owner_changes_settings(cast: Cast):
    for member in (cast.bob, cast.tess, cast.fiona):
        http = cast.browser_for(member)
        assert http.get("/settings/scheduling/").status_code == 403
        assert http.post("/settings/scheduling/service/new/", SERVICE).status_code == 403
    assert not Service.objects.exists()


def test_the_services_table_shows_todays_fee_from_the_fee_schedule(cast: Cast):
    from decimal import Decimal

    from touchstone.billing.models import Fee

    priced = make_service(cast.harbour, name="Swedish 60")
    make_service(cast.harbour, name="Not priced yet")
    today = timezone.localdate()
    Fee.objects.create(
        clinic=cast.harbour,
        service=priced,
        amount=Decimal("90.00"),
        effective_from=dt.date(2020, 1, 1),
    )
    Fee.objects.create(
        clinic=cast.harbour, service=priced, amount=Decimal("99.50"), effective_from=today
    )
    Fee.objects.create(  # a future fee is not today's
        clinic=cast.harbour,
        service=priced,
        amount=Decimal("120.00"),
        effective_from=today + dt.timedelta(days=30),
    )
    page = cast.browser_for(cast.alice).get("/settings/scheduling/").content.decode()
    assert "99.50" in page and "120.00" not in page and "90.00" not in page
    assert "not set" in page and 'href="/billing/fees/"' in page
