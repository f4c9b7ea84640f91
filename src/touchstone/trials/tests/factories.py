"""Controlled studies for tests (and the route matrix): a draft or registered study, and a
client with a completed PHQ-9 (a study baseline) at a chosen time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.accounts.roles import Role
from touchstone.clients.models import Client
from touchstone.conftest import actor_of, make_client, make_member
from touchstone.measures.models import Administration
from touchstone.trials import actions
from touchstone.trials.models import ControlledStudy, Enrolment

PROTOCOL: dict[str, Any] = {
    "title": "Weekly massage for low mood: wait-list study",
    "design": "waitlist",
    "question": "Does eight weeks of weekly massage lower PHQ-9 more than waiting?",
    "eligibility": "Adults with PHQ-9 of 10 or more; no contraindication needing clearance.",
    "control_label": "Wait-list (delayed start)",
    "intervention_label": "Immediate weekly massage",
    "instrument_id": "phq9",
    "weeks": 8,
    "window_days": 14,
    "baseline_days": 30,
    "ratio": "1:1",
    "block_multipliers": "1,2,3",
    "stratify_baseline_at": None,
    "difference": 3.0,
    "sd": 5.0,
    "alpha": 0.05,
    "power": 0.8,
    "correlation": 0.5,
    "dropout": 0.15,
    "analysis_notes": "",
}


def designer_of(clinic: Clinic) -> StaffMember:
    member = StaffMember.objects.filter(clinic=clinic, role__in=[Role.OWNER, Role.CLINICIAN])
    return member.order_by("id").first()  # type: ignore[return-value]


def make_study(clinic: Clinic, *, registered: bool = True, **protocol: Any) -> ControlledStudy:
    actor = actor_of(designer_of(clinic))
    study = actions.do_create_study(actor, {**PROTOCOL, **protocol})
    actions.do_add_consent_text(actor, study, "I agree to take part. I may leave at any time.")
    if registered:
        actions.do_register_study(actor, study)
        study.refresh_from_db()
    return study


def scored_client(
    clinic: Clinic, total: int = 15, at: dt.datetime | None = None, client: Client | None = None
) -> Client:
    client = client or make_client(clinic)
    at = at or timezone.now() - dt.timedelta(days=1)
    Administration.objects.create(
        clinic=clinic,
        client=client,
        instrument_id="phq9",
        mode="clinic",
        status="completed",
        total=total,
        computable=True,
        started_at=at,
        completed_at=at,
    )
    return client


def make_enrolment(clinic: Clinic, study: ControlledStudy | None = None) -> Enrolment:
    study = study or make_study(clinic)
    enroller = StaffMember.objects.filter(clinic=clinic, role=Role.CLINICIAN).first()
    if enroller is None:
        enroller = make_member(clinic, f"enroller{clinic.pk}", Role.CLINICIAN)
    out = actions.do_enrol_client(
        actor_of(enroller),
        study,
        scored_client(clinic),
        eligible=True,
        consented=True,
        consented_on=timezone.localdate(),
    )
    assert isinstance(out, Enrolment)
    return out
