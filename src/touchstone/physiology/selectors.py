"""Read helpers for physiology pages, the progress page and the association body_mind.

Each issues a fixed number of queries whatever the number of rows (tested): one per kind of
row, then the science core computes per day, per week and per visit in Python.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from touchstone.accounts.models import StaffMember
from touchstone.audit.actor import Actor
from touchstone.care.models import Visit
from touchstone.clients.models import Client
from touchstone.lib.html import table_rows
from touchstone.measures.models import Administration, Status
from touchstone.physiology.models import (
    Recording,
    Sample,
    SleepNight,
    Timing,
    WearableDay,
    WearableUpload,
)
from touchstone.science.outcomes import MIN_CELL_COUNT
from touchstone.science.physiology import PhysiologyError, body_mind
from touchstone.science.physiology.cortisol import CortisolDay, cortisol_day
from touchstone.science.physiology.hrv import HrvComparison, compare_recordings
from touchstone.science.physiology.sleep import SleepWeek, weekly_summary

SYMPTOM_INSTRUMENTS = {"phq9": "PHQ-9", "gad7": "GAD-7", "phq15": "PHQ-15"}
#: The time line also trends the ISI beside the sleep diary's efficiency (the sleep pathway,
#: issue 15 §2); the body-and-mind association tests only the symptom scores above.
TIMELINE_INSTRUMENTS = {**SYMPTOM_INSTRUMENTS, "isi": "ISI"}
PANELS = [
    "Cortisol on waking (nmol/L)",
    "Cortisol awakening increase (nmol/L)",
    "Cortisol diurnal slope (% per hour)",
    "RMSSD (ms)",
    "Sleep efficiency (%)",
    "ISI",
    "PHQ-9",
    "GAD-7",
    "PHQ-15",
]


def _day(value: dt.datetime) -> dt.date:
    return timezone.localtime(value).date()


@dataclass(frozen=True)
class CortisolDayRow:
    day: dt.date
    n_samples: int
    summary: CortisolDay | None
    error: str = ""


@dataclass(frozen=True)
class VisitComparison:
    visit: Visit
    before: Recording
    after: Recording
    change: HrvComparison


class _TimeLine:
    """A client's time line of body measures and questionnaire totals (``points``), as a
    chart and the chart's table alternative."""

    points: list[dict[str, Any]]

    def chart(self) -> dict[str, Any]:
        return timeline_spec(self.points)

    @property
    def table_rows(self) -> SafeString:
        """The table alternative: date, measure, value and source of each point."""
        return table_rows((p["date"], p["panel"], p["value"], p["series"]) for p in self.points)


@dataclass
class Overview(_TimeLine):
    samples: list[Sample]
    cortisol_days: list[CortisolDayRow]
    recordings: list[Recording]
    comparisons: list[VisitComparison]
    nights: list[SleepNight]
    weeks: list[SleepWeek]
    wearable: list[WearableDay]
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.samples or self.recordings or self.nights or self.wearable)


def cortisol_days(samples: list[Sample]) -> list[CortisolDayRow]:
    """CAR and diurnal slope per calendar day, from cortisol samples with a waking time."""
    by_day: dict[dt.date, list[Sample]] = defaultdict(list)
    for s in samples:
        if s.analyte == "cortisol" and s.minutes_since_waking is not None:
            by_day[_day(s.collected_at)].append(s)
    rows = []
    for day in sorted(by_day):
        group = by_day[day]
        try:
            summary = cortisol_day(
                [float(s.minutes_since_waking or 0) for s in group],
                [s.canonical_value for s in group],
            )
        except PhysiologyError as error:
            rows.append(CortisolDayRow(day, len(group), None, str(error)))
        else:
            rows.append(CortisolDayRow(day, len(group), summary))
    return rows


def visit_comparisons(recordings: list[Recording]) -> list[VisitComparison]:
    """Before/after pairs of recordings around one visit (the latest of each), newest first."""
    pairs: dict[int, dict[str, Recording]] = defaultdict(dict)
    for r in sorted(recordings, key=lambda r: (r.recorded_at, r.pk)):
        if r.visit_id and r.timing:
            pairs[r.visit_id][r.timing] = r
    out = []
    for pair in pairs.values():
        if Timing.BEFORE in pair and Timing.AFTER in pair:
            before, after = pair[Timing.BEFORE], pair[Timing.AFTER]
            assert before.visit is not None
            out.append(
                VisitComparison(
                    before.visit,
                    before,
                    after,
                    compare_recordings(before.metrics(), after.metrics()),
                )
            )
    return sorted(out, key=lambda c: c.visit.starts_at, reverse=True)


def client_overview(member: StaffMember, client: Client) -> Overview:
    """Everything of the body's side for one client, in five queries."""
    samples = list(
        Sample.objects.for_member(member).filter(client_id=client.pk).select_related("visit")
    )
    recordings = list(
        Recording.objects.for_member(member)
        .filter(client_id=client.pk)
        .select_related("visit")
        .defer("rr_ms")
    )
    nights = list(SleepNight.objects.for_member(member).filter(client_id=client.pk))
    wearable = list(WearableDay.objects.for_member(member).filter(client_id=client.pk))
    weeks = weekly_summary((n.night_of, n.core()) for n in nights)
    days = cortisol_days(samples)
    overview = Overview(
        samples, days, recordings, visit_comparisons(recordings), nights, weeks, wearable
    )
    overview.points = _points(
        days,
        recordings,
        nights,
        wearable,
        _symptom_scores(member, [client.pk], instruments=TIMELINE_INSTRUMENTS).get(client.pk, {}),
    )
    return overview


def _symptom_scores(
    member: StaffMember,
    client_ids: list[int] | None,
    *,
    consented_only: bool = False,
    instruments: dict[str, str] = SYMPTOM_INSTRUMENTS,
) -> dict[int, dict[str, body_mind.Series]]:
    rows = (
        Administration.objects.for_member(member)
        .completed()
        .filter(instrument_id__in=instruments, total__isnull=False)
        .order_by("completed_at", "pk")
    )
    if client_ids is not None:
        rows = rows.filter(client_id__in=client_ids)
    if consented_only:
        rows = rows.filter(client__research_consent=True)
    out: dict[int, dict[str, body_mind.Series]] = defaultdict(lambda: defaultdict(list))
    for client_id, instrument_id, completed_at, started_at, total in rows.values_list(
        "client_id", "instrument_id", "completed_at", "started_at", "total"
    ):
        assert total is not None  # filtered above
        out[client_id][instrument_id].append((_day(completed_at or started_at), float(total)))
    return out


def _points(
    days: list[CortisolDayRow],
    recordings: list[Recording],
    nights: list[SleepNight],
    wearable: list[WearableDay],
    scores: dict[str, body_mind.Series],
) -> list[dict[str, Any]]:
    points: list[dict[str, Any]] = []

    def add(day: dt.date, panel: str, value: float | None, series: str = "") -> None:
        if value is not None:
            points.append(
                {
                    "date": day.isoformat(),
                    "panel": panel,
                    "value": round(value, 2),
                    "series": series,
                }
            )

    for row in days:
        if row.summary is not None:
            add(row.day, PANELS[0], row.summary.waking_nmol_l, "cortisol")
            add(row.day, PANELS[1], row.summary.car_increase, "cortisol")
            add(row.day, PANELS[2], row.summary.slope_pct_per_h, "cortisol")
    for r in sorted(recordings, key=lambda r: r.recorded_at):
        label = {"before": "before a visit", "after": "after a visit"}.get(r.timing, "other")
        add(_day(r.recorded_at), PANELS[3], r.rmssd, label)
    for n in sorted(nights, key=lambda n: n.night_of):
        add(n.night_of, PANELS[4], n.se_pct, "diary")
    for w in sorted(wearable, key=lambda w: w.day):
        add(w.day, PANELS[4], w.se_pct, "wearable")
        add(w.day, PANELS[3], w.rmssd, "wearable")
    for instrument_id, title in TIMELINE_INSTRUMENTS.items():
        for day, total in scores.get(instrument_id, []):
            add(day, title, total, "questionnaire")
    return points


def timeline_spec(points: list[dict[str, Any]]) -> dict[str, Any]:
    """One Vega-Lite chart per measure, stacked on a shared time axis (facet rows share x)."""
    present = [p for p in PANELS if any(pt["panel"] == p for pt in points)]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": "Body measures and symptom scores over time, on a shared date axis",
        "data": {"values": points},
        "facet": {
            "row": {
                "field": "panel",
                "type": "nominal",
                "sort": present,
                "title": None,
                # Each panel's name above it, not beside it: at the left it took ~200 px,
                # most of a phone's width, before the plot began.
                "header": {
                    "labelAngle": 0,
                    "labelAlign": "left",
                    "labelAnchor": "start",
                    "labelOrient": "top",
                },
            }
        },
        "spec": {
            "width": 520,
            "height": 90,
            "mark": {"type": "line", "point": {"filled": True, "size": 50}},
            "encoding": {
                "x": {"field": "date", "type": "temporal", "title": "Date"},
                "y": {"field": "value", "type": "quantitative", "title": None},
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": "Source",
                    "legend": {"orient": "bottom", "columns": 3},
                    "scale": {
                        "domain": [
                            "cortisol",
                            "before a visit",
                            "after a visit",
                            "other",
                            "diary",
                            "wearable",
                            "questionnaire",
                        ],
                        # Okabe & Ito 2008 colour-blind-safe palette.
                        "range": [
                            "#E69F00",
                            "#56B4E9",
                            "#009E73",
                            "#999999",
                            "#0072B2",
                            "#CC79A7",
                            "#1f2a30",
                        ],
                    },
                },
                "tooltip": [
                    {"field": "date", "type": "temporal"},
                    {"field": "panel", "title": "Measure"},
                    {"field": "value"},
                    {"field": "series", "title": "Source"},
                ],
            },
        },
        "resolve": {"scale": {"y": "independent"}},
    }


@dataclass(frozen=True)
class Timeline(_TimeLine):
    """The body's panel of the progress page: the time line of ``Overview`` alone."""

    points: list[dict[str, Any]]


def progress_panel(
    member: StaffMember, client: Client, administrations: Iterable[Administration] | None = None
) -> Timeline | None:
    """The body's side for the questionnaire progress page, or None for roles without
    ``physiology.view`` (front desk sees questionnaires, not body measures).

    Four queries reading only the charted fields (the overview page's visits, raw values and
    before/after comparisons are not shown here); the symptom scores come from the client's
    ``administrations`` when the page has read them already, else from a fifth query."""
    if not member.can("physiology.view"):
        return None

    def rows(model: Any, *fields: str) -> list[Any]:
        return list(model.objects.for_member(member).filter(client_id=client.pk).only(*fields))

    if administrations is None:
        scores = _symptom_scores(member, [client.pk], instruments=TIMELINE_INSTRUMENTS)[client.pk]
    else:
        scores = _timeline_scores(administrations)
    return Timeline(
        _points(
            cortisol_days(
                rows(Sample, "analyte", "collected_at", "minutes_since_waking", "canonical_value")
            ),
            rows(Recording, "recorded_at", "timing", "rmssd"),
            rows(SleepNight, "night_of", "se_pct"),
            rows(WearableDay, "day", "se_pct", "rmssd"),
            scores,
        )
    )


def _timeline_scores(administrations: Iterable[Administration]) -> dict[str, body_mind.Series]:
    """``_symptom_scores`` of one client from their administrations already read: completed
    time-line instruments with a total, in order of completion (unfinished dates last, as
    PostgreSQL sorts them)."""
    rows = sorted(
        (
            a
            for a in administrations
            if a.status == Status.COMPLETED
            and a.instrument_id in TIMELINE_INSTRUMENTS
            and a.total is not None
        ),
        key=lambda a: (a.completed_at is None, a.when, a.pk),
    )
    out: dict[str, body_mind.Series] = defaultdict(list)
    for a in rows:
        out[a.instrument_id].append((_day(a.when), float(a.total or 0)))
    return out


# Association --------------------------------------------------------------------------------


def body_and_mind_series(
    member: StaffMember, client_ids: list[int] | None = None, *, consented_only: bool = False
) -> dict[int, dict[str, body_mind.Series]]:
    """Per client: symptom totals and body measures as dated series (four queries)."""
    series = _symptom_scores(member, client_ids, consented_only=consented_only)

    def scoped(model: Any) -> Any:
        rows = model.objects.for_member(member)
        if client_ids is not None:
            rows = rows.filter(client_id__in=client_ids)
        if consented_only:
            rows = rows.filter(client__research_consent=True)
        return rows

    waking = scoped(Sample).filter(analyte="cortisol", minutes_since_waking__lte=5)
    for client_id, when, value in waking.values_list(
        "client_id", "collected_at", "canonical_value"
    ):
        series[client_id]["cortisol"].append((_day(when), value))
    resting = scoped(Recording).exclude(timing=Timing.AFTER)
    for client_id, when, value in resting.values_list("client_id", "recorded_at", "rmssd"):
        series[client_id]["rmssd"].append((_day(when), value))
    for client_id, day, value in scoped(SleepNight).values_list("client_id", "night_of", "se_pct"):
        series[client_id]["se"].append((day, value))
    return series


def clinic_association(member: StaffMember) -> list[body_mind.Row]:
    """Clinic-level rows; researchers see consenting clients only, small n suppressed."""
    researcher = not member.can("clients.view")
    series = body_and_mind_series(member, consented_only=researcher)
    return body_mind.table(
        lambda measure, symptom: body_mind.clinic_pairs(series, measure, symptom),
        min_n=MIN_CELL_COUNT if researcher else 0,
    )


def client_association(member: StaffMember, client: Client) -> list[body_mind.Row]:
    series = body_and_mind_series(member, [client.pk]).get(client.pk, {})
    return body_mind.table(lambda m, s: body_mind.client_pairs(series, m, s))


def pending_wearable_upload(actor: Actor, client: Client, upload_id: Any) -> WearableUpload | None:
    """The member's own unexpired upload for this client, or None."""
    try:
        return (
            WearableUpload.objects.for_member(actor.staff)
            .filter(client=client, uploaded_by=actor.staff, expires_at__gt=timezone.now())
            .get(pk=upload_id)
        )
    except (WearableUpload.DoesNotExist, ValueError, TypeError):
        return None
