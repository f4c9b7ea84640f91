"""Demo body measures for about half of the clients with questionnaires: salivary cortisol on
a few days near the start and the end of care (waking, +30, +45 min, midday, evening) and
around some visits, 5-minute HRV recordings before and after some visits (RMSSD a little
higher after the massage), and two to six weeks of sleep diary. Clients whose PHQ-9 fell
get slightly lower waking cortisol, higher resting RMSSD and better sleep efficiency over
the course, so the association page has something honest to find. Deterministic for the
demo seed; HRV metrics are time-domain only here (NeuroKit2's spectral analysis would
add seconds to the demo; uploads compute LF/HF)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from typing import Any

import numpy as np
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from touchstone.accounts.roles import Role
from touchstone.care.models import Visit
from touchstone.clients.demo import DemoContext
from touchstone.measures.models import Administration
from touchstone.physiology.models import Entry, Recording, Sample, SleepNight, Timing
from touchstone.science.physiology import PhysiologyError
from touchstone.science.physiology import hrv as hrv_core
from touchstone.science.physiology import sleep as sleep_core
from touchstone.science.physiology.units import to_canonical

SHARE = 0.5
BEATS = 360  # about 5 minutes at 72 bpm


def build_demo_physiology(context: DemoContext) -> None:
    rng, clinic, today = context.rng, context.clinic, context.today
    member = context.staff[Role.THERAPIST]
    phq9: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for client_id, when, total in (
        Administration.objects.filter(
            clinic=clinic, instrument_id="phq9", total__isnull=False, **context.client_range()
        )
        .order_by("completed_at")
        .values_list("client_id", "completed_at", "total")
    ):
        if when is not None and total is not None:
            phq9[client_id].append((when, total))
    visits: dict[int, list[Visit]] = defaultdict(list)
    now = timezone.now()
    for visit in Visit.objects.filter(
        clinic=clinic, status="completed", starts_at__lt=now, **context.client_range()
    ).order_by("starts_at"):
        visits[visit.client_id].append(visit)
    samples: list[Sample] = []
    recordings: list[Recording] = []
    nights: list[SleepNight] = []
    np_rng = np.random.default_rng(rng.randrange(2**32))
    for client in context.clients:
        scores = phq9.get(client.pk)
        if not scores or len(scores) < 2 or rng.random() > SHARE:
            continue
        improvement = max(-6.0, min(12.0, float(scores[0][1] - scores[-1][1])))
        start = timezone.localdate(scores[0][0])
        end = min(timezone.localdate(scores[-1][0]), today - dt.timedelta(days=1))
        common = {"clinic": clinic, "client": client, "created_by": member}
        samples += _cortisol(rng, common, start, end, improvement)
        samples += _visit_cortisol(rng, common, visits[client.pk])
        recordings += _recordings(rng, np_rng, common, visits[client.pk], improvement)
        nights += _diary(rng, common, start, end, improvement)
    bulk_create_with_history(samples, Sample, batch_size=500, default_user=member.user)
    bulk_create_with_history(recordings, Recording, batch_size=200, default_user=member.user)
    bulk_create_with_history(nights, SleepNight, batch_size=500, default_user=member.user)


def _at(day: dt.date, minutes: float) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(0), tz) + dt.timedelta(minutes=minutes)


def _sample(common: dict[str, Any], value: float, unit: str, **fields: Any) -> Sample:
    return Sample(
        **common,
        analyte="cortisol",
        value=round(value, 3),
        unit=unit,
        canonical_value=to_canonical(round(value, 3), unit, "cortisol"),
        canonical_unit="nmol/L",
        specimen="saliva",
        lab="Demo saliva lab",
        reference_low=3.0,
        reference_high=25.0,
        reference_unit="nmol/L",
        **fields,
    )


def _cortisol(
    rng: random.Random, common: dict[str, Any], start: dt.date, end: dt.date, improvement: float
) -> list[Sample]:
    """Two sampling days near the start and two near the end of care."""
    out: list[Sample] = []
    days = [start + dt.timedelta(days=d) for d in (1, 4)] + [
        end - dt.timedelta(days=d) for d in (4, 1)
    ]
    for index, day in enumerate(days):
        if day > end:
            continue
        t = 0.0 if index < 2 else 1.0
        waking = max(4.0, rng.gauss(16.0, 2.5) - 0.35 * improvement * t)
        wake_min = rng.randint(6 * 60, 7 * 60 + 30)
        full = rng.random() < 0.6
        design = [0, 30, 45, 240, 720] if full else [0, 30, 720]
        profile = {0: 1.0, 30: 1.55, 45: 1.45, 240: 0.55, 720: 0.22}
        unit = "ug/dL" if rng.random() < 0.25 else "nmol/L"
        for minute in design:
            nmol = waking * profile[minute] * math.exp(rng.gauss(0, 0.08))
            value = nmol / 27.589 if unit == "ug/dL" else nmol
            out.append(
                _sample(
                    common,
                    value,
                    unit,
                    collected_at=_at(day, wake_min + minute),
                    minutes_since_waking=minute,
                )
            )
    return out


def _visit_cortisol(
    rng: random.Random, common: dict[str, Any], visits: list[Visit]
) -> list[Sample]:
    out: list[Sample] = []
    for visit in visits[:: max(1, len(visits) // 2)][:2]:
        before = max(2.0, rng.gauss(8.0, 2.0))
        after = before * math.exp(rng.gauss(-0.12, 0.1))
        for timing, value, when in (
            (Timing.BEFORE, before, visit.starts_at - dt.timedelta(minutes=10)),
            (Timing.AFTER, after, visit.ends_at + dt.timedelta(minutes=10)),
        ):
            out.append(
                _sample(common, value, "nmol/L", collected_at=when, visit=visit, timing=timing)
            )
    return out


def _rr(np_rng: np.random.Generator, mean_rr: float, rmssd: float) -> np.ndarray:
    """Synthetic RR: a slow drift plus white noise whose successive differences give about
    the target RMSSD (for white noise, RMSSD = √2·σ)."""
    drift = np.cumsum(np_rng.normal(0, 2.0, BEATS))
    drift -= drift.mean()
    return np.round(mean_rr + drift + np_rng.normal(0, rmssd / math.sqrt(2), BEATS))


def _recordings(
    rng: random.Random,
    np_rng: np.random.Generator,
    common: dict[str, Any],
    visits: list[Visit],
    improvement: float,
) -> list[Recording]:
    if len(visits) < 2:
        return []
    chosen = [visits[0], visits[len(visits) // 2], visits[-1]][: rng.randint(2, 3)]
    chosen[-1] = visits[-1]
    out: list[Recording] = []
    base_rmssd, base_rr = rng.uniform(22, 48), rng.uniform(760, 920)
    for visit in chosen:
        t = (visit.starts_at - visits[0].starts_at) / max(
            visits[-1].starts_at - visits[0].starts_at, dt.timedelta(days=1)
        )
        before = max(8.0, base_rmssd + 0.9 * improvement * t + rng.gauss(0, 3))
        after = before * math.exp(rng.gauss(0.1, 0.06))  # a little higher after the massage
        for timing, rmssd, mean_rr, when in (
            (Timing.BEFORE, before, base_rr, visit.starts_at - dt.timedelta(minutes=12)),
            (Timing.AFTER, after, base_rr + 25, visit.ends_at + dt.timedelta(minutes=5)),
        ):
            rr = _rr(np_rng, mean_rr, rmssd)
            try:
                corrected = hrv_core.correct_artifacts(rr)
            except PhysiologyError:
                continue
            metrics = hrv_core.HrvMetrics(
                time=hrv_core.time_domain(corrected.rr_ms),
                frequency=hrv_core.frequency_domain(corrected.rr_ms),
                artifacts=corrected,
            )
            recording = Recording(
                **common,
                recorded_at=when,
                visit=visit,
                timing=timing,
                device="Polar H10 (demo)",
                source_format="polar_sensor_logger",
                rr_ms=[float(x) for x in rr],
            )
            recording.set_metrics(metrics)
            out.append(recording)
    return out


def _clock(minutes: float) -> dt.time:
    m = round(minutes) % (24 * 60)
    return dt.time(m // 60, m % 60)


def _diary(
    rng: random.Random, common: dict[str, Any], start: dt.date, end: dt.date, improvement: float
) -> list[SleepNight]:
    """One to three weeks of diary at the start of care and one to three at the end."""
    out: list[SleepNight] = []
    first = rng.randint(7, 21)
    last = rng.randint(7, 21)
    dates = [start + dt.timedelta(days=d) for d in range(first)]
    dates += [end - dt.timedelta(days=d) for d in range(last)]
    base_se = rng.uniform(68, 86)
    seen: set[dt.date] = set()
    span = max((end - start).days, 1)
    for day in sorted(set(dates)):
        if day in seen or day > end or rng.random() < 0.12:  # a few nights not filled in
            continue
        seen.add(day)
        t = (day - start).days / span
        se = min(97.0, max(45.0, base_se + 0.8 * improvement * t + rng.gauss(0, 4)))
        bed = 22 * 60 + 30 + rng.gauss(25, 30)
        tried = bed + rng.randint(0, 25)
        final = bed + rng.gauss(470, 30)
        out_of_bed = final + rng.randint(5, 30)
        tib = out_of_bed - bed
        awake = max(0.0, (final - tried) - se / 100 * tib)
        sol = round(awake * 0.4)
        waso = round(awake - sol)
        awakenings = 0 if waso == 0 else max(1, round(waso / 15))
        try:
            night = sleep_core.sleep_night(
                _clock(bed), _clock(tried), sol, awakenings, waso, _clock(final), _clock(out_of_bed)
            )
        except PhysiologyError:
            continue
        out.append(
            SleepNight(
                **common,
                night_of=day,
                in_bed=_clock(bed),
                tried_sleep=_clock(tried),
                sol_min=sol,
                awakenings=awakenings,
                waso_min=waso,
                final_wake=_clock(final),
                out_of_bed=_clock(out_of_bed),
                quality=min(5, max(1, round(1 + (night.se_pct - 50) / 12))),
                tib_min=night.tib_min,
                tst_min=night.tst_min,
                se_pct=night.se_pct,
                twt_min=night.twt_min,
                pre_sleep_min=night.pre_sleep_min,
                entered=Entry.PORTAL if rng.random() < 0.7 else Entry.STAFF,
            )
        )
    return out
