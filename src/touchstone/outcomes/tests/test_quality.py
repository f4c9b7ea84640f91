"""The payer-grade measures over the database: what counts as an encounter, a diagnosis and a
PHQ-9 score, tenant isolation, a fixed number of queries, CSV rows and FHIR MeasureReports.

The rules themselves are checked on constructed records in science/tests/test_quality.py;
this dataset checks the mapping from Touchstone's rows (measurement period: 2025).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.care.models import Diagnosis, Episode, Visit
from touchstone.care.tests.factories import staff_of
from touchstone.clients.models import Client
from touchstone.conftest import Cast, make_client
from touchstone.measures.models import Administration, Mode, Status
from touchstone.outcomes import quality
from touchstone.outcomes.quality import FhirValidationError, client_records, quality_measures

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute))
    )


def episode(clinic: Clinic, client: Client, started: str, *codes: str, ended: str | None = None):
    ep = Episode.objects.create(
        clinic=clinic,
        client=client,
        title="Care",
        started_on=dt.date.fromisoformat(started),
        ended_on=dt.date.fromisoformat(ended) if ended else None,
    )
    for code in codes:
        Diagnosis.objects.create(
            clinic=clinic, episode=ep, code=code, source="referring", entered_by=staff_of(clinic)
        )
    return ep


def visit(ep: Episode, when: dt.datetime, status: str = "completed") -> None:
    Visit.objects.create(
        clinic=ep.clinic, client=ep.client, episode=ep, therapist=staff_of(ep.clinic),
        starts_at=when, status=status,
    )  # fmt: skip


def phq9(client: Client, when: dt.datetime, total: int | None, status: str = Status.COMPLETED):
    Administration.objects.create(
        clinic=client.clinic, client=client, instrument_id="phq9", mode=Mode.CLINIC,
        status=status, total=total, computable=total is not None, completed_at=when,
    )  # fmt: skip


def build(clinic: Clinic) -> dict[str, Client]:
    """Four clients; the comments give where each belongs."""
    a = make_client(clinic, given_name="Ada")
    ep = episode(clinic, a, "2023-10-01", "F33.1")
    # CMS159 index 2023-11-01 (12): the completed visit 7 days later is the encounter.
    visit(ep, at("2023-11-08"))
    phq9(a, at("2023-11-01"), 12)
    phq9(a, at("2024-11-15"), 3)  # in 2024-09-02..2024-12-31: remission
    # DMS-E P1: a completed visit and a PHQ-9 on 2025-02-03.
    visit(ep, at("2025-02-03"))
    phq9(a, at("2025-02-03", 11), 8)

    b = make_client(clinic, given_name="Ben")
    ep = episode(clinic, b, "2024-06-01", "F32.1")
    visit(ep, at("2024-06-01"))
    phq9(b, at("2024-06-01"), 16)  # CMS159 index and DRR-E IESD ...
    phq9(b, at("2024-11-01"), 2)
    # ... but bipolar disorder on an earlier episode excludes Ben from both.
    episode(clinic, b, "2023-01-01", "F31.81", ended="2023-12-31")

    c = make_client(clinic, given_name="Cy")  # anxiety only: in no measure
    ep = episode(clinic, c, "2024-06-01", "F41.1")
    visit(ep, at("2024-06-01"))
    phq9(c, at("2024-06-01"), 20)

    d = make_client(clinic, given_name="Dee")
    ep = episode(clinic, d, "2025-01-01", "F32.2")
    visit(ep, at("2025-03-01"), status="scheduled")  # not an encounter
    phq9(d, at("2025-03-01"), None, status=Status.IN_PROGRESS)  # not a score
    phq9(d, at("2025-04-30", 23, 30), 14)  # IESD on the intake period's last (local) day
    phq9(d, at("2025-09-15"), 4)  # in 2025-08-30..2025-12-30: follow-up, remission, response
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.fixture
def people(cast: Cast) -> dict[str, Client]:
    mine = build(cast.harbour)
    build(cast.northside)  # the same again next door: never counted
    return mine


def members(report: Any, measure: str, rate: str, group: str) -> set[Any]:
    return set(getattr(report.measure(measure).rate(rate), group))


def test_it_maps_the_clinic_rows_to_the_measures(cast: Cast, people: dict[str, Client]):
    a, b, d = people["a"].pk, people["b"].pk, people["d"].pk
    report = quality_measures(cast.harbour, START, END)
    assert members(report, "CMS159", "all", "initial_population") == {a, b}
    assert report.measure("CMS159").rate("all").exclusions["bipolar disorder"] == {b}
    assert members(report, "CMS159", "all", "numerator") == {a}
    for key in ("follow-up", "remission", "response"):
        assert members(report, "DRR-E", key, "initial_population") == {b, d}
        assert members(report, "DRR-E", key, "denominator") == {d}
        assert members(report, "DRR-E", key, "numerator") == {d}
    assert report.measure("DRR-E").details["follow-up"][d].index_date == dt.date(2025, 4, 30)
    assert members(report, "DMS-E", "period-1", "numerator") == {a}
    assert members(report, "DMS-E", "period-2", "initial_population") == set()


def test_it_reads_in_four_queries_whatever_the_size(cast: Cast, people: dict[str, Client]):
    with CaptureQueriesContext(connection) as few:
        quality_measures(cast.harbour, START, END)
    for _ in range(5):
        build(cast.harbour)
    with CaptureQueriesContext(connection) as more:
        report = quality_measures(cast.harbour, START, END)
    assert len(few.captured_queries) == len(more.captured_queries) == 4
    assert len(report.measure("CMS159").rate("all").initial_population) == 12


def test_it_keeps_only_clients_with_a_depression_episode(cast: Cast, people: dict[str, Client]):
    records = {r.client_id: r for r in client_records(cast.harbour, START, END)}
    assert set(records) == {people[k].pk for k in "abd"}
    assert records[people["a"].pk].depression_encounters == (
        dt.date(2023, 11, 8),
        dt.date(2025, 2, 3),
    )
    assert records[people["d"].pk].depression_encounters == ()
    assert records[people["d"].pk].phq9 == ((dt.date(2025, 4, 30), 14), (dt.date(2025, 9, 15), 4))


def test_it_refuses_a_period_that_ends_before_it_starts(cast: Cast):
    with pytest.raises(ValueError, match="cannot be before"):
        quality_measures(cast.harbour, END, START)


def test_rows_carry_counts_and_hide_small_cells_on_request(cast: Cast, people: dict[str, Client]):
    report = quality_measures(cast.harbour, START, END)
    rows = report.rows()
    assert [tuple(r) for r in rows] == [quality.CSV_COLUMNS] * len(rows)
    cms = next(r for r in rows if r["measure_id"] == "CMS159" and r["rate_key"] == "all")
    assert (cms["initial_population"], cms["excluded"], cms["denominator"], cms["numerator"]) == (
        2, 1, 1, 1,
    )  # fmt: skip
    assert cms["exclusions"].startswith("bipolar disorder=1")
    hidden = report.rows(suppress=True)
    assert all(r["suppressed"] or r["initial_population"] == 0 for r in hidden)
    assert all(r["numerator"] is None for r in hidden if r["suppressed"])


def test_measure_reports_validate_and_carry_the_counts(cast: Cast, people: dict[str, Client]):
    report = quality_measures(cast.harbour, START, END)
    reports = report.measure_reports()
    assert [r["measure"].rsplit("/", 1)[1] for r in reports] == ["DMS-E", "DRR-E", "CMS159"]
    cms = reports[2]
    assert cms["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
    first = cms["group"][0]
    counts = {p["code"]["coding"][0]["code"]: p["count"] for p in first["population"]}
    assert counts == {
        "initial-population": 2, "denominator-exclusion": 1, "denominator": 1, "numerator": 1,
    }  # fmt: skip
    assert first["measureScore"] == {"value": 1.0}
    bundle = report.bundle(suppress=True)
    assert len(bundle["entry"]) == 3
    assert "count" not in bundle["entry"][2]["resource"]["group"][0]["population"][0]


@pytest.mark.parametrize(
    "broken",
    [
        {"status": None},  # required
        {"group": [{"population": [{"count": "many"}]}]},  # count is an integer
    ],
)
def test_a_broken_measure_report_is_refused(broken: dict[str, Any]):
    resource = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": quality.MEASURE_URL + "CMS159",
        "period": {"start": "2025-01-01"},
    }
    resource.update(broken)
    with pytest.raises(FhirValidationError, match="MeasureReport"):
        quality._validate({k: v for k, v in resource.items() if v is not None})
