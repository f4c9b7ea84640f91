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

The outcomes are the expensive part (a reliable-change analysis per tier: 12.6 s at 10,000
clients, bench/billing.py), so they are **stored** per clinic (:class:`billing.models.
AccessSummary`) with the clinic's change counter and a stamp of its tier assessments, and the
page reads them, with the dashboard's rule (``outcomes.summaries.stored_report``): computed
and stored on first use; when a score, visit, episode or tier assessment changed since, they
are recomputed for the view (not stored) if the last computation took under
``INLINE_REFRESH_SECONDS``, else shown as stored with their time until ``touchstone
refresh-summaries`` or the worker's summaries job (the receiver below) brings them up to date.
Counts and slots are read live. Aggregates only. A fixed number of queries, none per client.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.billing.models import AccessSummary, CommunitySlot, FeeTier, TierAssessment
from touchstone.care.models import Episode, Visit, VisitStatus
from touchstone.clients.models import Client
from touchstone.outcomes.analytics import clinic_outcomes
from touchstone.outcomes.summaries import INLINE_REFRESH_SECONDS, summary_of
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
    #: When the outcomes were computed; False: records changed since (shown as stored).
    computed_at: dt.datetime | None = None
    current: bool = True


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


def _key(tier_id: int | None) -> str:
    return "none" if tier_id is None else str(tier_id)


def tier_outcomes(clinic: Clinic) -> dict[str, list[Improvement]]:
    """The live computation: reliable improvement per tier (key: the tier's id, ``"none"``
    for clients never assessed) and instrument, ``clinic_outcomes`` de-identified over each
    tier's episodes. What is stored; the tests hold the stored figures to it."""
    keys = [*FeeTier.objects.filter(clinic=clinic).values_list("pk", flat=True), None]
    episodes = Episode.objects.filter(clinic=clinic).annotate(tier_id=_current_tier())
    out = {}
    for key in keys:
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
        out[_key(key)] = [_improvement(report, instrument_id) for instrument_id in INSTRUMENTS]
    return out


def _assessments_stamp(clinic: Clinic) -> list[int]:
    """What the tiers' membership was computed from: the number of the clinic's assessments,
    the newest id, the newest history id (an edit or removal through the ORM). Two queries."""
    rows = TierAssessment.objects.filter(clinic=clinic).aggregate(n=Count("id"), last=Max("id"))
    history = TierAssessment.history.filter(clinic_id=clinic.pk).aggregate(last=Max("history_id"))
    return [rows["n"], rows["last"] or 0, history["last"] or 0]


def refresh_access_outcomes(clinic: Clinic) -> AccessSummary:
    """Compute the outcomes by tier and store them with what they were computed from (the
    summaries job, and the page on first use)."""
    changes, stamp = summary_of(clinic.pk).changes, _assessments_stamp(clinic)
    started = time.perf_counter()
    outcomes = tier_outcomes(clinic)
    summary, _ = AccessSummary.objects.update_or_create(
        clinic=clinic,
        defaults={
            "outcomes": {k: [asdict(i) for i in v] for k, v in outcomes.items()},
            "changes": changes,
            "assessments": stamp,
            "computed_at": timezone.now(),
            "seconds": time.perf_counter() - started,
        },
    )
    return summary


def access_outcomes_current(clinic: Clinic, summary: AccessSummary) -> bool:
    """Whether nothing the stored outcomes depend on changed since (three queries)."""
    changes = summary_of(clinic.pk).changes
    return summary.changes == changes and summary.assessments == _assessments_stamp(clinic)


def _stored_outcomes(clinic: Clinic) -> tuple[dict[str, list[Improvement]], dt.datetime, bool]:
    """(outcomes by tier key, when computed, current) by the rule in the module's docstring."""
    summary = AccessSummary.objects.filter(clinic=clinic).first()
    if summary is None:
        summary, current = refresh_access_outcomes(clinic), True
    else:
        current = access_outcomes_current(clinic, summary)
        if not current and summary.seconds < INLINE_REFRESH_SECONDS:
            return tier_outcomes(clinic), timezone.now(), True
    stored = {k: [Improvement(**i) for i in v] for k, v in summary.outcomes.items()}
    return stored, summary.computed_at, current


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
    outcomes, computed_at, current = _stored_outcomes(clinic)
    keys: list[tuple[int | None, str, Any]] = [(t.pk, t.name, t.fee_percent) for t in tiers]
    keys.append((None, NOT_ASSESSED, 100))
    rows = []
    for key, name, percent in keys:
        slots: dict[str, Any] = slot_counts.get(key, {})
        hidden = [Improvement(i, None, None, None, None, None) for i in INSTRUMENTS]
        rows.append(
            TierRow(
                tier=name,
                fee_percent=percent,
                clients=_shown(client_counts.get(key, 0)),
                visits=_shown(visit_counts.get(key, 0)),
                # A tier made after the stored figures has none yet: hidden until refreshed.
                outcomes=outcomes.get(_key(key), hidden),
                slots=slots.get("n", 0),
                slots_used=slots.get("used", 0),
            )
        )
    return AccessReport(clinic, rows, computed_at, current)


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
