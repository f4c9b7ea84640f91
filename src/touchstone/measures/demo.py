"""Demo questionnaires: PHQ-9 and GAD-7 at intake and every two weeks of each episode of care,
until it ends (a client who stopped coming) or today, and a few risk alerts. Deterministic for
the demo seed.

The courses are drawn so the demo looks like a plausible routine-care clinic, from published
figures (docs/outcomes-statistics.md, "The demo clinic", has the sources and what the default
demo shows). Most clients lose part of their starting score, a share drawn from one continuous
spread around 45 % (the massage trials report reductions of 50-60 %: Rapaport et al. 2016,
HAM-A 20.05 fell by 11.67 points in six weeks), so some improve a lot, most reliably, and some
hardly at all; a few (:data:`DETERIORATE`) get steadily worse, near the low rates of reliable
deterioration routine care reports (PHQ-9 in routine NHS Talking Therapies / IAPT data: 3.1 %,
Thorpe 2012; psychotherapy in general: 5-10 % of adults, Lambert). One spread rather than
separate "responders" and "non-responders" keeps the clinic's own expected-course model honest:
about one active client in ten ends above its 80 % band.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from touchstone.accounts.roles import Role
from touchstone.care.models import Episode
from touchstone.clients.demo import DemoContext
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, AlertReason, Mode, RiskAlert, Status
from touchstone.science.instruments import score

#: Share of clients whose scores get steadily worse over their care.
DETERIORATE = 0.03
#: The share of the starting score the other clients lose by the end of their course: mean
#: and spread of a normal draw, clipped to :data:`GAIN_RANGE`.
IMPROVEMENT = (0.45, 0.25)
GAIN_RANGE = (0.0, 0.9)


def _target(worsens: bool, baseline: float, gain: float, t: float, rng: random.Random) -> float:
    """Expected total at fraction ``t`` (0..1) of the course. ``gain``: the share of the
    baseline a client loses by the end (most of it in the first weeks), or the points a
    deteriorating client gains."""
    if worsens:
        value = baseline + gain * t
    else:
        value = baseline * (1 - gain * (1 - math.exp(-3 * t)) / (1 - math.exp(-3)))
    return value + rng.gauss(0, 1.3)


def _items_for(total: int, n_items: int, top: int, rng: random.Random) -> list[int]:
    """Item answers (0..top) that add up to ``total``, spread at random."""
    values = [0] * n_items
    for _ in range(max(0, min(total, n_items * top))):
        candidates = [i for i in range(n_items) if values[i] < top]
        values[rng.choice(candidates)] += 1
    return values


def build_demo_measures(context: DemoContext) -> None:
    rng = context.rng
    clinic, staff, today = context.clinic, context.staff, context.today
    therapist, clinician = staff[Role.THERAPIST], staff[Role.CLINICIAN]
    tz = timezone.get_current_timezone()
    rows: list[Administration] = []
    # Follow each episode's measurement plan (PHQ-9 and GAD-7 at intake, then every two
    # weeks) from the day the care demo opened it to the day it ended, if it did; clients
    # without an episode get none. Care builds its demo first (INSTALLED_APPS order).
    episodes = {
        client_id: (started, ended)
        for client_id, started, ended in Episode.objects.filter(
            clinic=clinic, **context.client_range()
        ).values_list("client_id", "started_on", "ended_on")
    }
    for client in context.clients:
        if client.pk not in episodes:
            continue
        start, ended = episodes[client.pk]
        weeks = max(2, (today - start).days // 7)
        worsens = rng.random() < DETERIORATE
        low, high = GAIN_RANGE
        gain = rng.uniform(6, 9) if worsens else min(high, max(low, rng.gauss(*IMPROVEMENT)))
        phq9 = min(25.0, max(5.0, rng.gauss(13.5, 4.5)))
        base = {"phq9": phq9, "gad7": min(21.0, max(3.0, 0.75 * phq9 + rng.gauss(2, 2.5)))}
        risky_visit = rng.randrange(0, weeks // 2 + 1) if rng.random() < 0.05 else None
        for visit in range(weeks // 2 + 1):
            day = start + dt.timedelta(weeks=2 * visit)
            if ended is not None and day > ended:
                break  # stopped coming
            when = dt.datetime.combine(day, dt.time(10, 30), tz)
            when = min(when, timezone.now() - dt.timedelta(hours=2))  # never in the future
            t = visit / (weeks // 2)
            for instrument_id, n_scored, top, maximum in (("phq9", 9, 3, 27), ("gad7", 7, 3, 21)):
                total = round(
                    min(maximum, max(0, _target(worsens, base[instrument_id], gain, t, rng)))
                )
                values = _items_for(total, n_scored, top, rng)
                if instrument_id == "phq9":
                    values = _move_off_item_9(values, rng, risky=visit == risky_visit)
                rows.append(_administration(clinic, client, instrument_id, values, when, therapist))
    bulk_create_with_history(rows, Administration, batch_size=500, default_user=therapist.user)
    _demo_alerts(context, clinician, rng)


def _move_off_item_9(values: list[int], rng: random.Random, *, risky: bool) -> list[int]:
    """Keep item 9 (thoughts of self-harm) at 0 except where the demo wants a risk alert."""
    if values[8] and not risky:
        spill, values[8] = values[8], 0
        for _ in range(spill):
            room = [i for i in range(8) if values[i] < 3]
            if room:
                values[rng.choice(room)] += 1
    if risky:
        values[8] = max(values[8], 1)
    return values


def _administration(
    clinic: Any, client: Any, instrument_id: str, values: list[int], when: dt.datetime, member: Any
) -> Administration:
    definition = instrument(instrument_id)
    result = score(definition, values)
    return Administration(
        clinic=clinic,
        client=client,
        instrument_id=instrument_id,
        instrument_version=definition.version,
        language=definition.language,
        mode=Mode.TABLET,
        status=Status.COMPLETED,
        answers={k: v for k, v in result.answers.items() if v is not None},
        total=result.total,
        severity=result.severity or "",
        severity_index=result.severity_index,
        computable=result.computable,
        reason=result.reason or "",
        risk_flags=list(result.risk_flags),
        result=result.to_dict(),
        started_at=when,
        completed_at=when + dt.timedelta(minutes=4),
        created_by=member,
    )


def _demo_alerts(context: DemoContext, clinician: Any, rng: random.Random) -> None:
    """Alerts as the clinic would have raised them; most are handled, the newest stay open
    (the newest two of the last batch)."""
    saved = [
        a
        for a in Administration.objects.filter(clinic=clinician.clinic, **context.client_range())
        .select_related("client")
        .order_by("completed_at")
        if a.risk_flags
    ]
    alerts = []
    for index, a in enumerate(saved):
        assert a.completed_at is not None  # demo administrations are all completed
        still_open = context.last and index >= len(saved) - 2
        alerts.append(
            RiskAlert(
                clinic=a.clinic,
                client=a.client,
                administration=a,
                reason=AlertReason.RISK_ITEM,
                item="phq9-9",
                raised_at=a.completed_at,
                assigned_to=None if still_open else clinician,
                closed_by=None if still_open else clinician,
                closed_at=None
                if still_open
                else a.completed_at + dt.timedelta(hours=rng.randint(1, 5)),
                action_taken=""
                if still_open
                else rng.choice(
                    [
                        "Same-day risk assessment by phone; no current plan or intent; "
                        "safety plan reviewed.",
                        "Seen same day; safety plan updated; prescriber informed with consent.",
                        "Assessed same day; referred to crisis team for follow-up; "
                        "family contact agreed.",
                    ]
                ),
            )
        )
    bulk_create_with_history(alerts, RiskAlert, default_user=clinician.user)
