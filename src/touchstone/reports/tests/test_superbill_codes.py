"""The superbill bills each session's own service: its CPT/HCPCS code, units by the CMS
8-minute rule per code and day (``science.billing``), and the service's full fee of that day
from the fee schedule; sessions recorded without an appointment stay 97124 at the clinic's
fee per unit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from touchstone.billing.models import Fee
from touchstone.care.models import Visit
from touchstone.conftest import Cast
from touchstone.reports.superbill import SuperbillError, build_superbill
from touchstone.reports.tests.factories import full_client, set_identity
from touchstone.scheduling.tests.factories import make_appointment, make_service

D = Decimal


def _session(cast: Cast, client, episode, service, starts_at: dt.datetime, minutes: int) -> Visit:
    visit = Visit.objects.create(
        clinic=cast.harbour, client=client, episode=episode, therapist=cast.tess,
        starts_at=starts_at, duration_min=minutes, status="completed",
    )  # fmt: skip
    make_appointment(
        cast.harbour, cast.tess, client, starts_at, service=service, status="completed",
        visit=visit,
    )  # fmt: skip
    return visit


@pytest.fixture
def booked(cast: Cast):
    set_identity(cast.harbour)
    client, episode = full_client(cast.harbour, cast.bob, cast.tess, n_visits=0)
    swedish = make_service(cast.harbour, name="Swedish 60", billing_code="97124", duration_min=60)
    myofascial = make_service(
        cast.harbour, name="Myofascial 45", billing_code="97140", duration_min=45
    )
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    day -= dt.timedelta(days=3)
    for service, old, new in ((swedish, "90.00", "95.00"), (myofascial, "75.00", "80.00")):
        Fee.objects.create(
            clinic=cast.harbour, service=service, amount=D(old), effective_from=dt.date(2020, 1, 1)
        )
        Fee.objects.create(
            clinic=cast.harbour,
            service=service,
            amount=D(new),
            effective_from=day.date() - dt.timedelta(days=1),
        )
    return client, episode, swedish, myofascial, day


def test_each_session_bills_its_services_code_units_and_fee(cast: Cast, booked):
    client, episode, swedish, myofascial, day = booked
    _session(cast, client, episode, swedish, day, 60)
    _session(cast, client, episode, myofascial, day + dt.timedelta(hours=2), 45)
    _session(cast, client, episode, swedish, day - dt.timedelta(days=7), 60)  # last year's fee
    cast.harbour.fee_97124 = None  # not needed: every session has a priced service
    cast.harbour.save(update_fields=["fee_97124"])
    bill = build_superbill(cast.harbour, client)
    assert [
        (line.cpt, line.minutes, line.units, line.charge, line.unit_fee) for line in bill.lines
    ] == [
        ("97124", 60, 4, D("90.00"), None),
        ("97124", 60, 4, D("95.00"), None),
        ("97140", 45, 3, D("80.00"), None),
    ]
    assert bill.lines[2].description == "Myofascial 45"
    assert bill.total == D("265.00") and bill.total_units == 11


def test_sessions_without_an_appointment_stay_97124_at_the_unit_fee(cast: Cast, booked):
    client, episode, swedish, _, day = booked
    _session(cast, client, episode, swedish, day, 60)
    Visit.objects.create(
        clinic=cast.harbour, client=client, episode=episode, therapist=cast.tess,
        starts_at=day - dt.timedelta(days=1), duration_min=30, status="completed",
    )  # fmt: skip
    bill = build_superbill(cast.harbour, client)
    assert [(line.cpt, line.units, line.unit_fee, line.charge) for line in bill.lines] == [
        ("97124", 2, D("30.00"), D("60.00")),
        ("97124", 4, None, D("95.00")),
    ]


def test_a_service_without_a_fee_that_day_is_named(cast: Cast, booked):
    client, episode, _, _, day = booked
    unpriced = make_service(cast.harbour, name="Prenatal 60", billing_code="97124")
    _session(cast, client, episode, unpriced, day, 60)
    with pytest.raises(SuperbillError, match="no fee for Prenatal 60 on"):
        build_superbill(cast.harbour, client)


def test_a_service_marked_not_billed_is_left_out(cast: Cast, booked):
    client, episode, swedish, _, day = booked
    free = make_service(cast.harbour, name="Chair massage", billing_code="")
    _session(cast, client, episode, free, day, 20)
    _session(cast, client, episode, swedish, day + dt.timedelta(hours=1), 60)
    bill = build_superbill(cast.harbour, client)
    assert [(line.cpt, line.minutes) for line in bill.lines] == [("97124", 60)]
