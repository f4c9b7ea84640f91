"""Objects for claims tests and the access matrix: a clinic ready to bill, a payer, a
client's coverage, a therapist's NPI and completed, charged visits with diagnoses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.audit.actor import Actor
from touchstone.billing import actions as billing_actions
from touchstone.billing.tests.factories import priced_service
from touchstone.care.models import Diagnosis, Episode, Visit
from touchstone.care.tests.factories import make_episode, staff_of
from touchstone.claims import actions
from touchstone.claims.models import (
    Claim,
    ClaimSettings,
    Coverage,
    Payer,
    ProviderNumbers,
    Remittance,
)
from touchstone.clients.models import Client
from touchstone.conftest import make_client, make_member
from touchstone.scheduling.models import Appointment, Status
from touchstone.scheduling.tests.factories import local, make_location

BILLING_NPI = "1234567893"  # CMS's worked example
THERAPIST_NPI = "1245319599"


def billing_ready(clinic: Clinic) -> Clinic:
    clinic.npi, clinic.tax_id = BILLING_NPI, "12-3456789"
    clinic.save(update_fields=["npi", "tax_id"])
    ClaimSettings.objects.get_or_create(
        clinic=clinic,
        defaults={
            "submitter_id": "TOUCHSTONE1",
            "receiver_id": "CLEARHOUSE",
            "receiver_name": "Clearing House",
            "contact_name": "Alice Owner",
            "contact_phone": "2175550100",
            "taxonomy": "225700000X",
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "zip_code": "627011234",
        },
    )
    return clinic


def make_payer(clinic: Clinic, **fields: Any) -> Payer:
    values: dict[str, Any] = {"name": "Acme Health", "payer_id": "ACME1"}
    values.update(fields)
    return Payer.objects.get_or_create(
        clinic=clinic, payer_id=values.pop("payer_id"), defaults=values
    )[0]


def make_coverage(clinic: Clinic, client: Client, **fields: Any) -> Coverage:
    values: dict[str, Any] = {
        "payer": make_payer(clinic),
        "member_id": "MEM123",
        "group_number": "GRP9",
        "plan_name": "Acme PPO",
        "street": "2 Oak Ave",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62702",
        "valid_from": dt.date(2020, 1, 1),
    }
    values.update(fields)
    return Coverage.objects.create(clinic=clinic, client=client, **values)


def with_npi(staff: StaffMember, npi: str = THERAPIST_NPI) -> StaffMember:
    ProviderNumbers.objects.get_or_create(
        clinic=staff.clinic, staff=staff, defaults={"npi": npi, "taxonomy": "225700000X"}
    )
    return staff


def clinician_of(clinic: Clinic) -> StaffMember:
    member = StaffMember.objects.filter(clinic=clinic, role=Role.CLINICIAN).first()
    return member or make_member(clinic, f"clin{clinic.pk}", Role.CLINICIAN)


def diagnosed_episode(
    clinic: Clinic, client: Client, codes: tuple[str, ...] = ("F41.1",)
) -> Episode:
    episode = make_episode(clinic, client)
    for code in codes:
        Diagnosis.objects.create(
            clinic=clinic,
            episode=episode,
            code=code,
            source="referring",
            entered_by=clinician_of(clinic),
        )
    return episode


def charged_visit(
    clinic: Clinic,
    client: Client,
    episode: Episode | None,
    *,
    days_ago: int = 3,
    minutes: int = 60,
    code: str = "97124",
    staff: StaffMember | None = None,
) -> Visit:
    """A completed visit from a completed appointment, charged in the ledger at 95.00."""
    staff = staff or staff_of(clinic)
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    # An hour of its own each time (the calendar refuses double bookings).
    start = local(day, 8, clinic=clinic) + dt.timedelta(hours=Appointment.objects.count() % 10)
    service = priced_service(
        clinic, name=f"Massage {code} {minutes}", duration_min=minutes, billing_code=code
    )
    visit = Visit.objects.create(
        clinic=clinic,
        client=client,
        episode=episode,
        therapist=staff,
        starts_at=start,
        duration_min=minutes,
        status="completed",
    )
    appointment = Appointment.objects.create(
        clinic=clinic,
        client=client,
        staff=staff,
        service=service,
        location=make_location(clinic),
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        status=Status.COMPLETED,
        visit=visit,
    )
    billing_actions.do_charge_appointment(Actor.system("cli", clinic), appointment)
    return visit


def insured_client(clinic: Clinic, **coverage: Any) -> Client:
    client = make_client(clinic)
    make_coverage(clinic, client, **coverage)
    return client


def make_claim(clinic: Clinic) -> Claim:
    """A claim of one charged visit, for the access matrix."""
    billing_ready(clinic)
    client = insured_client(clinic)
    episode = diagnosed_episode(clinic, client)
    visit = charged_visit(clinic, client, episode, staff=with_npi(staff_of(clinic)))
    return actions.do_create_claims(Actor.system("cli", clinic), [visit])[0]


def make_remittance(clinic: Clinic) -> Remittance:
    return Remittance.objects.create(
        clinic=clinic,
        payer_name="ACME HEALTH",
        trace_number=f"T{Remittance.objects.count()}",
        total="0.00",
        content="",
    )
