"""The route matrix shared by the access matrix (accounts/tests/test_access_py) and
the audit matrix (tests/test_audit_py): every HTML route and API operation, and how to
build the objects their URLs name.

To add a URL with a new object kwarg, add a factory to ``OBJECT_FACTORIES``; to add an API
write operation with a new body schema, add an example to ``EXAMPLE_BODIES``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import ApiToken, Clinic, StaffMember, StaffNotice
from touchstone.accounts.roles import Role
from touchstone.api import api
from touchstone.billing.tests import factories as billing_factories
from touchstone.care.tests import factories as care_factories
from touchstone.claims.tests import factories as claims_factories
from touchstone.conftest import actor_of, make_client, make_member
from touchstone.evidence.tests import factories as evidence_factories
from touchstone.instruments.models import CustomInstrument
from touchstone.measures.models import Administration, RiskAlert
from touchstone.physiology.tests import factories as physiology_factories
from touchstone.portal.models import PortalLink
from touchstone.scheduling.models import (
    Appointment,
    HoursException,
    Location,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from touchstone.scheduling.tests import factories as scheduling_factories
from touchstone.science.instruments.loader import DEFINITIONS_DIR
from touchstone.trials.tests import factories as trials_factories


# kwarg name -> builds an object in the given clinic and returns its id.
def _administration(clinic: Clinic) -> Any:
    return Administration.objects.create(
        clinic=clinic, client=make_client(clinic), instrument_id="phq9", mode="clinic"
    )


def _alert(clinic: Clinic) -> Any:
    administration = _administration(clinic)
    return RiskAlert.objects.create(
        clinic=clinic,
        client=administration.client,
        administration=administration,
        reason="risk_item",
        item="phq9-9",
    )


def _custom_instrument(clinic: Clinic) -> Any:
    """A draft of the clinic's own questionnaire (a shipped rating's definition, renamed)."""
    instrument_id = f"c{clinic.pk}-matrix{CustomInstrument.objects.count()}"
    definition = json.loads((DEFINITIONS_DIR / "rating-tension.json").read_text())
    definition.update(id=instrument_id, url=f"https://clinic.invalid/{instrument_id}")
    return CustomInstrument.objects.create(
        clinic=clinic,
        instrument_id=instrument_id,
        definition=definition,
        created_by=StaffMember.objects.filter(clinic=clinic).first(),
    ).pk


def _portal_link(clinic: Clinic) -> Any:
    return PortalLink.objects.create(
        clinic=clinic,
        client=make_client(clinic),
        purpose="progress",
        created_by=StaffMember.objects.filter(clinic=clinic).first(),
        expires_at=timezone.now() + dt.timedelta(days=1),
    )


def _settings_row(clinic: Clinic, model: Any, **fields: Any) -> Any:
    """An hour of its own (the models refuse overlapping hours of one staff member)."""
    hour = dt.time(model.objects.count() % 23)
    return model.objects.create(
        clinic=clinic,
        staff=care_factories.staff_of(clinic),
        location=scheduling_factories.make_location(clinic),
        starts=hour,
        ends=dt.time(hour.hour, 59),
        **fields,
    ).pk


OBJECT_FACTORIES: dict[str, Callable[[Clinic], Any]] = {
    "client_id": lambda clinic: make_client(clinic).pk,
    "administration_id": lambda clinic: _administration(clinic).pk,
    "alert_id": lambda clinic: _alert(clinic).pk,
    "link_id": lambda clinic: _portal_link(clinic).pk,
    "episode_id": lambda clinic: care_factories.make_episode(clinic).pk,
    "visit_id": lambda clinic: care_factories.make_visit(clinic).pk,
    "medication_id": lambda clinic: care_factories.make_medication(clinic).pk,
    "adverse_event_id": lambda clinic: care_factories.make_adverse_event(clinic).pk,
    "sample_id": lambda clinic: physiology_factories.make_sample(clinic).pk,
    "recording_id": lambda clinic: physiology_factories.make_recording(clinic).pk,
    "sleep_night_id": lambda clinic: physiology_factories.make_sleep_night(clinic).pk,
    "staff_id": lambda clinic: (
        make_member(
            clinic,
            f"x{clinic.pk}{ApiToken.objects.count()}{StaffMember.objects.count()}",
            Role.THERAPIST,
        ).pk
    ),
    "appointment_id": lambda clinic: (
        scheduling_factories.make_appointment(
            clinic,
            care_factories.staff_of(clinic),
            # An hour of its own for each (the database refuses overlaps).
            starts_at=scheduling_factories.local(
                scheduling_factories.next_weekday(), 8, clinic=clinic
            )
            + dt.timedelta(hours=Appointment.objects.count()),
        ).pk
    ),
    "entry_id": lambda clinic: billing_factories.payment(clinic).pk,
    "claim_id": lambda clinic: claims_factories.make_claim(clinic).pk,
    "coverage_id": lambda clinic: claims_factories.make_coverage(clinic, make_client(clinic)).pk,
    "invoice_id": lambda clinic: billing_factories.invoice(clinic).pk,
    # The owner's scheduling settings.
    "service_id": lambda clinic: (
        scheduling_factories.make_service(clinic, name=f"Matrix {Service.objects.count()}").pk
    ),
    "location_id": lambda clinic: (
        Location.objects.create(clinic=clinic, name=f"Matrix {Location.objects.count()}").pk
    ),
    "room_id": lambda clinic: (
        scheduling_factories.make_room(clinic, name=f"Matrix {Room.objects.count()}").pk
    ),
    "hours_id": lambda clinic: _settings_row(clinic, WeeklyHours, weekday=6),
    "exception_id": lambda clinic: _settings_row(
        clinic, HoursException, day=timezone.localdate() + dt.timedelta(days=300)
    ),
    "time_off_id": lambda clinic: (
        TimeOff.objects.create(
            clinic=clinic,
            staff=care_factories.staff_of(clinic),
            starts_at=timezone.now() + dt.timedelta(days=300),
            ends_at=timezone.now() + dt.timedelta(days=301),
        ).pk
    ),
    "study_id": lambda clinic: evidence_factories.make_study(clinic).pk,
    "synthesis_id": lambda clinic: evidence_factories.make_synthesis(clinic).pk,
    "notice_id": lambda clinic: (
        StaffNotice.objects.create(
            clinic=clinic, recipient=StaffMember.objects.filter(clinic=clinic).first(), text="x"
        ).pk
    ),
    "controlled_study_id": lambda clinic: trials_factories.make_study(clinic).pk,
    "enrolment_id": lambda clinic: trials_factories.make_enrolment(clinic).pk,
    "custom_id": lambda clinic: _custom_instrument(clinic),
    "token_id": lambda clinic: (
        do_create_token(actor_of(StaffMember.objects.filter(clinic=clinic).first()), "matrix")[0].pk
    ),
}
# Kwargs that are not tenant objects (signed tokens of Django's password reset; a shipped
# instrument's id, whose licensed text each clinic enters for itself).
NON_OBJECT_KWARGS = {"uidb64": "MQ", "token": "set-password", "instrument_id": "epds"}


def _appointment_body(clinic: Clinic) -> dict[str, Any]:
    """A booking far ahead (an hour of its own each time) outside any hours, overridden."""
    start = scheduling_factories.local(
        timezone.localdate() + dt.timedelta(days=200), 8, clinic=clinic
    ) + dt.timedelta(hours=Appointment.objects.count())
    return {
        "client_id": make_client(clinic).pk,
        "staff_id": care_factories.staff_of(clinic).pk,
        "service_id": scheduling_factories.make_service(clinic).pk,
        "starts_at": start.isoformat(),
        "override_reason": "Matrix probe",
    }


EXAMPLE_BODIES: dict[str, Any] = {
    "ClientIn": {"given_name": "Eve", "family_name": "Probe", "date_of_birth": "1990-01-01"},
    "ClientPatch": {"phone": "555-000-1111"},
    "EpisodeIn": {"title": "Probe", "started_on": "2025-01-06"},
    "EpisodePatch": {"goals": "Sleep better"},
    "DiagnosisIn": {"code": "F41.1", "source": "referring"},
    "VisitIn": {"starts_at": "2025-01-06T10:00:00+00:00"},
    "VisitPatch": {"status": "completed"},
    "AddendumIn": {"text": "Correction: the left shoulder, not the right."},
    "AdministrationIn": {"instrument_id": "phq2", "answers": {"phq2-1": 1}},
    "CloseIn": {"action_taken": "probe"},
    "FhirResourceIn": {"resourceType": "QuestionnaireResponse", "status": "completed"},
    "SampleIn": {"value": 12.5, "unit": "nmol/L", "collected_at": "2025-01-06T07:00:00+00:00"},
    "RecordingIn": {"recorded_at": "2025-01-06T10:00:00+00:00", "rr_text": "800\n" * 20},
    # Bodies that name the clinic's own rows are built in the caller's clinic.
    "AppointmentIn": lambda clinic: _appointment_body(clinic),
    "AppointmentPatch": {"front_desk_note": "Parking at the back"},
    "PaymentIn": {"amount": "10.00", "method": "cash"},
    "SleepNightIn": {
        "night_of": "2025-01-06",
        "in_bed": "23:00",
        "tried_sleep": "23:10",
        "sol_min": 15,
        "awakenings": 1,
        "waso_min": 10,
        "final_wake": "06:30",
        "out_of_bed": "06:45",
    },
}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def named_routes(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """Every HTML route with its URL name (``"care:intake"``) and its pattern."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("api/"):
                continue
            yield from named_routes(
                entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace
            )
        else:
            name = f"{namespace}:{entry.name}" if namespace else str(entry.name)
            yield prefix + str(entry.pattern), name, entry


def html_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, p) for route, p in walk(get_resolver().url_patterns) if not route.startswith("api/")
    ]


def kwargs(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def url(route: str, values: dict[str, Any]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), route)


def protected_routes() -> list[tuple[str, str]]:
    return [
        (route, pattern.callback.touchstone_permission)
        for route, pattern in html_routes()
        if getattr(pattern.callback, "touchstone_permission", None)
    ]


def objects(clinic: Clinic, route: str) -> dict[str, Any]:
    return {
        kwarg: NON_OBJECT_KWARGS.get(kwarg) or OBJECT_FACTORIES[kwarg](clinic)
        for kwarg in kwargs(route)
    }


def api_operations() -> Iterator[tuple[str, str, Any]]:
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield (
                        method,
                        f"/api/v1/{prefix}/{path}".replace("//", "/").replace("//", "/"),
                        operation,
                    )


def api_url(
    route: str, clinic: Clinic, factories: dict[str, Callable[[Clinic], Any]] | None = None
) -> str:
    """``route`` with each ``{kwarg}`` replaced by a new object of ``clinic``."""
    chosen = {**OBJECT_FACTORIES, **(factories or {})}
    return re.sub(r"{(\w+)}", lambda m: str(chosen[m.group(1)](clinic)), route)


def api_call(
    http: Any,
    method: str,
    url: str,
    operation: Any,
    token: str,
    bodies: dict[str, Any] | None = None,
    clinic: Clinic | None = None,
) -> int:
    """Call the operation with its example body (built in ``clinic`` when it names rows)."""
    body_schemas = [
        field.annotation.__name__
        for model in operation.models
        if model.__name__ == "BodyParams"
        for field in model.model_fields.values()
    ]
    examples = {**EXAMPLE_BODIES, **(bodies or {})}
    body = examples[body_schemas[0]] if body_schemas else {}
    if callable(body):
        body = body(clinic)
    return getattr(http, method.lower())(
        url, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    ).status_code
