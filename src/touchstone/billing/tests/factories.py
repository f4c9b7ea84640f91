"""Objects for billing tests and the access matrix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.audit.actor import Actor
from touchstone.billing import actions
from touchstone.billing.models import Entry, Fee, Invoice, PackagePlan
from touchstone.care.tests.factories import staff_of
from touchstone.clients.models import Client
from touchstone.conftest import make_client
from touchstone.scheduling.models import Appointment, Service, Status
from touchstone.scheduling.tests.factories import local, make_appointment, make_service


def priced_service(clinic: Clinic, amount: str = "95.00", **fields: Any) -> Service:
    service = make_service(clinic, **fields)
    Fee.objects.get_or_create(
        clinic=clinic,
        service=service,
        effective_from=dt.date(2020, 1, 1),
        defaults={"amount": Decimal(amount)},
    )
    return service


def completed(
    clinic: Clinic, client: Client | None = None, days_ago: int = 1, **fields: Any
) -> Appointment:
    """A completed appointment in the past (an hour of its own each time)."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    start = local(day, 8, clinic=clinic) + dt.timedelta(hours=Appointment.objects.count() % 12)
    fields.setdefault("service", priced_service(clinic))
    fields.setdefault("status", Status.COMPLETED)
    staff = fields.pop("staff", None) or staff_of(clinic)
    return make_appointment(clinic, staff, client or make_client(clinic), start, **fields)


def plan(clinic: Clinic, **fields: Any) -> PackagePlan:
    values: dict[str, Any] = {"visits": 8, "price": Decimal("600.00"), "valid_days": 180}
    values.update(fields)
    return PackagePlan.objects.get_or_create(
        clinic=clinic, name=values.pop("name", "Course of 8"), defaults=values
    )[0]


def payment(clinic: Clinic, amount: str = "50.00") -> Entry:
    """A client with a charged visit and a card payment towards it."""
    actor = Actor.system("cli", clinic)
    appointment = completed(clinic)
    actions.do_charge_appointment(actor, appointment)
    return actions.do_record_payment(actor, appointment.client, Decimal(amount), "card")


def invoice(clinic: Clinic) -> Invoice:
    """An invoice of a client's charged visit, partly paid."""
    paid = payment(clinic)
    return actions.do_issue_invoice(Actor.of_member(staff_of(clinic), "web"), paid.client)
