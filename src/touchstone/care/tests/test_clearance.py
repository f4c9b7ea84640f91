"""Issue 10 §4: a visit of a client whose screen needs medical clearance is completed only
under a recorded clearance or with a written override reason, on every path (web, API,
update), and both show on the visit and in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.care import actions
from touchstone.care.models import MedicalClearance, Visit
from touchstone.clients.models import Client
from touchstone.conftest import Cast, actor_of, make_client

CLEARANCE = {
    "provider_name": "Dr Ana Lee",
    "provider_licence": "MD 12345 (OR)",
    "cleared_on": "2025-03-01",
    "conditions": "No deep pressure on the left calf.",
}


def _needs_clearance(cast: Cast, items: list[str] | None = None) -> Client:
    client = make_client(cast.harbour)
    actions.do_record_screen(
        actor_of(cast.tess), client, {"items": items or ["dvt"], "precautions": "Avoid the area."}
    )
    return client


def _visit_post(cast: Cast, **extra: Any) -> dict[str, Any]:
    return {
        "starts_at": "2025-03-04T10:00",
        "duration_min": "60",
        "status": "completed",
        "therapist": str(cast.tess.pk),
        "modality": "swedish",
        **extra,
    }


def _api(cast: Cast) -> tuple[HttpClient, dict[str, str]]:
    _, token = do_create_token(actor_of(cast.tess), "test")
    return HttpClient(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_it_refuses_to_complete_the_visit_without_clearance_or_a_reason(cast: Cast):
    client = _needs_clearance(cast)
    http = cast.browser_for(cast.tess)
    form = http.get(f"/clients/{client.pk}/visits/new/").content.decode()
    assert "needs medical clearance" in form and "record the provider" in form
    response = http.post(f"/clients/{client.pk}/visits/new/", _visit_post(cast))
    assert response.status_code == 200
    assert "need medical clearance" in str(response.context["form"].errors["clearance_override"])
    assert not Visit.objects.filter(client=client).exists()
    # A scheduled visit needs nothing yet: the check is on completing it.
    scheduled = http.post(
        f"/clients/{client.pk}/visits/new/", _visit_post(cast, status="scheduled")
    )
    assert scheduled.status_code == 302


def test_an_override_reason_is_kept_with_who_decided_on_the_visit_and_in_the_audit(cast: Cast):
    client = _needs_clearance(cast)
    http = cast.browser_for(cast.tess)
    reason = "Physician confirmed by phone; letter to follow."
    response = http.post(
        f"/clients/{client.pk}/visits/new/", _visit_post(cast, clearance_override=reason)
    )
    assert response.status_code == 302
    visit = Visit.objects.get(client=client)
    assert visit.clearance is None and visit.clearance_override == reason
    assert visit.clearance_override_by == cast.tess
    page = http.get(f"/care/visits/{visit.pk}/").content.decode()
    assert reason in page and f"decided by {cast.tess.display_name}" in page
    assert AuditEvent.objects.filter(
        object_type="care.visit",
        object_id=str(visit.pk),
        action="create",
        detail="completed without medical clearance: override reason given",
    ).exists()


def test_a_recorded_clearance_lets_the_visit_complete_and_shows_on_it(cast: Cast):
    client = _needs_clearance(cast)
    http = cast.browser_for(cast.tess)
    assert http.post(f"/clients/{client.pk}/clearance/new/", CLEARANCE).status_code == 302
    clearance = MedicalClearance.objects.get(client=client)
    assert clearance.recorded_by == cast.tess and clearance.screen == client.screens.first()
    assert clearance.history.count() == 1
    intake = http.get(f"/clients/{client.pk}/intake/").content.decode()
    assert "Dr Ana Lee" in intake and "MD 12345 (OR)" in intake
    # Through the API: no reason needed, the clearance is linked.
    api, auth = _api(cast)
    response = api.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {"starts_at": "2025-03-04T10:00:00+00:00", "status": "completed"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201, response.content
    assert response.json()["clearance_id"] == clearance.pk
    visit = Visit.objects.get(client=client)
    page = http.get(f"/care/visits/{visit.pk}/").content.decode()
    assert "Cleared by Dr Ana Lee (MD 12345 (OR)) on 2025-03-01" in page
    assert f"recorded by {cast.tess.display_name}" in page
    assert AuditEvent.objects.filter(
        object_id=str(visit.pk), detail=f"completed under medical clearance {clearance.pk}"
    ).exists()
    assert AuditEvent.objects.filter(
        object_type="care.medicalclearance", object_id=str(clearance.pk), action="create"
    ).exists()


def test_the_api_and_a_later_update_obey_the_rule_too(cast: Cast):
    client = _needs_clearance(cast)
    api, auth = _api(cast)
    refused = api.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {"starts_at": "2025-03-04T10:00:00+00:00", "status": "completed"},
        content_type="application/json",
        **auth,
    )
    assert refused.status_code == 422
    assert "clearance_override" in refused.json()["error"]["fields"]
    created = api.post(
        f"/api/v1/care/clients/{client.pk}/visits",
        {"starts_at": "2025-03-04T10:00:00+00:00"},
        content_type="application/json",
        **auth,
    )
    visit_id = created.json()["id"]
    patch = api.patch(
        f"/api/v1/care/visits/{visit_id}",
        {"status": "completed"},
        content_type="application/json",
        **auth,
    )
    assert patch.status_code == 422
    assert Visit.objects.get(pk=visit_id).status == "scheduled"
    patch = api.patch(
        f"/api/v1/care/visits/{visit_id}",
        {"status": "completed", "clearance_override": "Cleared verbally by Dr Lee."},
        content_type="application/json",
        **auth,
    )
    assert patch.status_code == 200, patch.content
    assert Visit.objects.get(pk=visit_id).clearance_override_by == cast.tess


def test_a_clearance_holds_for_its_screen_only(cast: Cast):
    client = _needs_clearance(cast)
    actor = actor_of(cast.tess)
    actions.do_record_clearance(
        actor, client, {**CLEARANCE, "cleared_on": "2025-03-01", "conditions": ""}
    )
    actions.do_record_screen(actor, client, {"items": ["fever"]})
    with pytest.raises(ValidationError) as refused:
        actions.do_create_visit(actor, client, {"starts_at": timezone.now(), "status": "completed"})
    assert "clearance_override" in refused.value.message_dict


def test_it_refuses_a_clearance_the_screen_does_not_ask_for(cast: Cast):
    client = _needs_clearance(cast, items=["skin"])
    http = cast.browser_for(cast.tess)
    response = http.post(f"/clients/{client.pk}/clearance/new/", CLEARANCE)
    assert response.status_code == 200
    assert "does not ask for medical clearance" in response.content.decode()
    assert not MedicalClearance.objects.exists()
    # The front desk neither records clearances nor completes visits.
    assert (
        cast.browser_for(cast.fiona)
        .post(f"/clients/{client.pk}/clearance/new/", CLEARANCE)
        .status_code
        == 403
    )
