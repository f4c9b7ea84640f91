"""Care data for the synthetic demo clinic (registered in ``DEMO_EXTENSIONS`` by the app).

Deterministic for a seed (everything comes from ``context.rng``). Most clients get an intake,
a contraindication screen (mostly clear), an episode with a PHQ-9 + GAD-7 plan and 12-16
weeks of weekly or fortnightly visits whose body-map tension falls over time for most
(about 70 % improve, 20 % stay flat, 10 % worsen), with before/after ratings and vitals; a
few visits are scheduled for today. About one client in seven stops coming after two to six
weeks (:data:`DROP_OUT`): the episode ends then, and so do the visits and questionnaires.
Rows are bulk-created with their first history version.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from touchstone.accounts.roles import Role
from touchstone.care import bodymap
from touchstone.care.contraindications import compute_result
from touchstone.care.models import (
    AdverseEvent,
    ContraindicationScreen,
    Diagnosis,
    Episode,
    Intake,
    Medication,
    Visit,
)
from touchstone.clients.demo import DemoContext

CONCERNS = [
    "Low mood, tired all the time, neck and shoulder tension.",
    "Worry that won't switch off; tight jaw; poor sleep.",
    "Stress at work, headaches, lower-back pain.",
    "Since the baby: low mood and broken sleep.",
    "Panic attacks; chest and upper-back tightness.",
]
PSYCHOTROPICS = [
    ("Sertraline", "ssri", "50 mg daily"),
    ("Escitalopram", "ssri", "10 mg daily"),
    ("Venlafaxine XR", "snri", "75 mg daily"),
    ("Bupropion XL", "atypical_antidepressant", "150 mg daily"),
    ("Mirtazapine", "atypical_antidepressant", "15 mg at night"),
    ("Lorazepam", "benzodiazepine", "0.5 mg as needed"),
    ("Trazodone", "hypnotic", "50 mg at night"),
]
PRECAUTION_ITEMS = [
    ("varicose_veins", "No pressure over the veins of the lower legs."),
    ("osteoporosis", "Light to moderate pressure; no forceful joint work."),
    ("skin", "Avoid the eczema patch on the left forearm."),
    ("allergy", "Unscented, nut-free oil only."),
    ("neuropathy", "Lighter pressure on the feet; check the skin."),
]
CLEARANCE_ITEMS = ["recent_surgery", "hypertension", "cancer_treatment"]
# The demo has no sex or pregnancy data, so no postpartum code (F53.0) is drawn here.
DIAGNOSES = ["F41.1", "F32.1", "F33.1", "F43.23", "F41.9", "F32.A", "F51.01"]
TENSE_REGIONS = [
    "neck_back",
    "upper_trapezius_l",
    "upper_trapezius_r",
    "upper_back",
    "lower_back",
    "shoulder_l",
    "shoulder_r",
    "jaw",
    "occiput",
    "mid_back",
    "gluteal_l",
    "gluteal_r",
    "calf_l",
    "calf_r",
]
#: Share of clients who stop coming early: 7 of the 47 randomised in Rapaport et al. 2016 were
#: not evaluable (15 %, derived; shared/reference/evidence.md §1.2; docs/outcomes-statistics.md).
DROP_OUT = 0.15
MODALITIES = ["swedish"] * 5 + ["deep_tissue", "myofascial", "trigger_point", "craniosacral"]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _clip(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _visits_for(
    ctx: DemoContext, rng: random.Random, client: Any, episode: Episode, therapist: Any
) -> list[Visit]:
    trend = rng.choices(["improve", "flat", "worsen"], weights=[70, 20, 10])[0]
    step = rng.choice([7, 7, 14])
    regions = rng.sample(TENSE_REGIONS, rng.randint(3, 6))
    base = {code: rng.randint(2, 3) for code in regions}
    tension0 = rng.uniform(6, 9)
    visits = []
    day = episode.started_on
    n_weeks = (ctx.today - episode.started_on).days / 7
    end = episode.ended_on + dt.timedelta(days=1) if episode.ended_on else ctx.today
    while day < end:
        t = (day - episode.started_on).days / 7 / max(n_weeks, 1)  # 0 -> 1 over the episode
        factor = {"improve": 1 - 0.7 * t, "flat": 1.0, "worsen": 1 + 0.3 * t}[trend]
        body_map = {
            code: _clip(level * factor + rng.gauss(0, 0.4), 0, 3) for code, level in base.items()
        }
        tension = _clip(tension0 * factor + rng.gauss(0, 0.8), 0, 10)
        anxiety = _clip((tension0 - 1) * factor + rng.gauss(0, 1), 0, 10)
        mood = _clip(10 - (tension0 - 1) * factor + rng.gauss(0, 1), 0, 10)
        pain = _clip((tension0 - 2) * factor + rng.gauss(0, 1), 0, 10)
        hr = rng.randint(68, 88)
        systolic = rng.randint(108, 138)
        visits.append(
            Visit(
                clinic=ctx.clinic,
                client=client,
                episode=episode,
                therapist=therapist,
                starts_at=_at(day, rng.randint(9, 17)),
                duration_min=rng.choice([60, 60, 90]),
                status="completed" if rng.random() > 0.05 else "cancelled",
                modality=rng.choice(MODALITIES),
                pressure=rng.choice(["light", "moderate", "firm"]),
                body_map=bodymap.compact(body_map),
                subjective="Synthetic note: client reports how the week went.",
                objective="Palpable tension in the mapped regions.",
                assessment="Responding as planned." if trend == "improve" else "Little change.",
                plan="Continue the planned frequency.",
                tension_before=tension,
                tension_after=_clip(tension - rng.uniform(1.5, 4), 0, 10),
                anxiety_before=anxiety,
                anxiety_after=_clip(anxiety - rng.uniform(0.5, 3), 0, 10),
                mood_before=mood,
                mood_after=_clip(mood + rng.uniform(0.5, 2.5), 0, 10),
                pain_before=pain,
                pain_after=_clip(pain - rng.uniform(0.5, 2.5), 0, 10),
                relaxation_before=_clip(10 - tension, 0, 10),
                relaxation_after=_clip(10 - tension + rng.uniform(2, 4), 0, 10),
                heart_rate_before=hr,
                heart_rate_after=hr - rng.randint(2, 9),
                systolic_before=systolic,
                diastolic_before=systolic - rng.randint(35, 50),
                systolic_after=systolic - rng.randint(0, 8),
                diastolic_after=systolic - rng.randint(45, 55),
            )
        )
        day += dt.timedelta(days=step)
    return visits


def add_care(ctx: DemoContext) -> None:
    """Intake, medications, screens, episodes, diagnoses and visits for the demo clients."""
    rng = ctx.rng
    clinician = ctx.staff[Role.CLINICIAN]
    therapist = ctx.staff[Role.THERAPIST]
    owner = ctx.staff[Role.OWNER]
    intakes, medications, screens, episodes, diagnosis_codes = [], [], [], [], []
    care_clients = []
    for client in ctx.clients:
        if rng.random() > 0.9:
            continue  # a few clients are registered but not yet in care
        care_clients.append(client)
        intakes.append(
            Intake(
                clinic=ctx.clinic,
                client=client,
                presenting_concerns=rng.choice(CONCERNS),
                referrer_name=rng.choice(["", "Dr. Ana Ruiz", "Dr. Sam Patel"]),
                ed_visits_6m=rng.choice([0, 0, 0, 1, 2]),
                primary_care_visits_6m=rng.randint(0, 6),
            )
        )
        if rng.random() < 0.4:
            for name, drug_class, dose in rng.sample(PSYCHOTROPICS, rng.randint(1, 2)):
                medications.append(
                    Medication(
                        clinic=ctx.clinic,
                        client=client,
                        name=name,
                        drug_class=drug_class,
                        dose=dose,
                        started_on=ctx.today - dt.timedelta(days=rng.randint(60, 900)),
                    )
                )
        roll = rng.random()
        items: list[str] = []
        precautions = ""
        if roll < 0.05:
            items = [rng.choice(CLEARANCE_ITEMS)]
        elif roll < 0.25:
            code, precautions = rng.choice(PRECAUTION_ITEMS)
            items = [code]
        screens.append(
            ContraindicationScreen(
                clinic=ctx.clinic,
                client=client,
                screened_by=therapist,
                items=items,
                result=compute_result(items),
                precautions=precautions,
                screened_at=_at(ctx.today - dt.timedelta(weeks=16), 9),
            )
        )
        weeks = rng.randint(12, 16)
        started_on = ctx.today - dt.timedelta(weeks=weeks)
        dropped = rng.random() < DROP_OUT
        episodes.append(
            Episode(
                clinic=ctx.clinic,
                client=client,
                title="Massage alongside usual care",
                started_on=started_on,
                ended_on=started_on + dt.timedelta(weeks=rng.randint(2, 6)) if dropped else None,
                goals="Less muscle tension; better sleep; lower anxiety.",
                frequency_count=1,
                frequency_unit="week",
                plan_intake=["phq9", "gad7"],
                plan_periodic=["phq9", "gad7"],
                plan_every_weeks=2,
            )
        )
        diagnosis_codes.append(rng.choice(DIAGNOSES) if rng.random() < 0.7 else None)
    user = therapist.user
    bulk_create_with_history(intakes, Intake, default_user=user)
    bulk_create_with_history(medications, Medication, default_user=clinician.user)
    bulk_create_with_history(screens, ContraindicationScreen, default_user=user)
    episodes = bulk_create_with_history(episodes, Episode, default_user=clinician.user)
    diagnoses = [
        Diagnosis(
            clinic=ctx.clinic,
            episode=episode,
            code=code,
            source=rng.choice(["referring", "clinic"]),
            entered_by=clinician,
        )
        for episode, code in zip(episodes, diagnosis_codes, strict=True)
        if code is not None
    ]
    bulk_create_with_history(diagnoses, Diagnosis, default_user=clinician.user)
    visits: list[Visit] = []
    for client, episode in zip(care_clients, episodes, strict=True):
        who = therapist if rng.random() < 0.8 else owner
        visits.extend(_visits_for(ctx, rng, client, episode, who))
    booked = 5 if ctx.first else 0  # five visits booked for today, once per clinic
    in_care = [(c, e) for c, e in zip(care_clients, episodes, strict=True) if not e.ended_on]
    for hour, (client, episode) in enumerate(in_care[:booked]):
        visits.append(
            Visit(
                clinic=ctx.clinic,
                client=client,
                episode=episode,
                therapist=therapist,
                starts_at=_at(ctx.today, 9 + 2 * hour),
                status="scheduled",
            )
        )
    visits = bulk_create_with_history(visits, Visit, default_user=user, batch_size=500)
    completed = [v for v in visits if v.status == "completed"]
    events = [
        AdverseEvent(
            clinic=ctx.clinic,
            visit=visit,
            kind=rng.choice(["soreness", "soreness", "bruising", "emotional_release", "dizziness"]),
            severity=rng.choice(["mild", "mild", "moderate"]),
            description="Synthetic event.",
            follow_up="Checked in by phone.",
            resolved=rng.random() < 0.8,
            recorded_at=visit.starts_at,
        )
        for visit in rng.sample(completed, min(len(completed), max(1, len(completed) // 60)))
    ]
    bulk_create_with_history(events, AdverseEvent, default_user=user)
