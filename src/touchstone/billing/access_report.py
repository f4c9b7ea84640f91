"""The access report: clients, visits and outcomes by sliding-scale tier, so a clinic can show
that people paying less improve as much (issue 14 §1).

* a client's tier is the tier of their newest assessment (clients never assessed form the
  row "not assessed", who pay the full fee);
* visits are their completed care visits;
* outcomes are ``outcomes.analytics.clinic_outcomes`` over each tier's episodes, de-identified:
  reliable improvement (recovered or improved, Jacobson-Truax or the clinic's criteria) with
  its Wilson interval, with the dashboard's de-identified small-cell suppression; client and
  visit counts of 1 to 10 are hidden too (CMS cell size policy,
  ``science.outcomes.MIN_CELL_COUNT``; no totals are shown, so none can be derived);
* community slots set aside and used.

Aggregates only. Queries: a fixed number per tier (a clinic has a handful), none per client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery

from touchstone.accounts.models import Clinic
from touchstone.billing.models import CommunitySlot, FeeTier, TierAssessment
from touchstone.care.models import Episode, Visit, VisitStatus
from touchstone.clients.models import Client
from touchstone.outcomes.analytics import clinic_outcomes
from touchstone.science.outcomes import MIN_CELL_COUNT, wilson_interval

#: The instruments whose reliable improvement the report shows.
INSTRUMENTS = ("phq9", "gad7")
NOT_ASSESSED = "not assessed"


@dataclass
class Improvement:
    instrument_id: str
    n: int | None
    improved: int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class TierRow:
    tier: str
    fee_percent: Any
    clients: int | None
    visits: int | None
    outcomes: list[Improvement]
    slots: int = 0
    slots_used: int = 0


@dataclass
class AccessReport:
    clinic: Clinic
    rows: list[TierRow]


def _current_tier() -> Subquery:
    return Subquery(
        TierAssessment.objects.filter(client_id=OuterRef("client_id"))
        .order_by("-assessed_on", "-id")
        .values("tier_id")[:1]
    )


def _improvement(report: Any, instrument_id: str) -> Improvement:
    result = report.instrument(instrument_id)
    table = result.classification
    if table is None or table.total is None or any(r.suppressed for r in table.rows):
        return Improvement(instrument_id, result.n_paired, None, None, None, None)
    counts = {r.category: r.count or 0 for r in table.rows}
    improved = counts.get("recovered", 0) + counts.get("improved", 0)
    low, high = wilson_interval(improved, table.total)
    return Improvement(
        instrument_id, table.total, improved, improved / table.total, float(low), float(high)
    )


def _shown(count: int) -> int | None:
    """A count, or None for 1 to 10 (the report publishes no totals, so primary suppression
    is enough: no hidden cell can be derived by subtraction)."""
    return None if 1 <= count < MIN_CELL_COUNT else count


def access_report(clinic: Clinic) -> AccessReport:
    tiers = list(FeeTier.objects.filter(clinic=clinic))
    clients = Client.objects.filter(clinic=clinic).annotate(
        tier_id=Subquery(
            TierAssessment.objects.filter(client_id=OuterRef("pk"))
            .order_by("-assessed_on", "-id")
            .values("tier_id")[:1]
        )
    )
    client_counts = dict(
        clients.values("tier_id").annotate(n=Count("id")).values_list("tier_id", "n")
    )
    visit_counts = dict(
        Visit.objects.filter(clinic=clinic, status=VisitStatus.COMPLETED)
        .annotate(tier_id=_current_tier())
        .values("tier_id")
        .annotate(n=Count("id"))
        .values_list("tier_id", "n")
    )
    slot_counts: dict[int | None, dict[str, Any]] = {
        row["tier_id"]: dict(row)
        for row in CommunitySlot.objects.filter(clinic=clinic)
        .values("tier_id")
        .annotate(n=Count("id"), used=Count("id", filter=Q(appointment__isnull=False)))
    }
    keys: list[tuple[int | None, str, Any]] = [(t.pk, t.name, t.fee_percent) for t in tiers]
    keys.append((None, NOT_ASSESSED, 100))
    episodes = Episode.objects.filter(clinic=clinic).annotate(tier_id=_current_tier())
    rows = []
    for key, name, percent in keys:
        mine = (
            episodes.filter(tier_id=key)
            if key is not None
            else episodes.filter(tier_id__isnull=True)
        )
        report = clinic_outcomes(
            Episode.objects.filter(pk__in=mine.values("pk")),
            deidentified=True,
            criteria=clinic.change_criteria,
        )
        slots: dict[str, Any] = slot_counts.get(key, {})
        rows.append(
            TierRow(
                tier=name,
                fee_percent=percent,
                clients=_shown(client_counts.get(key, 0)),
                visits=_shown(visit_counts.get(key, 0)),
                outcomes=[_improvement(report, instrument_id) for instrument_id in INSTRUMENTS],
                slots=slots.get("n", 0),
                slots_used=slots.get("used", 0),
            )
        )
    return AccessReport(clinic, rows)


def access_rows(report: AccessReport) -> Iterator[list[Any]]:
    """The report as CSV rows (written through ``lib.csv_cells``); blank = hidden (1-10)."""
    header = ["tier", "pays_percent_of_fee", "clients", "visits"]
    for instrument_id in INSTRUMENTS:
        header += [f"{instrument_id}_n", f"{instrument_id}_improved", f"{instrument_id}_rate",
                   f"{instrument_id}_ci_low", f"{instrument_id}_ci_high"]  # fmt: skip
    yield [*header, "community_slots", "community_slots_used"]
    for row in report.rows:
        cells: list[Any] = [row.tier, row.fee_percent, row.clients, row.visits]
        for o in row.outcomes:
            cells += [o.n, o.improved] + [
                None if v is None else round(v, 3) for v in (o.rate, o.ci_low, o.ci_high)
            ]
        yield [("" if c is None else c) for c in cells] + [row.slots, row.slots_used]
