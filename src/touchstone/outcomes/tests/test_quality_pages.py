"""The payer-grade measures' pages: who sees what, the audit of every read and download,
small cells for readers who may not read diagnoses, downloads that validate, bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest

from touchstone.audit.models import Action, AuditEvent
from touchstone.conftest import Cast
from touchstone.outcomes.quality import CSV_COLUMNS, _validate
from touchstone.outcomes.tests.test_quality import build

pytestmark = pytest.mark.django_db

PERIOD = "start=2025-01-01&end=2025-12-31"


@pytest.fixture
def people(cast: Cast):
    return build(cast.harbour)


def test_it_shows_the_rates_to_the_clinician_and_audits_the_read(cast: Cast, people):
    http = cast.browser_for(cast.bob)
    page = http.get(f"/outcomes/measures/?{PERIOD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Depression Remission at Twelve Months (CMS159v12)" in text
    assert "death (no date of death is recorded)" in text
    assert "/outcomes/measures/clients/" in text
    event = AuditEvent.objects.get(actor=cast.bob.user, object_type="outcomes.quality")
    assert event.action == Action.LIST and "Ada" not in event.detail


def test_the_owner_sees_small_cells_hidden_and_no_client_list(cast: Cast, people):
    http = cast.browser_for(cast.alice)
    text = http.get(f"/outcomes/measures/?{PERIOD}").content.decode()
    assert "a count from 1 to 10: hidden" in text
    assert "/outcomes/measures/clients/" not in text
    assert http.get(f"/outcomes/measures/clients/?{PERIOD}").status_code == 403
    rows = list(csv.DictReader(io.StringIO(
        http.get(f"/outcomes/measures/export?{PERIOD}&format=csv").content.decode()
    )))  # fmt: skip
    assert all(row["numerator"] == "" for row in rows if row["suppressed"] == "True")


@pytest.mark.parametrize("who", ["tess", "fiona", "rita"])
def test_others_are_refused(cast: Cast, people, who: str):
    http = cast.browser_for(getattr(cast, who))
    for url in ("/outcomes/measures/", "/outcomes/measures/export", "/outcomes/measures/clients/"):
        assert http.get(f"{url}?{PERIOD}").status_code == 403, url


def test_an_outsider_sees_only_their_own_clinic(cast: Cast, people):
    http = cast.browser_for(cast.charlie)
    rows = list(csv.DictReader(io.StringIO(
        http.get(f"/outcomes/measures/export?{PERIOD}&format=csv").content.decode()
    )))  # fmt: skip
    assert {row["initial_population"] for row in rows} == {"0"}


def test_the_clinician_sees_who_is_in_each_group_and_why(cast: Cast, people):
    http = cast.browser_for(cast.bob)
    page = http.get(f"/outcomes/measures/clients/?{PERIOD}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ben Example" in text and "bipolar disorder" in text
    assert "Cy Example" not in text  # anxiety only: in no population
    assert f'href="/clients/{people["a"].pk}/progress/"' in text
    event = AuditEvent.objects.get(actor=cast.bob.user, object_type="outcomes.quality_clients")
    assert event.detail.startswith("3 clients") and "Ben" not in event.detail


def test_downloads_are_counts_only_valid_and_audited(cast: Cast, people):
    http = cast.browser_for(cast.bob)
    response = http.get(f"/outcomes/measures/export?{PERIOD}&format=csv")
    assert response["Content-Disposition"].endswith('quality-measures-20250101-20251231.csv"')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 10
    bundle = json.loads(http.get(f"/outcomes/measures/export?{PERIOD}&format=fhir").content)
    _validate(bundle)
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["MeasureReport"] * 3
    body = http.get(f"/outcomes/measures/export?{PERIOD}&format=json").content.decode()
    assert "Ada" not in body and "Ben" not in body
    assert (
        AuditEvent.objects.filter(
            actor=cast.bob.user, action=Action.EXPORT, object_type="outcomes.quality"
        ).count()
        == 3
    )


def test_bad_input_gets_a_message_not_an_error(cast: Cast, people):
    http = cast.browser_for(cast.bob)
    page = http.get("/outcomes/measures/?start=2025-12-31&end=2025-01-01")
    assert page.status_code == 422
    assert "cannot be before its start" in page.content.decode()
    assert http.get("/outcomes/measures/export?start=nonsense&format=csv").status_code == 422
    assert http.get(f"/outcomes/measures/export?{PERIOD}&format=xml").status_code == 404


def test_the_dashboard_and_the_payer_report_carry_the_measures(cast: Cast, people):
    http = cast.browser_for(cast.bob)
    assert (
        "Payer-grade measures (last 12 months)" in http.get("/outcomes/details/").content.decode()
    )
    page = http.get("/reports/payer/?start=2025-07-01&end=2025-12-31").content.decode()
    assert "Payer-grade depression measures" in page
    assert "Measurement period 2025-01-01 to 2025-12-31" in page
