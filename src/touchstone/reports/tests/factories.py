"""A client with a full episode: diagnosis, visits, scores, an alert, a screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.care.models import ContraindicationScreen, Diagnosis, Episode, Visit
from touchstone.clients.models import Client
from touchstone.conftest import actor_of, make_client
from touchstone.measures import actions as measures_actions

PHQ9_HIGH = [3, 3, 2, 2, 2, 2, 2, 2, 0]  # 18
PHQ9_LOW = [1, 1, 1, 0, 1, 0, 1, 0, 0]  # 5


def set_identity(clinic: Clinic) -> None:
    clinic.npi, clinic.tax_id, clinic.fee_97124 = "1234567893", "12-3456789", Decimal("30.00")
    clinic.address, clinic.phone = "1 Quay St, Springfield, IL 62701", "555-010-0100"
    clinic.save()


def give(
    client: Client, member: StaffMember, instrument_id: str, answers: Any, when: dt.datetime
) -> Any:
    a = measures_actions.do_start_administration(actor_of(member), client, instrument_id, "clinic")
    if isinstance(answers, list):
        answers = {f"{instrument_id}-{i}": v for i, v in enumerate(answers, start=1)}
    measures_actions.do_save_answers(actor_of(member), a, answers, complete=True)
    a.completed_at = a.started_at = when
    a.save(update_fields=["completed_at", "started_at"])
    return a


def full_client(
    clinic: Clinic,
    clinician: StaffMember,
    therapist: StaffMember,
    *,
    n_visits: int = 6,
    diagnosis: bool = True,
    **client_fields: Any,
) -> tuple[Client, Episode]:
    client = make_client(clinic, **client_fields)
    start = timezone.localdate() - dt.timedelta(weeks=n_visits + 1)
    episode = Episode.objects.create(
        clinic=clinic, client=client, title="Low mood", started_on=start, goals="Sleep better",
        frequency_count=1, plan_periodic=["phq9"], plan_every_weeks=2,
    )  # fmt: skip
    if diagnosis:
        Diagnosis.objects.create(
            clinic=clinic, episode=episode, code="F32.1", source="referring", entered_by=clinician
        )
    for week in range(n_visits):
        Visit.objects.create(
            clinic=clinic, client=client, episode=episode, therapist=therapist,
            starts_at=timezone.make_aware(
                dt.datetime.combine(start + dt.timedelta(weeks=week, days=1), dt.time(10))
            ),
            duration_min=60 if week % 2 else 30, status="completed", plan="Continue weekly.",
            heart_rate_before=80, heart_rate_after=72, systolic_before=120, diastolic_before=80,
        )  # fmt: skip
    noon = dt.time(12)
    give(
        client, clinician, "phq9", PHQ9_HIGH, timezone.make_aware(dt.datetime.combine(start, noon))
    )
    give(
        client,
        clinician,
        "phq9",
        PHQ9_LOW,
        timezone.make_aware(dt.datetime.combine(start + dt.timedelta(weeks=n_visits), noon)),
    )
    give(
        client,
        clinician,
        "gad7",
        [2, 2, 2, 2, 1, 1, 1],
        timezone.make_aware(dt.datetime.combine(start, noon)),
    )
    ContraindicationScreen.objects.create(
        clinic=clinic, client=client, screened_by=therapist, items=["varicose_veins"],
        precautions="No pressure over the veins.",
    )  # fmt: skip
    return client, episode
