"""Progress report, superbill and payer report: content, access, audit, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.audit.models import Action, AuditEvent
from touchstone.care.healthcare_use import HealthcareUse
from touchstone.care.models import Diagnosis, Intake, Medication, Visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.actions import do_close_alert
from touchstone.measures.models import RiskAlert
from touchstone.reports.payer import build_payer_report
from touchstone.reports.progress import build_progress_report
from touchstone.reports.superbill import SuperbillError, build_superbill
from touchstone.reports.tests.factories import full_client, give, set_identity


@pytest.fixture
def harbour(cast: Cast) -> Cast:
    set_identity(cast.harbour)
    return cast


def _report(cast: Cast, client, diagnoses: bool = True):
    return build_progress_report(
        cast.harbour, client, with_diagnoses=diagnoses, prepared_by="Bob", prepared_role="Clinician"
    )


def test_it_counts_cpt_units_by_the_8_minute_rule(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=4)
    report = _report(harbour, client)
    # 30-minute visits: 2 units; 60-minute visits: 4 units (CMS Pub. 100-04 ch. 5 §20.2).
    assert [(s.minutes, s.units) for s in report.sessions] == [(30, 2), (60, 4), (30, 2), (60, 4)]
    assert report.total_units == 12
    phq9 = next(s for s in report.series if s.definition.id == "phq9")
    assert phq9.change.classification == "recovered"
    assert "<svg" in report.charts["phq9"]


def test_it_shows_only_diagnoses_a_licensed_clinician_entered(harbour: Cast):
    client, episode = full_client(harbour.harbour, harbour.bob, harbour.tess)
    Diagnosis.objects.create(
        clinic=harbour.harbour,
        episode=episode,
        code="F41.1",
        source="clinic",
        entered_by=harbour.tess,
    )
    assert [d.code for d in _report(harbour, client).diagnoses] == ["F32.1"]


def test_it_keeps_diagnoses_from_roles_that_may_not_read_them(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    page = harbour.browser_for(harbour.alice).get(f"/clients/{client.pk}/reports/progress/")
    assert page.status_code == 200
    assert b"F32.1" not in page.content
    assert b"licensed clinicians only" in page.content
    assert (
        b"F32.1"
        in harbour.browser_for(harbour.bob).get(f"/clients/{client.pk}/reports/progress/").content
    )


def test_it_shows_why_an_alert_was_raised_and_what_was_done_only_to_clinicians(harbour: Cast):
    client, episode = full_client(harbour.harbour, harbour.bob, harbour.tess)
    noon = dt.datetime.combine(episode.started_on + dt.timedelta(days=3), dt.time(12))
    give(client, harbour.tess, "phq9", [0] * 8 + [2], timezone.make_aware(noon))
    do_close_alert(actor_of(harbour.bob), RiskAlert.objects.get(), "Same-day safety plan.")
    url = f"/clients/{client.pk}/reports/progress/"
    for member in (harbour.tess, harbour.alice):
        page = harbour.browser_for(member).get(url).content.decode()
        assert "Risk events" in page
        assert "Risk item answered positively" not in page and "safety plan" not in page
    page = harbour.browser_for(harbour.bob).get(url).content.decode()
    assert "Risk item answered positively" in page and "Same-day safety plan." in page


def test_it_serves_the_progress_pdf_and_audits_the_export(harbour: Cast, log_events: Any):
    client, episode = full_client(harbour.harbour, harbour.bob, harbour.tess)
    response = harbour.browser_for(harbour.tess).get(f"/clients/{client.pk}/reports/progress.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    event = AuditEvent.objects.filter(action=Action.EXPORT, object_id=str(client.pk)).get()
    assert event.detail == f"progress report pdf, episode {episode.pk}"
    assert "Dana" not in event.detail
    [rendered] = log_events("pdf_rendered")
    assert rendered["template"] == "reports/progress_pdf.html"
    assert rendered["size_bytes"] == len(response.content) and rendered["duration_ms"] > 0


def test_it_refuses_an_outsider_and_explains_a_missing_episode(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    outsider = harbour.browser_for(harbour.charlie)
    assert outsider.get(f"/clients/{client.pk}/reports/progress/").status_code == 404
    bare = make_client(harbour.harbour)
    page = harbour.browser_for(harbour.bob).get(f"/clients/{bare.pk}/reports/progress/")
    assert page.status_code == 422
    assert b"no episode of care yet" in page.content


def test_it_gathers_the_report_in_a_fixed_number_of_queries(harbour: Cast):
    small, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=2)
    large, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=12)
    counts = []
    for client in (small, large):
        with CaptureQueriesContext(connection) as queries:
            _report(harbour, client)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 9


def test_every_report_counts_units_per_service_day_with_the_one_units_function(harbour: Cast):
    """Two 10-minute visits on one day are one unit (20 minutes), not two of nothing; a lone
    7-minute visit is none (CMS Pub. 100-04 ch. 5 §20.2): the progress report, the superbill
    and the payer report all count with ``science.billing.units_per_day``."""
    client, episode = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=0)
    day = timezone.localtime().replace(hour=9, minute=0) - dt.timedelta(days=3)
    for starts_at, minutes in (
        (day, 10),
        (day + dt.timedelta(hours=2), 10),
        (day - dt.timedelta(days=1), 7),
    ):
        Visit.objects.create(
            clinic=harbour.harbour, client=client, episode=episode, therapist=harbour.tess,
            starts_at=starts_at, duration_min=minutes, status="completed",
        )  # fmt: skip
    assert [s.units for s in _report(harbour, client).sessions] == [0, 1, 0]
    assert [
        (line.minutes, line.units) for line in build_superbill(harbour.harbour, client).lines
    ] == [(20, 1)]
    today = timezone.localdate()
    payer = build_payer_report(harbour.harbour, today - dt.timedelta(days=30), today)
    assert (payer.n_sessions, payer.n_units) == (3, 1)


def test_it_bills_each_service_day_with_units_fees_and_diagnosis_pointers(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=4)
    bill = build_superbill(harbour.harbour, client)
    assert [line.units for line in bill.lines] == [2, 4, 2, 4]
    assert [line.charge for line in bill.lines] == [Decimal(x) for x in ("60", "120", "60", "120")]
    assert bill.total == Decimal("360.00")
    assert [(letter, d.code) for letter, d in bill.diagnoses] == [("A", "F32.1")]
    assert {line.cpt for line in bill.lines} == {"97124"}
    assert bill.lines[0].pointers == "A"


def test_the_treating_providers_are_named_with_their_own_npi(harbour: Cast):
    from touchstone.claims.tests.factories import with_npi

    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, n_visits=2)
    with_npi(harbour.tess)
    bill = build_superbill(harbour.harbour, client)
    assert bill.therapists == [f"{harbour.tess.display_name} (NPI 1245319599)"]


def test_it_refuses_a_superbill_without_a_diagnosis_from_a_licensed_clinician(harbour: Cast):
    client, episode = full_client(harbour.harbour, harbour.bob, harbour.tess, diagnosis=False)
    Diagnosis.objects.create(
        clinic=harbour.harbour,
        episode=episode,
        code="F41.1",
        source="clinic",
        entered_by=harbour.tess,
    )
    with pytest.raises(SuperbillError) as error:
        build_superbill(harbour.harbour, client)
    assert error.value.problems == [
        "No diagnosis entered by a licensed clinician on this episode: a superbill needs one."
    ]
    page = harbour.browser_for(harbour.bob).get(f"/clients/{client.pk}/reports/superbill.pdf")
    assert page.status_code == 422
    assert b"licensed clinician" in page.content


def test_it_checks_the_clinic_npi_with_its_luhn_check_digit(harbour: Cast):
    clinic = harbour.harbour
    clinic.npi = "1234567890"  # CMS's example with a wrong check digit (3 is right)
    with pytest.raises(ValidationError) as error:
        clinic.full_clean()
    assert error.value.message_dict["npi"] == [
        "This is not a valid NPI: 10 digits with a correct check digit."
    ]
    clinic.save()
    client, _ = full_client(clinic, harbour.bob, harbour.tess)
    with pytest.raises(SuperbillError, match="fails its check digit"):
        build_superbill(clinic, client)


def test_it_lets_only_clinicians_download_superbills(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    url = f"/clients/{client.pk}/reports/superbill.pdf"
    assert harbour.browser_for(harbour.tess).get(url).status_code == 403
    response = harbour.browser_for(harbour.bob).get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_it_reports_outcomes_costs_medication_and_healthcare_use_to_payers(harbour: Cast):
    clinic = harbour.harbour
    first, _ = full_client(clinic, harbour.bob, harbour.tess, n_visits=4)
    full_client(clinic, harbour.bob, harbour.tess, n_visits=2, given_name="Ola")
    today = dt.date.today()  # noqa: DTZ011
    Intake.objects.create(clinic=clinic, client=first, ed_visits_6m=6, primary_care_visits_6m=12)
    HealthcareUse.objects.create(
        clinic=clinic, client=first, months=2, ed_visits=0, primary_care_visits=2,
        recorded_by=harbour.tess, reported_on=today,
    )  # fmt: skip
    Medication.objects.create(
        clinic=clinic, client=first, name="Sertraline", drug_class="ssri",
        started_on=today - dt.timedelta(days=400), stopped_on=today - dt.timedelta(days=3),
    )  # fmt: skip
    report = build_payer_report(clinic, today - dt.timedelta(days=120), today)
    assert (report.n_clients, report.n_sessions, report.n_units) == (2, 6, 18)
    assert report.charges == Decimal("540.00")
    assert report.cost_per_session == Decimal("90.00")
    phq9 = next(o for o in report.outcomes if o.instrument_id == "phq9")
    assert (phq9.n_paired, phq9.recovered, phq9.improved) == (2, 2, 2)
    assert phq9.cost_per_recovered == Decimal("270.00")
    assert (report.medication.on_at_start, report.medication.stopped) == (1, 1)
    assert report.healthcare.n_clients == 1
    assert (report.healthcare.ed_before, report.healthcare.ed_during) == (1.0, 0.0)
    assert any(e.domain == "depression" for e in report.evidence)


def test_it_serves_the_payer_report_to_owners_as_page_and_pdf(harbour: Cast):
    full_client(harbour.harbour, harbour.bob, harbour.tess)
    http = harbour.browser_for(harbour.alice)
    today = dt.date.today()  # noqa: DTZ011
    query = f"?start={today - dt.timedelta(days=90)}&end={today}"
    page = http.get("/reports/payer/" + query)
    assert page.status_code == 200
    assert b"Cost per reliably improved client" in page.content
    assert b"Dana" not in page.content
    pdf = http.get("/reports/payer.pdf" + query)
    assert pdf.content.startswith(b"%PDF")
    assert harbour.browser_for(harbour.tess).get("/reports/payer/").status_code == 403


def test_it_records_healthcare_use_during_care(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    http = harbour.browser_for(harbour.tess)
    url = f"/clients/{client.pk}/healthcare-use/"
    bad = http.post(
        url, {"reported_on": "2999-01-01", "months": 1, "ed_visits": 0, "primary_care_visits": 1}
    )
    assert b"cannot be in the future" in bad.content
    ok = http.post(
        url, {"reported_on": "2025-01-01", "months": 3, "ed_visits": 1, "primary_care_visits": 2}
    )
    assert ok.status_code == 302
    assert HealthcareUse.objects.get(client=client).months == 3


def test_it_writes_the_progress_pdf_from_the_command_line(harbour: Cast, tmp_path):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    out = tmp_path / "p.pdf"
    call_command("report", "progress", str(client.pk), "--out", str(out), "--clinic", "harbour")
    assert out.read_bytes().startswith(b"%PDF")
    assert AuditEvent.objects.filter(action=Action.EXPORT, channel="cli").count() == 1
    with pytest.raises(CommandError) as error:
        call_command("report", "progress", "99999", "--out", str(out), "--clinic", "harbour")
    assert error.value.returncode == 2
    with pytest.raises(CommandError, match="more than one clinic"):
        call_command("report", "progress", str(client.pk), "--out", str(out))


def test_it_links_a_refused_document_back_to_where_the_cause_can_be_fixed(harbour: Cast):
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess, diagnosis=False)
    bare = make_client(harbour.harbour)
    http = harbour.browser_for(harbour.bob)
    for url, back in (
        (f"/clients/{client.pk}/reports/superbill/", f"/clients/{client.pk}/"),
        (f"/clients/{client.pk}/reports/superbill.pdf", f"/clients/{client.pk}/"),
        (f"/clients/{bare.pk}/reports/progress/", f"/clients/{bare.pk}/"),
        ("/reports/payer.pdf?start=nonsense", "/reports/payer/"),
    ):
        page = http.get(url)
        assert page.status_code == 422, url
        assert f'href="{back}"' in page.content.decode(), url


def test_the_progress_report_gives_each_instruments_instructions_and_recall_period(
    harbour: Cast,
):
    # Issue 10 §3: the PDF showed scores without the question the client was asked.
    client, _ = full_client(harbour.harbour, harbour.bob, harbour.tess)
    url = f"/clients/{client.pk}/reports/progress/"
    page = harbour.browser_for(harbour.bob).get(url).content.decode()
    assert "Asked: “Over the last 2 weeks, how often have you been bothered by any of" in page
    assert "Recall period: the last 2 weeks." in page
    assert "The baseline is the episode's first score" in page
