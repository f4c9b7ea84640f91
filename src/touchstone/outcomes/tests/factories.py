"""Synthetic outcome data for tests and benchmarks: clients with an episode, weekly visits and
PHQ-9 / GAD-7 totals, bulk-created (no per-row queries). Returns what was written, so tests can
recompute every figure independently."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.care.models import Diagnosis, Episode, Visit
from touchstone.clients.models import Client
from touchstone.measures.models import Administration, Mode, Status
from touchstone.outcomes.summaries import note_change, refresh_lists


@dataclass
class EpisodeData:
    episode_id: int
    client_id: int
    started_on: dt.date
    therapist_id: int
    modality: str
    sessions: int
    scores: dict[str, list[int]] = field(default_factory=dict)  # instrument -> totals


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def build_outcomes(
    clinic: Clinic,
    therapists: list[StaffMember],
    n_clients: int,
    *,
    seed: int = 3,
    today: dt.date | None = None,
    diagnosis: str | None = "F32.1",
    weeks: int = 8,
    worsen: float = 0.1,
) -> list[EpisodeData]:
    """``n_clients`` clients, each with one episode started ``weeks`` weeks ago (spread over
    the past two years when ``weeks`` is 0 is not supported), weekly visits and fortnightly
    PHQ-9 and GAD-7 totals (most improve, a share ``worsen`` deteriorates)."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    clients = Client.objects.bulk_create(
        [
            Client(
                clinic=clinic,
                given_name=f"Client{i}",
                family_name="Synthetic",
                date_of_birth=dt.date(1980, 1, 1),
                consent_to_treatment=True,
                consent_to_treatment_on=dt.date(2024, 1, 1),
            )
            for i in range(n_clients)
        ]
    )
    starts = [today - dt.timedelta(weeks=weeks, days=rng.randint(0, 60)) for _ in clients]
    episodes = Episode.objects.bulk_create(
        [
            Episode(clinic=clinic, client=c, title="Care", started_on=s)
            for c, s in zip(clients, starts, strict=True)
        ]
    )
    if diagnosis:
        Diagnosis.objects.bulk_create(
            [
                Diagnosis(
                    clinic=clinic, episode=e, code=diagnosis if i % 2 == 0 else "F41.1",
                    source="clinic", entered_by=therapists[0],
                )
                for i, e in enumerate(episodes)
            ]
        )  # fmt: skip
    visits: list[Visit] = []
    admins: list[Administration] = []
    out: list[EpisodeData] = []
    modalities = ["swedish", "swedish", "deep_tissue", "myofascial"]
    for client, episode, start in zip(clients, episodes, starts, strict=True):
        therapist = rng.choice(therapists)
        modality = rng.choice(modalities)
        sessions = rng.randint(1, 14)
        step = rng.choice([7, 7, 14])
        for k in range(sessions):
            visits.append(
                Visit(
                    clinic=clinic, client=client, episode=episode, therapist=therapist,
                    starts_at=_at(start + dt.timedelta(days=1 + step * k), 9),
                    status="completed", modality=modality,
                )
            )  # fmt: skip
        data = EpisodeData(episode.pk, client.pk, start, therapist.pk, modality, sessions)
        bad = rng.random() < worsen
        for instrument_id, top, base in (
            ("phq9", 27, rng.randint(6, 24)),
            ("gad7", 21, rng.randint(4, 18)),
        ):
            totals = []
            for j in range(weeks // 2 + 1):
                drift = 1.2 * j if bad else -1.3 * j
                total = int(min(top, max(0, round(base + drift + rng.gauss(0, 1.5)))))
                totals.append(total)
                admins.append(
                    Administration(
                        clinic=clinic, client=client, instrument_id=instrument_id,
                        mode=Mode.CLINIC, status=Status.COMPLETED, total=total,
                        computable=True, started_at=_at(start + dt.timedelta(weeks=2 * j), 11),
                        completed_at=_at(start + dt.timedelta(weeks=2 * j), 11),
                    )
                )  # fmt: skip
            data.scores[instrument_id] = totals
        out.append(data)
    Visit.objects.bulk_create(visits, batch_size=500)
    Administration.objects.bulk_create(admins, batch_size=500)
    # Bulk inserts send no signal: rebuild the clinic's lists and count the change, as any
    # bulk writer must (outcomes.receivers).
    refresh_lists(clinic)
    note_change(clinic.pk)
    return out
