"""Objects for tests (and the access matrix): minimal valid physiology rows in a clinic."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.clients.models import Client
from touchstone.conftest import make_client
from touchstone.physiology.models import Recording, Sample, SleepNight


def make_sample(clinic: Clinic, client: Client | None = None, **fields: Any) -> Sample:
    values: dict[str, Any] = {
        "analyte": "cortisol",
        "value": 12.0,
        "unit": "nmol/L",
        "specimen": "saliva",
        "collected_at": timezone.now() - dt.timedelta(days=1),
        "minutes_since_waking": 0,
    }
    values.update(fields)
    sample = Sample(clinic=clinic, client=client or make_client(clinic), **values)
    sample.full_clean()
    sample.save()
    return sample


def make_recording(clinic: Clinic, client: Client | None = None, **fields: Any) -> Recording:
    values: dict[str, Any] = {
        "recorded_at": timezone.now() - dt.timedelta(days=1),
        "source_format": "plain",
        "rr_ms": [800.0] * 10,
        "n_beats": 10,
        "duration_s": 8.0,
        "mean_rr": 800.0,
        "mean_hr": 75.0,
        "sdnn": 20.0,
        "rmssd": 30.0,
        "pnn50": 5.0,
        "n_corrected": 0,
    }
    values.update(fields)
    return Recording.objects.create(clinic=clinic, client=client or make_client(clinic), **values)


def make_sleep_night(clinic: Clinic, client: Client | None = None, **fields: Any) -> SleepNight:
    values: dict[str, Any] = {
        "night_of": timezone.localdate() - dt.timedelta(days=1),
        "in_bed": dt.time(23, 0),
        "tried_sleep": dt.time(23, 15),
        "sol_min": 20,
        "awakenings": 2,
        "waso_min": 30,
        "final_wake": dt.time(6, 30),
        "out_of_bed": dt.time(7, 0),
    }
    values.update(fields)
    night = SleepNight(clinic=clinic, client=client or make_client(clinic), **values)
    night.full_clean()
    night.save()
    return night
