"""The payer outcome report of a clinic for a period.

* clients treated: clients with a completed visit in the period;
* outcomes: ``touchstone.outcomes.analytics.clinic_outcomes`` (issue 6) over the episodes
  with a completed visit in the period: Jacobson-Truax classification with Wilson intervals;
* cost: charges are CPT 97124 units (CMS 8-minute rule per service day) times the clinic's
  fee per unit; cost per session, per reliably improved client (improved or recovered) and
  per recovered client is the period's charges divided by those counts;
* psychotropic medication changes from the medication history (started, stopped, dose
  changed in the period; on a psychotropic at the start and at the end);
* self-reported health-care use: monthly rate of emergency and primary-care visits before
  care (intake, last 6 months) and during care (``care.HealthcareUse`` reports);
* the evidence library's pooled estimates for context.

Aggregates only: no client appears in the report. Fixed number of queries (tested).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.care.models import Episode, HealthcareUse, Intake, Medication, Visit, VisitStatus
from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes
from touchstone.reports.evidence import PooledEstimate, pooled_estimates
from touchstone.science.billing import units_per_day
from touchstone.science.outcomes import RateTable

#: The payer report's instruments: depression and anxiety.
PAYER_INSTRUMENTS = ("phq9", "gad7")


@dataclass
class InstrumentCost:
    instrument_id: str
    title: str
    n_paired: int
    recovered: int
    improved: int  # reliably improved, including the recovered
    classification: RateTable | None
    cost_per_improved: Decimal | None
    cost_per_recovered: Decimal | None


@dataclass
class MedicationChanges:
    on_at_start: int = 0
    on_at_end: int = 0
    started: int = 0
    stopped: int = 0
    dose_changed: int = 0


@dataclass
class HealthcareUseSummary:
    n_clients: int = 0
    ed_before: float | None = None
    ed_during: float | None = None
    primary_before: float | None = None
    primary_during: float | None = None


@dataclass
class PayerReport:
    clinic: Clinic
    start: dt.date
    end: dt.date
    n_clients: int
    n_sessions: int
    n_units: int
    charges: Decimal | None
    outcomes: list[InstrumentCost]
    medication: MedicationChanges
    healthcare: HealthcareUseSummary
    evidence: tuple[PooledEstimate, ...]
    generated_at: dt.datetime = field(default_factory=timezone.now)
    outcomes_source: str = "touchstone.outcomes.analytics.clinic_outcomes"

    @property
    def cost_per_session(self) -> Decimal | None:
        if self.charges is None or not self.n_sessions:
            return None
        return (self.charges / self.n_sessions).quantize(Decimal("0.01"))


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    last = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return first, last


def _per(charges: Decimal | None, count: int) -> Decimal | None:
    if charges is None or count == 0:
        return None
    return (charges / count).quantize(Decimal("0.01"))


def _count(table: RateTable | None, *categories: str) -> int:
    if table is None:
        return 0
    return sum(r.count or 0 for r in table.rows if r.category in categories)


def build_payer_report(clinic: Clinic, start: dt.date, end: dt.date) -> PayerReport:
    if end < start:
        raise ValueError("The end of the period cannot be before its start.")
    first, last = _bounds(start, end)
    visits = list(
        Visit.objects.filter(
            clinic_id=clinic.pk,
            status=VisitStatus.COMPLETED,
            starts_at__gte=first,
            starts_at__lt=last,
        ).values_list("client_id", "starts_at", "duration_min")
    )
    # Units per client and service day (a clinic's day has many clients' services).
    units = sum(
        units_per_day(
            ((client_id, timezone.localtime(starts_at).date()), duration)
            for client_id, starts_at, duration in visits
        ).values()
    )
    clients = sorted({client_id for client_id, _, _ in visits})
    charges = None if clinic.fee_97124 is None else (clinic.fee_97124 * units)
    episodes = Episode.objects.filter(
        clinic_id=clinic.pk,
        visits__status=VisitStatus.COMPLETED,
        visits__starts_at__gte=first,
        visits__starts_at__lt=last,
    ).distinct()
    report = clinic_outcomes(
        episodes,
        OutcomeFilters(instrument_ids=PAYER_INSTRUMENTS),
        today=end,
        criteria=clinic.change_criteria,
    )
    outcomes = []
    for item in report.instruments:
        recovered = _count(item.classification, "recovered")
        improved = _count(item.classification, "recovered", "improved")
        outcomes.append(
            InstrumentCost(
                item.instrument_id,
                item.title,
                item.n_paired or 0,
                recovered,
                improved,
                item.classification,
                _per(charges, improved),
                _per(charges, recovered),
            )
        )
    return PayerReport(
        clinic=clinic,
        start=start,
        end=end,
        n_clients=len(clients),
        n_sessions=len(visits),
        n_units=units,
        charges=charges,
        outcomes=outcomes,
        medication=medication_changes(clinic, clients, start, end),
        healthcare=healthcare_use(clinic, clients, start, end),
        evidence=pooled_estimates(),
    )


def medication_changes(
    clinic: Clinic, client_ids: list[int], start: dt.date, end: dt.date
) -> MedicationChanges:
    """Psychotropic changes among the treated clients (two queries)."""
    meds = [
        m
        for m in Medication.objects.filter(clinic_id=clinic.pk, client_id__in=client_ids)
        if m.is_psychotropic
    ]

    def on(day: dt.date) -> set[int]:
        return {
            m.client_id
            for m in meds
            if (m.started_on is None or m.started_on <= day)
            and (m.stopped_on is None or m.stopped_on >= day)
        }

    out = MedicationChanges(on_at_start=len(on(start)), on_at_end=len(on(end)))
    out.started = len({m.client_id for m in meds if m.started_on and start <= m.started_on <= end})
    out.stopped = len({m.client_id for m in meds if m.stopped_on and start <= m.stopped_on <= end})
    first, last = _bounds(start, end)
    history = Medication.history.filter(id__in=[m.pk for m in meds]).order_by(
        "id", "history_date", "history_id"
    )
    previous: dict[int, str] = {}
    changed: set[int] = set()
    for row in history.values_list("id", "client_id", "dose", "history_date"):
        med_id, client_id, dose, when = row
        if med_id in previous and previous[med_id] != dose and first <= when < last:
            changed.add(client_id)
        previous[med_id] = dose
    out.dose_changed = len(changed)
    return out


def healthcare_use(
    clinic: Clinic, client_ids: list[int], start: dt.date, end: dt.date
) -> HealthcareUseSummary:
    """Mean monthly visits before care (intake) and during care (reports in the period), over
    the clients who have both (two queries)."""
    intakes = {
        i.client_id: i
        for i in Intake.objects.filter(
            clinic_id=clinic.pk,
            client_id__in=client_ids,
            ed_visits_6m__isnull=False,
            primary_care_visits_6m__isnull=False,
        )
    }
    during: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])  # months, ed, primary
    for client_id, months, ed, primary in HealthcareUse.objects.filter(
        clinic_id=clinic.pk,
        client_id__in=list(intakes),
        reported_on__gte=start,
        reported_on__lte=end,
    ).values_list("client_id", "months", "ed_visits", "primary_care_visits"):
        row = during[client_id]
        row[0] += months
        row[1] += ed
        row[2] += primary
    both = [c for c in during if c in intakes and during[c][0] > 0]
    if not both:
        return HealthcareUseSummary()
    n = len(both)
    return HealthcareUseSummary(
        n_clients=n,
        ed_before=sum((intakes[c].ed_visits_6m or 0) / 6 for c in both) / n,
        ed_during=sum(during[c][1] / during[c][0] for c in both) / n,
        primary_before=sum((intakes[c].primary_care_visits_6m or 0) / 6 for c in both) / n,
        primary_during=sum(during[c][2] / during[c][0] for c in both) / n,
    )
