"""A controlled study's report for publication and insurers: the results, the CONSORT flow and
checklist, and the registered protocol with every amendment's hash, as a PDF (issue 16 §2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.loader import render_to_string

from touchstone.audit.models import Action, AuditEvent
from touchstone.conftest import Cast, actor_of
from touchstone.reports.study import build_study_document
from touchstone.trials import actions
from touchstone.trials.models import ProtocolVersion
from touchstone.trials.tests.factories import PROTOCOL, make_enrolment, make_study


def _amended(cast: Cast):
    study = make_study(cast.harbour)
    for _ in range(3):
        make_enrolment(cast.harbour, study)
    actions.do_change_protocol(
        actor_of(cast.alice),
        study,
        {
            **PROTOCOL,
            "eligibility": "Adults with PHQ-9 of 10 or more, any contraindication cleared.",
        },
        reason="Clearance letters accepted",
    )
    return study


def test_the_document_attaches_the_registered_protocol_and_every_amendment(cast: Cast):
    study = _amended(cast)
    v1, v2 = ProtocolVersion.objects.filter(study=study).order_by("number")
    html = render_to_string("reports/study_pdf.html", {"doc": build_study_document(study)})
    assert v1.sha256 in html and v2.sha256 in html  # registered protocol and the amendment
    assert "Clearance letters accepted" in html
    assert "eligibility" in html  # the section the amendment changed, named
    assert "Adults with PHQ-9 of 10 or more; no contraindication needing clearance." in html
    assert "Wait-list (delayed start) vs Immediate weekly massage" in html
    assert "Sequence generation" in html  # the CONSORT checklist, filled from the data
    assert "data:image/svg+xml;base64," in html  # the flow diagram drawn into the PDF
    assert "3 randomised" in html


def test_the_owner_downloads_it_and_the_download_is_audited(cast: Cast):
    study = _amended(cast)
    response = cast.browser_for(cast.alice).get(f"/reports/studies/{study.pk}.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(study.pk)).get()
    assert event.detail == "study report pdf"


def test_roles_without_results_and_other_clinics_cannot(cast: Cast):
    study = make_study(cast.harbour)
    url = f"/reports/studies/{study.pk}.pdf"
    assert cast.browser_for(cast.tess).get(url).status_code == 403
    assert cast.browser_for(cast.fiona).get(url).status_code == 403
    assert cast.browser_for(cast.charlie).get(url).status_code == 404


def test_a_draft_study_gets_a_clear_message(cast: Cast):
    study = make_study(cast.harbour, registered=False)
    response = cast.browser_for(cast.alice).get(f"/reports/studies/{study.pk}.pdf")
    assert response.status_code == 422
    assert "not registered yet" in response.content.decode()


def test_the_command_writes_the_pdf_and_refuses_another_clinics_study(cast: Cast, tmp_path: Path):
    study = make_study(cast.harbour)
    out = tmp_path / "study.pdf"
    call_command("report", "study", str(study.pk), "--out", str(out), "--clinic", "harbour")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(CommandError, match="no controlled study"):
        call_command("report", "study", str(study.pk), "--out", str(out), "--clinic", "northside")
