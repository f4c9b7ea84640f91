"""The scheduling API contract (issue 13 §6): list by time span and staff, book (end from the
service), 409 naming the appointment in the way, PATCH to move or change status; services,
rooms and availability readable; front-desk tokens may book."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.scheduling.models import Appointment, Status
from touchstone.scheduling.tests.factories import (
    local,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)


@pytest.fixture
def api(cast: Cast) -> dict[str, Any]:
    cast.harbour.time_zone = "America/Chicago"
    cast.harbour.save(update_fields=["time_zone"])
    make_weekday_hours(cast.harbour, cast.tess)
    _, token = do_create_token(actor_of(cast.fiona), "front desk")
    return {
        "auth": {"HTTP_AUTHORIZATION": f"Bearer {token}"},
        "service": make_service(cast.harbour),
        "room": make_room(cast.harbour),
        "client": make_client(cast.harbour),
        "day": next_weekday(1, timezone.localdate(timezone.now(), cast.harbour.zone)),
    }


def _post(api: dict, body: dict) -> Any:
    return HttpClient().post(
        "/api/v1/appointments", body, content_type="application/json", **api["auth"]
    )


def _body(cast: Cast, api: dict, time: str) -> dict[str, Any]:
    return {
        "client_id": api["client"].pk,
        "staff_id": cast.tess.pk,
        "service_id": api["service"].pk,
        "room_id": api["room"].pk,
        "starts_at": f"{api['day']}T{time}",  # no offset: the clinic's wall clock
    }


def test_a_front_desk_token_books_and_the_end_comes_from_the_service(cast: Cast, api: dict):
    response = _post(api, _body(cast, api, "10:00"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["starts_at"].endswith("T10:00:00-06:00") or body["starts_at"].endswith(
        "T10:00:00-05:00"
    )
    assert body["ends_at"][11:16] == "11:00" and body["status"] == "booked"
    assert body["channel"] == "api"


def test_a_taken_time_is_409_naming_the_appointment(cast: Cast, api: dict):
    first = _post(api, _body(cast, api, "10:00")).json()
    response = _post(api, {**_body(cast, api, "10:30"), "client_id": make_client(cast.harbour).pk})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict" and error["conflicting"] == [first["id"]]
    assert f"appointment {first['id']}" in error["message"]
    assert error["fields"]["starts_at"]
    assert Appointment.objects.count() == 1


def test_outside_hours_is_422_unless_overridden(cast: Cast, api: dict):
    response = _post(api, _body(cast, api, "07:00"))
    assert (
        response.status_code == 422
        and "Outside" in response.json()["error"]["fields"]["starts_at"][0]
    )
    body = {**_body(cast, api, "07:00"), "override_reason": "Early client"}
    assert _post(api, body).json()["outside_hours"] is True


def test_another_clinics_rows_in_a_body_are_refused(cast: Cast, api: dict):
    foreign = make_client(cast.northside)
    response = _post(api, {**_body(cast, api, "10:00"), "client_id": foreign.pk})
    assert response.status_code == 422
    assert "client_id" in response.json()["error"]["fields"]


def test_it_lists_by_span_and_staff_and_patches_moves_and_statuses(cast: Cast, api: dict):
    made = _post(api, _body(cast, api, "10:00")).json()
    http = HttpClient()
    start, end = f"{api['day']}T00:00", f"{api['day'] + dt.timedelta(days=1)}T00:00"
    rows = http.get(
        "/api/v1/appointments", {"start": start, "end": end, "staff": cast.tess.pk}, **api["auth"]
    ).json()
    assert [r["id"] for r in rows["results"]] == [made["id"]] and rows["next"] is None
    assert (
        http.get(
            "/api/v1/appointments",
            {"start": start, "end": end, "staff": cast.bob.pk},
            **api["auth"],
        ).json()["results"]
        == []
    )

    moved = http.patch(
        f"/api/v1/appointments/{made['id']}",
        {"starts_at": f"{api['day']}T14:00"},
        content_type="application/json",
        **api["auth"],
    )
    assert moved.status_code == 200 and moved.json()["starts_at"][11:16] == "14:00"
    cancelled = http.patch(
        f"/api/v1/appointments/{made['id']}",
        {"status": "cancelled", "reason": "Client called"},
        content_type="application/json",
        **api["auth"],
    )
    assert cancelled.json()["status"] == Status.CANCELLED
    refused = http.patch(
        f"/api/v1/appointments/{made['id']}",
        {"status": "confirmed"},
        content_type="application/json",
        **api["auth"],
    )
    assert refused.status_code == 422


def test_services_rooms_and_availability_are_readable(cast: Cast, api: dict):
    http = HttpClient()
    services = http.get("/api/v1/services", **api["auth"]).json()["results"]
    assert services[0]["billing_code"] == "97124" and "price" not in services[0]
    assert http.get("/api/v1/rooms", **api["auth"]).json()["results"][0]["name"] == "Room 1"
    blocks = http.get(
        "/api/v1/availability",
        {"start": api["day"].isoformat(), "end": api["day"].isoformat()},
        **api["auth"],
    ).json()
    assert [(b["starts_at"][11:16], b["ends_at"][11:16]) for b in blocks] == [
        ("09:00", "12:00"),
        ("13:00", "17:00"),
    ]
    assert local(api["day"], 9, clinic=cast.harbour)  # the same wall clock as the calendar


def test_appointments_page_by_cursor_in_time_order_and_refuse_a_forged_cursor(
    cast: Cast, api: dict
):
    """Like every API list (lib/pagination): a page at a time, oldest first, each row once
    when ``next`` is followed; a cursor this API did not write is a 422, not a 500."""
    made = [_post(api, _body(cast, api, time)).json()["id"] for time in ("15:00", "09:00", "13:00")]
    http = HttpClient()
    start, end = f"{api['day']}T00:00", f"{api['day'] + dt.timedelta(days=1)}T00:00"
    url: str | None = f"/api/v1/appointments?start={start}&end={end}&page_size=2"
    seen: list[str] = []
    while url:
        page = http.get(url, **api["auth"]).json()
        seen += [row["starts_at"][11:16] for row in page["results"]]
        url = page["next"]
    assert seen == ["09:00", "13:00", "15:00"] and len(set(made)) == 3
    forged = base64.b64encode(b"p=not-a-time").decode()
    for cursor in (forged, "%%%", base64.b64encode(b"p=2026-01-01T09:00").decode()):
        refused = http.get(
            "/api/v1/appointments", {"start": start, "end": end, "cursor": cursor}, **api["auth"]
        )
        assert refused.status_code == 422 and "cursor" in refused.json()["error"]["fields"]
