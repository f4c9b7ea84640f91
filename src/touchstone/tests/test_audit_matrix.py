"""The audit matrix: every read and every write of client data, through every route (HTML
pages, private links and the JSON API) and for every role that may use it, leaves an audit
event by the one who acted.

Generated like the access matrix from the URL tree and the API's routers
(``touchstone/tests/matrix.py``): a new page or operation is checked without being listed
here. A page that shows client data must record its read; a form must record its write, so
each form route has a valid example in ``WRITES`` (the test fails for a form without one).
Pages that show no client data are named in ``NOT_CLIENT_DATA`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.accounts.models import StaffMember
from touchstone.accounts.roles import Role
from touchstone.audit.models import AuditEvent
from touchstone.billing.actions import do_charge_appointment, do_install_default_tiers
from touchstone.billing.models import CommunitySlot, FeeTier
from touchstone.billing.tests import factories as billing_factories
from touchstone.care.models import Intake
from touchstone.care.tests.factories import make_visit
from touchstone.claims import x835
from touchstone.claims.tests import factories as claims_factories
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.portal.models import PortalLink
from touchstone.reports.tests.factories import full_client
from touchstone.scheduling.models import Appointment
from touchstone.scheduling.tests import factories as scheduling_factories
from touchstone.tests import matrix
from touchstone.trials.tests.factories import scored_client

#: Permissions whose pages show no client data (the evidence library, the clinic's staff and
#: settings, the audit log of identifiers, one's own login, controlled studies' protocols and
#: counts; their design writes are audited all the same: trials/tests/test_actions.py).
NOT_CLIENT_DATA = {
    "evidence.view",
    "evidence.edit",
    "trials.view",
    "trials.design",
    "staff.manage",
    "clinic.settings",
    "audit.view",
    "jobs.view",
    "oncall.manage",
    "account.self",
    "billing.fees",
}
#: ...except the home page, which lists clients to the roles that may read client records.
HOME = "home"
FIXTURES = Path(__file__).resolve().parents[1] / "science" / "instruments" / "tests" / "fixtures"
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
WHEN = (timezone.localtime() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
RR = "rr_ms\n" + "\n".join(str(800 + (i % 2) * 40) for i in range(100))
SLEEP_CSV = "date;bed;wake;tst\n01/06/2025;23:10;06:40;6:55\n02/06/2025;23:40;07:05;7:01\n"

Example = Callable[[HttpClient, dict[str, Any], Cast], dict[str, Any]]
#: US Core's PHQ-9 response with the Patient it names (``Patient/example``), described as
#: ``make_client``'s Dana Example so that the import's patient check passes.
FHIR_BUNDLE = {
    "resourceType": "Bundle",
    "type": "collection",
    "entry": [
        {
            "resource": {
                "resourceType": "Patient",
                "id": "example",
                "name": [{"family": "Example", "given": ["Dana"]}],
                "birthDate": "1985-04-02",
            }
        },
        {
            "resource": json.loads(
                (FIXTURES / "QuestionnaireResponse-phq-9-example.json").read_text()
            )
        },
    ],
}


def _file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def _visit(cast: Cast) -> dict[str, Any]:
    return {
        "starts_at": "2025-03-04T10:00",
        "duration_min": "60",
        "status": "completed",
        "therapist": str(cast.tess.pk),
        "modality": "swedish",
        "pressure": "moderate",
        "tension_before": "7",
        "tension_after": "3",
    }


def _needs_clearance(http: HttpClient, objects: dict[str, Any]) -> dict[str, Any]:
    """A screen that needs clearance first, then the provider's clearance for it."""
    http.post(f"/clients/{objects['client_id']}/screen/new/", {"items": ["dvt"]})
    return {
        "provider_name": "Dr Lee",
        "provider_licence": "MD 12345",
        "cleared_on": YESTERDAY.isoformat(),
    }


def _signed(http: HttpClient, objects: dict[str, Any]) -> dict[str, Any]:
    """Addenda are written on signed notes: sign the visit's note first."""
    http.post(f"/care/visits/{objects['visit_id']}/sign/")
    return {"text": "Correction: the left shoulder, not the right."}


def _episode(title: str) -> dict[str, Any]:
    return {
        "title": title,
        "started_on": "2025-01-06",
        "frequency_count": "1",
        "frequency_unit": "week",
        "plan_intake": ["phq9"],
        "plan_periodic": ["phq9"],
        "plan_every_weeks": "2",
    }


def _booking(cast: Cast) -> dict[str, Any]:
    """A time far ahead, outside any hours (none are set), with the override's reason."""
    return {
        "service": scheduling_factories.make_service(cast.harbour).pk,
        "staff": cast.tess.pk,
        "day": (
            timezone.localdate() + dt.timedelta(days=300 + Appointment.objects.count())
        ).isoformat(),
        "time": "10:00",
        "override_reason": "Matrix probe",
    }


def _archived(objects: dict[str, Any]) -> dict[str, Any]:
    Client.objects.filter(pk=objects["client_id"]).update(archived_at=timezone.now())
    return {}


def _uploaded(http: HttpClient, objects: dict[str, Any]) -> dict[str, Any]:
    http.post(
        f"/clients/{objects['client_id']}/physiology/import/",
        {"kind": "sleep", "file": _file("export.csv", SLEEP_CSV), "source": "Oura"},
    )
    return {
        "col_date": "0",
        "col_bedtime": "1",
        "col_wake_time": "2",
        "col_tst": "3",
        "date_format": "%d/%m/%Y",
        "time_format": "%H:%M",
        "duration_unit": "hmm",
    }


def _tiered(cast: Cast) -> dict[str, Any]:
    if not FeeTier.objects.filter(clinic=cast.harbour).exists():
        do_install_default_tiers(actor_of(cast.alice))
    return {
        "household_size": "2",
        "annual_income": "24000",
        "region": "contiguous",
        "verification": "document",
        "review_on": "2030-01-01",
    }


def _uncharged(o: dict[str, Any], cast: Cast) -> dict[str, Any]:
    client = Client.objects.get(pk=o["client_id"])
    return {"appointment": billing_factories.completed(cast.harbour, client).pk}


def _to_invoice(o: dict[str, Any], cast: Cast) -> dict[str, Any]:
    """A charge of the client that no invoice holds yet (the form has no fields)."""
    client = Client.objects.get(pk=o["client_id"])
    appointment = billing_factories.completed(cast.harbour, client)
    do_charge_appointment(actor_of(cast.fiona), appointment)
    return {}


def _community_slot(cast: Cast) -> dict[str, Any]:
    tier = FeeTier.objects.filter(clinic=cast.harbour).first() or FeeTier.objects.create(
        clinic=cast.harbour, name="Pro bono", fee_percent=Decimal(0)
    )
    start = scheduling_factories.local(
        timezone.localdate() + dt.timedelta(days=300), 8, clinic=cast.harbour
    ) + dt.timedelta(hours=CommunitySlot.objects.count())
    slot = CommunitySlot.objects.create(
        clinic=cast.harbour, staff=cast.tess, tier=tier, starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )  # fmt: skip
    service = scheduling_factories.make_service(cast.harbour)
    return {"slot": slot.pk, "service": service.pk}


#: A valid POST for every form that writes client data (URL name -> data).
WRITES: dict[str, Example] = {
    "billing:assess": lambda http, o, cast: _tiered(cast),
    "billing:sell": lambda http, o, cast: {"plan": billing_factories.plan(cast.harbour).pk},
    "billing:pay": lambda http, o, cast: {"amount": "10.00", "method": "cash"},
    "billing:charge": lambda http, o, cast: _uncharged(o, cast),
    "billing:issue": lambda http, o, cast: _to_invoice(o, cast),
    "billing:book_slot": lambda http, o, cast: _community_slot(cast),
    "billing:refund": lambda http, o, cast: {"amount": "5.00", "reason": "probe"},
    "billing:reverse": lambda http, o, cast: {"reason": "probe"},
    "claims:coverage": lambda http, o, cast: _coverage(cast),
    "claims:coverage_edit": lambda http, o, cast: _coverage(cast) | {"member_id": "MEM999"},
    "claims:create": lambda http, o, cast: {"ids": [_claimable_visit(cast)]},
    "claims:submit": lambda http, o, cast: {"ids": [claims_factories.make_claim(cast.harbour).pk]},
    "claims:remittances": lambda http, o, cast: {"file": _file("r.835", _remittance(cast))},
    "clients:create": lambda http, o, cast: {
        "given_name": "Eve",
        "family_name": "Probe",
        "date_of_birth": "1990-01-01",
    },
    "clients:edit": lambda http, o, cast: {
        "given_name": "Dana",
        "family_name": "Example",
        "date_of_birth": "1985-04-02",
        "phone": "555-000-1111",
        "consent_to_treatment": "on",
        "consent_to_treatment_on": "2024-01-10",
    },
    "clients:restore": lambda http, o, cast: _archived(o),
    "care:intake_edit": lambda http, o, cast: {"presenting_concerns": "Low mood"},
    "care:medication_create": lambda http, o, cast: {
        "name": "Sertraline",
        "drug_class": "ssri",
        "dose": "50 mg",
    },
    "care:medication_edit": lambda http, o, cast: {
        "name": "Sertraline",
        "drug_class": "ssri",
        "dose": "75 mg",
    },
    "care:screen_create": lambda http, o, cast: {"items": ["skin"], "precautions": "Avoid"},
    "care:clearance_create": lambda http, o, cast: _needs_clearance(http, o),
    "care:addendum_create": lambda http, o, cast: _signed(http, o),
    "care:episode_create": lambda http, o, cast: _episode("Low mood"),
    "care:episode_edit": lambda http, o, cast: _episode("Low mood and sleep"),
    "care:diagnosis_create": lambda http, o, cast: {"code": "F41.1", "source": "referring"},
    "care:visit_create": lambda http, o, cast: _visit(cast),
    "care:visit_edit": lambda http, o, cast: _visit(cast),
    "care:adverse_event_create": lambda http, o, cast: {
        "kind": "dizziness",
        "severity": "mild",
        "description": "On standing",
    },
    "care:adverse_event_edit": lambda http, o, cast: {
        "kind": "soreness",
        "severity": "moderate",
        "description": "Next day",
    },
    "measures:start": lambda http, o, cast: {"instrument_id": "phq2", "mode": "clinic"},
    "measures:fill": lambda http, o, cast: (
        {f"phq9-{i}": "0" for i in range(1, 10)} | {"finish": "1"}
    ),
    "measures:alert": lambda http, o, cast: {"take": "1"},
    "physiology:sample_new": lambda http, o, cast: {
        "analyte": "cortisol",
        "value": "1",
        "unit": "ug/dL",
        "specimen": "saliva",
        "collected_at": WHEN,
        "minutes_since_waking": "0",
    },
    "physiology:recording_new": lambda http, o, cast: {
        "file": _file("rr.txt", RR),
        "recorded_at": WHEN,
    },
    "physiology:sleep_new": lambda http, o, cast: {
        "night_of": YESTERDAY.isoformat(),
        "in_bed": "23:00",
        "tried_sleep": "23:15",
        "sol_min": "20",
        "awakenings": "2",
        "waso_min": "30",
        "final_wake": "06:30",
        "out_of_bed": "07:00",
        "quality": "4",
    },
    "physiology:diary_link": lambda http, o, cast: {"valid_days": "14"},
    "physiology:import_map": lambda http, o, cast: _uploaded(http, o),
    "reports:healthcare_use": lambda http, o, cast: {
        "reported_on": YESTERDAY.isoformat(),
        "months": "1",
        "ed_visits": "0",
        "primary_care_visits": "1",
    },
    "interop:fhir_import": lambda http, o, cast: {
        "file": _file("bundle.json", json.dumps(FHIR_BUNDLE))
    },
    "portal:link": lambda http, o, cast: {"instrument_ids": ["phq2"], "valid_days": "3"},
    "scheduling:new": lambda http, o, cast: (
        _booking(cast) | {"client": make_client(cast.harbour).pk}
    ),
    "scheduling:move": lambda http, o, cast: _booking(cast),
    "scheduling:status": lambda http, o, cast: {"status": "confirmed"},
    "scheduling:feed": lambda http, o, cast: {"action": "create"},
    "trials:enrol": lambda http, o, cast: {
        "client": scored_client(cast.harbour).pk,
        "eligible": "yes",
        "consent": "yes",
        "consented_on": timezone.localdate().isoformat(),
    },
    "trials:receipt": lambda http, o, cast: {"received": "", "not_received_reason": "Moved"},
}
#: API bodies that do the write (the access matrix's bodies only need to pass the schema).
API_BODIES: dict[str, Any] = {
    "VisitPatch": {"subjective": "Felt lighter after the visit."},
    "FhirResourceIn": FHIR_BUNDLE,
}
#: Query strings that make a page show its data (without them it shows only a form).
PERIOD = {"start": "2024-01-01", "end": timezone.localdate().isoformat()}
QUERIES: dict[str, dict[str, str]] = {"reports:payer": PERIOD, "reports:payer_pdf": PERIOD}
#: Pages of a client-data permission that show none themselves, with the reason.
SHOW_NOTHING: dict[str, str] = {
    "clients:create": "a blank form: the client does not exist yet (the write is checked)",
    "interop:research": "the export page holds only its button; the download is audited",
    "scheduling:feed": "one's own feed address page; each fetch of the feed is audited",
}
#: Form steps that neither show nor write client data by themselves, with the reason.
NO_EVENT: dict[str, str] = {
    "physiology:import": "the upload is only kept in the session for the mapping step, which "
    "shows the preview (audited read) and writes the rows (audited write)",
    "interop:research": "the export page holds only its button; the download is audited",
    "care:visit_list": "the old visit list only redirects to the client record's Chart tab, "
    "which records the read",
}


def _documented_client(cast: Cast) -> Callable[[Any], int]:
    """A client with an episode, visits and a diagnosis, and a clinic that can bill, so
    every document of theirs (progress report, superbill) has content."""

    def build(clinic: Any) -> int:
        clinic = cast.harbour
        clinic.npi, clinic.tax_id, clinic.fee_97124 = "1234567893", "12-3456789", Decimal("30")
        clinic.save(update_fields=["npi", "tax_id", "fee_97124"])
        return full_client(clinic, cast.bob, cast.tess, n_visits=2)[0].pk

    return build


def _coverage(cast: Cast) -> dict[str, Any]:
    return {
        "payer": claims_factories.make_payer(cast.harbour).pk,
        "member_id": "MEM123",
        "priority": "P",
        "relationship": "self",
        "subscriber_sex": "U",
        "valid_from": "2025-01-01",
    }


def _claimable_visit(cast: Cast) -> int:
    """A completed, charged visit of an insured client that a claim may bill."""
    claims_factories.billing_ready(cast.harbour)
    claims_factories.with_npi(cast.tess)
    client = claims_factories.insured_client(cast.harbour)
    episode = claims_factories.diagnosed_episode(cast.harbour, client)
    return claims_factories.charged_visit(cast.harbour, client, episode, staff=cast.tess).pk


def _remittance(cast: Cast) -> str:
    """An 835 that pays a claim of the clinic in full."""
    claim = claims_factories.make_claim(cast.harbour)
    paid = x835.ClaimPayment(
        claim.control_number,
        "1",
        claim.total,
        claim.total,
        Decimal("0"),
        "P1",
        (),
        (),
        ("EXAMPLE", "DANA", "MEM123"),
    )
    remittance = x835.Remittance(
        claim.total, "CHK", YESTERDAY, f"TR{claim.pk}", "ACME HEALTH", "ACME1", (paid,)
    )
    return x835.build_835(
        remittance, sender_id="ACME1", receiver_id="TOUCHSTONE1", payee_name="Harbour",
        payee_npi="1234567893", control_number=claim.pk, created_at=timezone.localtime(),
    )  # fmt: skip


def _client_with_intake(clinic: Any) -> int:
    client = make_client(clinic)
    Intake.objects.create(clinic=clinic, client=client, presenting_concerns="Low mood")
    return client.pk


def _signed_visit(clinic: Any) -> int:
    visit = make_visit(clinic)
    visit.signed_at, visit.signed_by = timezone.now(), visit.therapist
    visit.save(update_fields=["signed_at", "signed_by"])
    return visit.pk


def _objects(cast: Cast, name: str, route: str) -> dict[str, Any]:
    """The objects a route's URL names, in the staff's own clinic."""
    if name.startswith("reports:") and "client_id" in matrix.kwargs(route):
        return {"client_id": _documented_client(cast)(cast.harbour)}
    return matrix.objects(cast.harbour, route)


def _shows_client_data(name: str, permission: str, member: StaffMember) -> bool:
    if name == HOME:
        return member.can("clients.view")
    return permission not in NOT_CLIENT_DATA


def _events(member: StaffMember) -> int:
    return AuditEvent.objects.filter(actor=member.user).count()


def _with_query(url: str, name: str) -> str:
    query = QUERIES.get(name)
    return f"{url}?{urlencode(query)}" if query else url


def _checked_routes(member: StaffMember) -> list[tuple[str, str, str]]:
    return [
        (route, name, pattern.callback.touchstone_permission)
        for route, name, pattern in matrix.named_routes()
        if getattr(pattern.callback, "touchstone_permission", None)
        and member.can(pattern.callback.touchstone_permission)
        and _shows_client_data(name, pattern.callback.touchstone_permission, member)
    ]


@pytest.mark.parametrize("role", list(Role))
def test_every_page_that_shows_client_data_records_the_read(cast: Cast, role: str):
    member = cast.by_role()[role]
    http = cast.browser_for(member)
    failures = []
    for route, name, permission in _checked_routes(member):
        if name in SHOW_NOTHING:
            continue
        url = _with_query(matrix.url(route, _objects(cast, name, route)), name)
        before = _events(member)
        status = http.get(url).status_code
        if status == 200 and _events(member) == before:
            failures.append(f"GET {url} ({name}, {permission}) left no audit event")
        if status >= 400 and status != 405:
            failures.append(f"GET {url} ({name}) -> {status} for an allowed role")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("role", list(Role))
def test_every_write_of_client_data_records_the_write(cast: Cast, role: str):
    member = cast.by_role()[role]
    http = cast.browser_for(member)
    failures = []
    for route, name, permission in _checked_routes(member):
        objects = _objects(cast, name, route)
        url = _with_query(matrix.url(route, objects), name)
        data = WRITES[name](http, objects, cast) if name in WRITES else {}
        before = _events(member)
        response = http.post(url, data)
        if response.status_code >= 400:
            failures.append(f"POST {url} ({name}) -> {response.status_code}")
        elif _events(member) == before and name not in NO_EVENT:
            failures.append(f"POST {url} ({name}, {permission}) left no audit event")
        elif response.status_code == 200 and response.context and _form_errors(response):
            failures.append(f"POST {url} ({name}): the example is refused, add a valid one")
    assert failures == [], "\n".join(failures)


def _form_errors(response: Any) -> bool:
    form = response.context.get("form")
    return bool(getattr(form, "errors", None))


def test_the_booking_pages_of_a_private_link_record_reads_and_attempts(cast: Cast):
    """Any private link carries the client's booking pages (portal/booking.py)."""
    client = make_client(cast.harbour)
    cast.browser_for(cast.tess).post(f"/clients/{client.pk}/links/progress/")
    path = f"/p/{PortalLink.objects.get(client=client).token}/book/"
    phone = HttpClient()
    failures = []
    for method in ("get", "post"):
        before = AuditEvent.objects.filter(channel="portal").count()
        status = getattr(phone, method)(path, {}).status_code
        if status != 200 or AuditEvent.objects.filter(channel="portal").count() == before:
            failures.append(f"{method.upper()} {path} -> {status}, no event")
    assert failures == []


def test_every_private_link_records_what_the_client_reads_and_writes(cast: Cast):
    client = make_client(cast.harbour)
    staff = cast.browser_for(cast.tess)
    staff.post(f"/clients/{client.pk}/links/new/", {"instrument_ids": ["phq2"], "valid_days": "3"})
    staff.post(f"/clients/{client.pk}/links/progress/")
    staff.post(f"/clients/{client.pk}/physiology/sleep/link/", {"valid_days": "14"})
    phone = HttpClient()
    failures = []
    for link in PortalLink.objects.filter(client=client):
        token = link.token
        path = f"/physiology/diary/{token}/" if link.purpose == "sleep_diary" else f"/p/{token}/"
        writes = {
            "questionnaires": {
                f"a{a.pk}-phq2-{i}": "1" for a in link.administrations.all() for i in (1, 2)
            }
            | {"finish": "1"},
            "progress": {},
            "sleep_diary": WRITES["physiology:sleep_new"](phone, {}, cast),
        }[link.purpose]
        for method, data in (("get", {}), ("post", writes)):
            before = AuditEvent.objects.filter(channel="portal").count()
            status = getattr(phone, method)(path, data).status_code
            if status != 200 or AuditEvent.objects.filter(channel="portal").count() == before:
                failures.append(f"{method.upper()} {link.purpose} link -> {status}, no event")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("role", list(Role))
def test_every_api_operation_on_client_data_records_it(cast: Cast, role: str):
    member = cast.by_role()[role]
    _, token = do_create_token(actor_of(member), "matrix")
    http = HttpClient()
    failures = []
    for method, route, operation in matrix.api_operations():
        permission = operation.view_func.touchstone_permission
        if not member.can(permission) or permission in NOT_CLIENT_DATA:
            continue
        factories: dict[str, Callable[[Any], Any]] = {}
        if "/reports/" in route:
            factories["client_id"] = _documented_client(cast)
        elif route.endswith("/intake"):
            factories["client_id"] = _client_with_intake
        elif route.endswith("/addenda"):
            factories["visit_id"] = _signed_visit
        url = matrix.api_url(route, cast.harbour, factories)
        before = _events(member)
        status = matrix.api_call(http, method, url, operation, token, API_BODIES, cast.harbour)
        if status >= 400:
            failures.append(f"{method} {url} ({permission}) -> {status} for an allowed role")
        elif _events(member) == before:
            failures.append(f"{method} {url} ({permission}) left no audit event")
    assert failures == [], "\n".join(failures)


def test_it_has_a_valid_example_for_every_form_it_checks():
    names = {name for _, name, _ in matrix.named_routes()}
    assert set(WRITES) <= names, f"examples for routes that no longer exist: {set(WRITES) - names}"
    assert set(QUERIES) <= names and set(NO_EVENT) <= names and set(SHOW_NOTHING) <= names


def test_it_checks_hundreds_of_route_role_pairs(cast: Cast):
    """The size of the matrix, so that a refactor that silently empties it fails."""
    html = sum(len(_checked_routes(cast.by_role()[role])) for role in Role)
    api = sum(
        1
        for role in Role
        for _, _, operation in matrix.api_operations()
        if cast.by_role()[role].can(operation.view_func.touchstone_permission)
    )
    assert html >= 150 and api >= 60, (html, api)
