"""Objects for tests (and the access matrix): minimal valid care rows in a clinic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.care.models import AdverseEvent, Episode, Medication, Visit
from touchstone.clients.models import Client
from touchstone.conftest import make_client, make_member


def staff_of(clinic: Clinic) -> StaffMember:
    member = StaffMember.objects.filter(clinic=clinic).order_by("pk").first()
    if member is None:
        member = make_member(clinic, f"staff{clinic.pk}", Role.THERAPIST)
    return member


def make_episode(clinic: Clinic, client: Client | None = None, **fields: Any) -> Episode:
    values: dict[str, Any] = {
        "title": "Low mood and neck tension",
        "started_on": dt.date(2025, 1, 6),
    }
    values.update(fields)
    return Episode.objects.create(clinic=clinic, client=client or make_client(clinic), **values)


def make_visit(clinic: Clinic, client: Client | None = None, **fields: Any) -> Visit:
    values: dict[str, Any] = {
        "starts_at": timezone.now(),
        "therapist": staff_of(clinic),
        "status": "completed",
    }
    values.update(fields)
    return Visit.objects.create(clinic=clinic, client=client or make_client(clinic), **values)


def make_medication(clinic: Clinic, client: Client | None = None, **fields: Any) -> Medication:
    values: dict[str, Any] = {"name": "Sertraline", "drug_class": "ssri", "dose": "50 mg"}
    values.update(fields)
    return Medication.objects.create(clinic=clinic, client=client or make_client(clinic), **values)


def make_adverse_event(clinic: Clinic, visit: Visit | None = None) -> AdverseEvent:
    return AdverseEvent.objects.create(
        clinic=clinic, visit=visit or make_visit(clinic), kind="soreness", severity="mild"
    )
