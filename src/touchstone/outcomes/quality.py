"""The payer-grade depression measures of a clinic: the query layer over ``science.quality``.

Usage::

    from touchstone.outcomes.quality import quality_measures

    report = quality_measures(clinic, date(2025, 1, 1), date(2025, 12, 31))
    report.measure("CMS159").rate("all").rate, report.rows(), report.measure_reports()

``quality_measures`` reads what the measures need in **four queries whatever the clinic's
size** (tested): the diagnoses of every client who has an episode with a major-depression or
dysthymia diagnosis, the completed visits of those episodes, those clients' PHQ-9 totals and
their birth dates, all from the first day any measure looks at (CMS159: 14 months before the
period) to the period's end. It turns them into ``science.quality.ClientRecord`` values and
calls :func:`touchstone.science.quality.compute_measures`; every rule lives there.

How Touchstone's records stand for the specifications' data (docs/quality-measures.md):

* an *encounter with a depression diagnosis* is a completed visit in an episode of care
  whose diagnoses include a major-depression or dysthymia code;
* a diagnosis is *known from* its episode's start (a diagnosis comes from the referring
  provider and describes the episode);
* a *PHQ-9 total score* is a completed, computable PHQ-9 administration, on the calendar day
  (in the clinic's time zone) it was completed.

``rows(suppress=True)`` and ``measure_reports(suppress=True)`` hide every rate with a count
from 1 to 10 (CMS cell-size rule, ``science.outcomes.MIN_CELL_COUNT``), for readers who may
not read diagnoses: these populations are defined by a diagnosis.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.care.models import Diagnosis, Visit, VisitStatus
from touchstone.clients.models import Client
from touchstone.lib import csv_cells
from touchstone.measures.models import Administration, Status
from touchstone.science import quality as q
from touchstone.science.outcomes import MIN_CELL_COUNT

#: Canonical URLs of the measures as Touchstone implements them (local: the published
#: eCQM canonical, https://madie.cms.gov/Measure/CMS159FHIRDepressionRemissionatTwelveMonths,
#: is a later FHIR version of CMS159 than the v12 this follows).
MEASURE_URL = "https://touchstone.invalid/fhir/Measure/"
GROUP_SYSTEM = "https://touchstone.invalid/fhir/CodeSystem/quality-measure-group"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
IMPROVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-improvement-notation"
SCORING_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-scoring"

CSV_COLUMNS = (
    "measure_id", "source", "period_start", "period_end", "rate_key", "rate_title",
    "initial_population", "excluded", "denominator", "numerator", "rate", "ci_low", "ci_high",
    "exclusions", "suppressed", "not_applied",
)  # fmt: skip


class FhirValidationError(ValueError):
    """A MeasureReport we built does not validate: a defect in Touchstone, never in data."""


def _validate(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with ``fhir.resources``' R4B models (structurally R4 for MeasureReport and
    Bundle), as ``interop.fhir_export`` does for the clinical resources."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise FhirValidationError(f"{resource['resourceType']}: {error}") from None
    return resource


def _hidden(rate: q.Rate) -> bool:
    """Whether a count of ``rate`` (or one derivable from two shown) is from 1 to 10."""
    n_in, n_ex = len(rate.initial_population), len(rate.excluded)
    n_den, n_num = len(rate.denominator), len(rate.numerator)
    return any(0 < v < MIN_CELL_COUNT for v in (n_in, n_ex, n_den, n_num, n_den - n_num))


@dataclass(frozen=True)
class QualityReport:
    """The three measures of one clinic over one measurement period."""

    clinic_id: int
    clinic_name: str
    start: dt.date
    end: dt.date
    measures: tuple[q.MeasureResult, ...]
    generated_at: dt.datetime = field(default_factory=timezone.now)

    def measure(self, measure_id: str) -> q.MeasureResult:
        for result in self.measures:
            if result.measure_id == measure_id:
                return result
        raise KeyError(measure_id)

    def csv_text(self, *, suppress: bool = False) -> str:
        """:meth:`rows` as CSV, cells neutralised for spreadsheets (``lib.csv_cells``)."""
        buffer = io.StringIO()
        writer = csv_cells.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(
            ["" if row[c] is None else row[c] for c in CSV_COLUMNS]
            for row in self.rows(suppress=suppress)
        )
        return buffer.getvalue()

    def rows(self, *, suppress: bool = False) -> list[dict[str, Any]]:
        """One CSV-ready row per rate (``CSV_COLUMNS``): counts only, no client."""
        out = []
        for result in self.measures:
            for rate in result.rates:
                row: dict[str, Any] = {
                    "measure_id": result.measure_id,
                    "source": result.source,
                    "period_start": result.period_start.isoformat(),
                    "period_end": result.period_end.isoformat(),
                    **rate.counts(),
                    "exclusions": "; ".join(
                        f"{reason}={len(ids)}" for reason, ids in rate.exclusions.items()
                    ),
                    "suppressed": False,
                    "not_applied": "; ".join(result.not_applied),
                }
                if suppress and _hidden(rate):
                    for key in ("initial_population", "excluded", "denominator", "numerator",
                                "rate", "ci_low", "ci_high"):  # fmt: skip
                        row[key] = None
                    row["exclusions"] = ""
                    row["suppressed"] = True
                out.append(row)
        return out

    def to_dict(self, *, suppress: bool = False) -> dict[str, Any]:
        """The whole report as JSON-ready values (counts only)."""
        return {
            "clinic": self.clinic_name,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "generated_at": self.generated_at.isoformat(timespec="seconds"),
            "suppressed": suppress,
            "measures": [
                {
                    "measure_id": result.measure_id,
                    "title": result.title,
                    "source": result.source,
                    "windows": [
                        {"name": name, "start": a.isoformat(), "end": b.isoformat()}
                        for name, a, b in result.windows
                    ],
                    "not_applied": list(result.not_applied),
                    "rates": [
                        {
                            **{k: v for k, v in row.items() if k not in {"source", "not_applied"}},
                            "percent": _percent(row["rate"]),
                            "ci_percent": (
                                f"{_percent(row['ci_low'])} to {_percent(row['ci_high'])}"
                                if row["ci_low"] is not None
                                else ""
                            ),
                        }
                        for row in self.rows(suppress=suppress)
                        if row["measure_id"] == result.measure_id
                    ],
                }
                for result in self.measures
            ],
        }

    def measure_reports(self, *, suppress: bool = False) -> list[dict[str, Any]]:
        """One FHIR R4 ``MeasureReport`` (type ``summary``) per measure, each validated."""
        rows = self.rows(suppress=suppress)
        reports = []
        for result in self.measures:
            groups = []
            for rate, row in zip(
                result.rates, [r for r in rows if r["measure_id"] == result.measure_id],
                strict=True,
            ):  # fmt: skip
                populations = []
                for code, key in (
                    ("initial-population", "initial_population"),
                    ("denominator-exclusion", "excluded"),
                    ("denominator", "denominator"),
                    ("numerator", "numerator"),
                ):
                    population: dict[str, Any] = {
                        "code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}
                    }
                    if row[key] is not None:
                        population["count"] = row[key]
                    populations.append(population)
                group: dict[str, Any] = {
                    "code": {
                        "coding": [{"system": GROUP_SYSTEM, "code": rate.key}],
                        "text": rate.title,
                    },
                    "population": populations,
                }
                if row["rate"] is not None:
                    group["measureScore"] = {"value": round(row["rate"], 6)}
                groups.append(group)
            name = f"touchstone:{self.clinic_id}:{result.measure_id}:{self.start}:{self.end}"
            report = {
                "resourceType": "MeasureReport",
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                "status": "complete",
                "type": "summary",
                "measure": MEASURE_URL + result.measure_id,
                "date": timezone.localtime(self.generated_at).isoformat(timespec="seconds"),
                "reporter": {"display": self.clinic_name},
                "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
                "improvementNotation": {
                    "coding": [{"system": IMPROVEMENT_SYSTEM, "code": "increase"}]
                },
                "group": groups,
            }
            reports.append(_validate(report))
        return reports

    def bundle(self, *, suppress: bool = False) -> dict[str, Any]:
        """The MeasureReports in one validated ``collection`` Bundle."""
        entries = [
            {"fullUrl": f"urn:uuid:{r['id']}", "resource": r}
            for r in self.measure_reports(suppress=suppress)
        ]
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": timezone.localtime(self.generated_at).isoformat(timespec="seconds"),
            "entry": entries,
        }
        return _validate(bundle)


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def membership(report: QualityReport, names: dict[int, str]) -> list[dict[str, Any]]:
    """Who is in each group of each rate, and why (the "how it was computed" page).

    ``names`` maps client ids to display names (fetched by the caller through the access
    helpers). DMS-E's total counts client-periods and is listed through its periods.
    """
    out = []
    for result in report.measures:
        rates = []
        for rate in result.rates:
            if result.measure_id == "DMS-E" and rate.key == "total":
                continue
            details = result.details.get(rate.key, {})
            rows = [
                {
                    "client_id": member,
                    "name": names.get(member, ""),
                    "detail": details.get(member),
                    "excluded": member in rate.excluded,
                    "numerator": member in rate.numerator,
                }
                for member in rate.initial_population
                if isinstance(member, int)
            ]
            rows.sort(key=lambda row: (row["name"], row["client_id"]))
            rates.append({"key": rate.key, "title": rate.title, "rows": rows})
        out.append({"measure_id": result.measure_id, "title": result.title, "rates": rates})
    return out


def client_ids(report: QualityReport) -> set[int]:
    """Every client in any initial population of the report."""
    return {
        member
        for result in report.measures
        for rate in result.rates
        for member in rate.initial_population
        if isinstance(member, int)
    }


def _local_day(value: dt.datetime) -> dt.date:
    return timezone.localdate(value)


def client_records(clinic: Clinic, start: dt.date, end: dt.date) -> list[q.ClientRecord]:
    """The records the measures read, for every client with a depression episode (4 queries)."""
    first = q.earliest_day_needed(start)
    depression_episodes = Diagnosis.objects.filter(
        clinic=clinic, code__in=q.DEPRESSION_CODES
    ).values("episode_id")
    clients = Diagnosis.objects.filter(clinic=clinic, code__in=q.DEPRESSION_CODES).values(
        "episode__client_id"
    )
    diagnoses: dict[int, list[q.Diagnosis]] = defaultdict(list)
    spans: dict[int, set[tuple[dt.date, dt.date | None]]] = defaultdict(set)
    for client_id, code, started, ended in Diagnosis.objects.filter(
        clinic=clinic, episode__client_id__in=clients
    ).values_list("episode__client_id", "code", "episode__started_on", "episode__ended_on"):
        diagnoses[client_id].append(q.Diagnosis(code, started))
        if code in q.DEPRESSION_CODES:
            spans[client_id].add((started, ended))
    lower = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    upper = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    encounters: dict[int, list[dt.date]] = defaultdict(list)
    for client_id, starts_at in Visit.objects.filter(
        clinic=clinic,
        status=VisitStatus.COMPLETED,
        episode_id__in=depression_episodes,
        starts_at__gte=lower,
        starts_at__lt=upper,
    ).values_list("client_id", "starts_at"):
        encounters[client_id].append(_local_day(starts_at))
    scores: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for client_id, total, completed_at in Administration.objects.filter(
        clinic=clinic,
        client_id__in=clients,
        instrument_id="phq9",
        status=Status.COMPLETED,
        total__isnull=False,
        completed_at__gte=lower,
        completed_at__lt=upper,
    ).values_list("client_id", "total", "completed_at"):
        if total is not None and completed_at is not None:  # both filtered on; for the types
            scores[client_id].append((_local_day(completed_at), int(total)))
    return [
        q.ClientRecord(
            client_id=client_id,
            birth_date=born,
            diagnoses=tuple(diagnoses[client_id]),
            depression_encounters=tuple(sorted(encounters[client_id])),
            depression_spans=tuple(sorted(spans[client_id], key=lambda s: s[0])),
            phq9=tuple(sorted(scores[client_id])),
        )
        for client_id, born in Client.objects.filter(clinic=clinic, pk__in=clients)
        .order_by("pk")
        .values_list("pk", "date_of_birth")
    ]


def quality_measures(clinic: Clinic, start: dt.date, end: dt.date) -> QualityReport:
    """DMS-E, DRR-E and CMS159 of ``clinic`` for the measurement period ``start``..``end``.

    Raises ``ValueError`` when ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError("The end of the measurement period cannot be before its start.")
    records = client_records(clinic, start, end)
    return QualityReport(
        clinic_id=clinic.pk,
        clinic_name=clinic.name,
        start=start,
        end=end,
        measures=q.compute_measures(records, start, end),
    )


def last_twelve_months(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 12-month measurement period ending ``today`` (the pages' default)."""
    return q.add_months(today, -12) + dt.timedelta(days=1), today
