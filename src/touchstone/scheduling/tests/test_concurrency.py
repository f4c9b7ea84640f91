"""Twenty booking requests for one time at once: exactly one wins and none overlap. On
PostgreSQL the exclusion constraints (migration 0002) decide the race; each request runs in
its own thread with its own database connection, released together by a barrier."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from touchstone.conftest import Cast, actor_of, make_client
from touchstone.scheduling import actions, rules
from touchstone.scheduling.models import Appointment
from touchstone.scheduling.tests.factories import (
    local,
    make_room,
    make_service,
    make_weekday_hours,
    next_weekday,
)

REQUESTS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_one_time_give_one_appointment(cast: Cast):
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers by its lock")
    make_weekday_hours(cast.harbour, cast.tess)
    make_weekday_hours(cast.harbour, cast.bob)
    service, room = make_service(cast.harbour), make_room(cast.harbour)
    clients = [make_client(cast.harbour, given_name=f"C{n}") for n in range(REQUESTS)]
    day = next_weekday(2)
    barrier = threading.Barrier(REQUESTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def request(n: int) -> None:
        # Half ask for Tess, half for Bob in the same room: both constraints are raced.
        data: dict[str, Any] = {
            "client": clients[n],
            "staff": cast.tess if n % 2 else cast.bob,
            "service": service,
            "room": room,
            "starts_at": local(day, 10, 15 * (n % 3), cast.harbour),
        }
        try:
            barrier.wait()
            actions.do_book_appointment(actor_of(cast.fiona), data)
            outcome = "booked"
        except rules.AppointmentConflict:
            outcome = "conflict"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["booked"] + ["conflict"] * (REQUESTS - 1)
    rows = list(Appointment.objects.order_by("starts_at"))
    assert len(rows) == 1
    overlaps = [
        (a.pk, b.pk)
        for a in rows
        for b in rows
        if a.pk < b.pk and a.starts_at < b.ends_at and b.starts_at < a.ends_at
    ]
    assert overlaps == []
