"""Issue 10 §7: a treating staff member signs a visit note; a signed note is locked (action,
API 409, read-only form) and corrections are dated, signed addenda shown with the note on the
visit page, in the progress report and in the FHIR export. Unsigned notes past the clinic's
limit are listed on their author's home page in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts.actions import do_create_token
from touchstone.audit.models import AuditEvent
from touchstone.care import actions, selectors
from touchstone.care.models import Visit, VisitAddendum
from touchstone.care.selectors import UNSIGNED_SHOWN, unsigned_notes
from touchstone.care.tests.factories import make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.interop.fhir_export import client_bundle
from touchstone.reports.tests.factories import full_client

NOTE = "Neck and shoulders tight; eased with Swedish strokes."


def _api(cast: Cast) -> tuple[HttpClient, dict[str, str]]:
    _, token = do_create_token(actor_of(cast.tess), "test")
    return HttpClient(), {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _visit(cast: Cast, **fields: object) -> Visit:
    return make_visit(cast.harbour, **{"therapist": cast.tess, "subjective": NOTE, **fields})


def test_signing_records_who_and_when_audits_and_versions_it(cast: Cast):
    visit = _visit(cast)
    http = cast.browser_for(cast.tess)
    assert "Sign the note" in http.get(f"/care/visits/{visit.pk}/").content.decode()
    assert http.post(f"/care/visits/{visit.pk}/sign/").status_code == 302
    visit.refresh_from_db()
    assert visit.signed_by == cast.tess and visit.signed_at is not None
    assert visit.history.first().signed_by_id == cast.tess.pk  # the newest version
    assert AuditEvent.objects.filter(
        actor=cast.tess.user, object_id=str(visit.pk), action="update", detail="note signed"
    ).exists()
    page = http.get(f"/care/visits/{visit.pk}/").content.decode()
    assert f"Signed by {cast.tess.display_name}" in page and "Sign the note" not in page
    assert "Edit the visit" not in page


def test_a_signed_note_is_locked_in_the_action_the_api_and_the_form(cast: Cast):
    visit = _visit(cast)
    actions.do_sign_visit(actor_of(cast.tess), visit)
    with pytest.raises(actions.VisitLocked):
        actions.do_update_visit(actor_of(cast.bob), visit, {"subjective": "Changed."})
    api, auth = _api(cast)
    response = api.patch(
        f"/api/v1/care/visits/{visit.pk}",
        {"subjective": "Changed."},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "visit_signed" and "addendum" in error["message"]
    assert error["fields"] == {}
    http = cast.browser_for(cast.tess)
    form = http.get(f"/care/visits/{visit.pk}/edit/").content.decode()
    assert "read-only" in form and "Save the visit" not in form
    assert 'name="subjective" cols="40" rows="3" disabled' in form
    posted = http.post(
        f"/care/visits/{visit.pk}/edit/",
        {"starts_at": "2025-03-04T10:00", "status": "completed", "subjective": "Changed."},
    )
    assert posted.status_code == 200 and "can no longer be changed" in posted.content.decode()
    visit.refresh_from_db()
    assert visit.subjective == NOTE


def test_only_a_completed_unsigned_note_is_signed_once(cast: Cast):
    scheduled = _visit(cast, status="scheduled")
    with pytest.raises(ValidationError, match="completed"):
        actions.do_sign_visit(actor_of(cast.tess), scheduled)
    visit = _visit(cast)
    actions.do_sign_visit(actor_of(cast.tess), visit)
    api, auth = _api(cast)
    again = api.post(f"/api/v1/care/visits/{visit.pk}/sign", **auth)
    assert again.status_code == 409 and again.json()["error"]["code"] == "visit_signed"
    # The front desk does not sign care notes.
    assert (
        cast.browser_for(cast.fiona).post(f"/care/visits/{scheduled.pk}/sign/").status_code == 403
    )


def test_addenda_are_dated_signed_and_shown_with_the_note(cast: Cast):
    visit = _visit(cast)
    with pytest.raises(ValidationError, match="not signed yet"):
        actions.do_add_addendum(actor_of(cast.tess), visit, {"text": "Too early."})
    actions.do_sign_visit(actor_of(cast.tess), visit)
    http = cast.browser_for(cast.bob)
    text = "Correction: the left shoulder, not the right."
    assert http.post(f"/care/visits/{visit.pk}/addenda/new/", {"text": text}).status_code == 302
    addendum = VisitAddendum.objects.get(visit=visit)
    assert addendum.signed_by == cast.bob and addendum.signed_at is not None
    page = http.get(f"/care/visits/{visit.pk}/").content.decode()
    when = timezone.localtime(addendum.signed_at).strftime("%Y-%m-%d %H:%M")
    assert text in page and f"Addendum signed by {cast.bob.display_name} on {when}" in page
    api, auth = _api(cast)
    created = api.post(
        f"/api/v1/care/visits/{visit.pk}/addenda",
        {"text": "Second addendum."},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201 and created.json()["signed_by_id"] == cast.tess.pk
    out = api.get(f"/api/v1/care/visits/{visit.pk}", **auth).json()
    assert [a["text"] for a in out["addenda"]] == [text, "Second addendum."]
    assert out["signed_by_id"] == cast.tess.pk


def test_the_progress_report_shows_signatures_and_addenda(cast: Cast):
    client, _ = full_client(cast.harbour, cast.bob, cast.tess, n_visits=2)
    first, _second = Visit.objects.filter(client=client).order_by("starts_at")
    actions.do_sign_visit(actor_of(cast.tess), first)
    actions.do_add_addendum(actor_of(cast.tess), first, {"text": "Calf was avoided."})
    report = cast.browser_for(cast.bob).get(f"/clients/{client.pk}/reports/progress/")
    page = report.content.decode()
    assert f"signed {timezone.localtime(first.signed_at):%Y-%m-%d} by" in page
    assert "not signed" in page  # the second visit
    assert "Addenda to session notes" in page and "Calf was avoided." in page


def test_the_fhir_export_carries_the_signed_note_and_its_addenda(cast: Cast):
    client = make_client(cast.harbour)
    signed = _visit(cast, client=client)
    draft = _visit(cast, client=client, plan="Draft plan")
    actions.do_sign_visit(actor_of(cast.tess), signed)
    actions.do_add_addendum(actor_of(cast.bob), signed, {"text": "Calf was avoided."})
    bundle = client_bundle(cast.harbour, client, with_diagnoses=False)
    procedures = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    ]
    assert len(procedures) == 2
    notes = [p.get("note") for p in procedures if p.get("note")]
    assert len(notes) == 1  # the unsigned draft is not exported
    note, addendum = notes[0]
    assert NOTE in note["text"] and note["authorString"] == cast.tess.display_name
    assert addendum["text"] == "Addendum: Calf was avoided."
    assert addendum["authorString"] == cast.bob.display_name and addendum["time"]
    assert draft.plan not in str(bundle)


def test_unsigned_notes_past_the_limit_reach_the_authors_home_page(cast: Cast):
    now = timezone.now()
    old = _visit(cast, starts_at=now - dt.timedelta(hours=80))
    recent = _visit(cast, starts_at=now - dt.timedelta(hours=10))
    _visit(cast, starts_at=now - dt.timedelta(hours=100), status="cancelled")
    bobs = _visit(cast, starts_at=now - dt.timedelta(hours=100), therapist=cast.bob)
    signed = _visit(cast, starts_at=now - dt.timedelta(hours=100))
    actions.do_sign_visit(actor_of(cast.tess), signed)
    block = unsigned_notes(cast.tess, now)
    assert (block.hours, block.count, block.oldest) == (72, 1, [old])
    cast.harbour.unsigned_note_hours = 5
    cast.harbour.save(update_fields=["unsigned_note_hours"])
    cast.tess.refresh_from_db()
    assert unsigned_notes(cast.tess, now).oldest == [old, recent]
    home = cast.browser_for(cast.tess).get("/").content.decode()
    assert (
        '<span class="tile-count">2</span> Your unsigned visit notes' in home
        and f"/care/visits/{old.pk}/" in home
    )
    bob_home = cast.browser_for(cast.bob).get("/").content.decode()  # each author their own
    assert (
        '<span class="tile-count">1</span> Your unsigned visit notes' in bob_home
        and f"/care/visits/{bobs.pk}/" in bob_home
    )
    assert f"/care/visits/{old.pk}/" not in bob_home


def test_the_unsigned_block_takes_a_fixed_number_of_queries(cast: Cast):
    now = timezone.now()
    counts = []
    for extra in (UNSIGNED_SHOWN + 1, 20):
        for _ in range(extra - Visit.objects.filter(therapist=cast.tess).count()):
            _visit(cast, starts_at=now - dt.timedelta(days=5))
        cast.tess.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            block = unsigned_notes(cast.tess, now)
            [v.client.full_name for v in block.oldest]
        counts.append(len(queries))
        assert block.count == extra and len(block.oldest) == UNSIGNED_SHOWN
    assert counts[0] == counts[1] <= 3
    home = cast.browser_for(cast.tess).get("/").content.decode()
    assert "All 20 unsigned notes" in home
    listing = cast.browser_for(cast.tess).get("/care/unsigned-notes/").content.decode()
    assert listing.count("/care/visits/") == 20


def test_a_backlog_of_unsigned_notes_is_counted_up_to_a_bound(cast: Cast, monkeypatch):
    # A backlog of thousands is counted to UNSIGNED_COUNTED and shown as "N+": counting every
    # row cost 0.3 s per home page at 22,000 unsigned notes (bench/pages.py).
    monkeypatch.setattr(selectors, "UNSIGNED_COUNTED", 7)
    now = timezone.now()
    for _ in range(9):
        _visit(cast, starts_at=now - dt.timedelta(days=5))
    block = unsigned_notes(cast.tess, now)
    assert (block.count, block.more, len(block.oldest)) == (7, True, UNSIGNED_SHOWN)
    home = cast.browser_for(cast.tess).get("/").content.decode()
    assert '<span class="tile-count">7+</span> Your unsigned visit notes' in home
    assert "All 7+ unsigned notes" in home
    monkeypatch.setattr(selectors, "UNSIGNED_COUNTED", 9)
    assert (unsigned_notes(cast.tess, now).count, unsigned_notes(cast.tess, now).more) == (9, False)


def test_the_owner_sets_the_limit_in_clinic_settings(cast: Cast):
    data = {
        "name": cast.harbour.name,
        "time_zone": cast.harbour.time_zone,
        "crisis_line": cast.harbour.crisis_line,
        "emergency_number": "911",
    }
    owner = cast.browser_for(cast.alice)
    assert owner.post("/accounts/clinic/", {**data, "unsigned_note_hours": "24"}).status_code == 302
    cast.harbour.refresh_from_db()
    assert cast.harbour.unsigned_note_hours == 24
    owner.post("/accounts/clinic/", data)  # left empty: unchanged
    cast.harbour.refresh_from_db()
    assert cast.harbour.unsigned_note_hours == 24
    refused = owner.post("/accounts/clinic/", {**data, "unsigned_note_hours": "0"})
    assert refused.status_code == 200 and cast.harbour.unsigned_note_hours == 24
