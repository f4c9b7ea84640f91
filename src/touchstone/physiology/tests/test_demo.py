"""The demo clinic's body measures: deterministic, plausible, analysable."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from touchstone.accounts.roles import Role
from touchstone.clients.demo import build_demo_clinic
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.physiology.selectors import clinic_association, visit_comparisons

TODAY = dt.date(2026, 11, 1)


def _fingerprint() -> list[tuple]:
    return list(Sample.objects.order_by("pk").values_list("collected_at", "value", "unit"))


@pytest.mark.django_db
def test_it_builds_deterministic_body_measures_that_the_analysis_can_use():
    runs = []
    for _ in range(2):
        with transaction.atomic():
            context = build_demo_clinic(seed=3, n_clients=60, today=TODAY)
            runs.append(_fingerprint())
            assert context is not None
            with_diary = SleepNight.objects.values("client").distinct().count()
            assert 15 <= with_diary <= 45  # about half of the clients with questionnaires
            assert Sample.objects.filter(unit="ug/dL").exists()
            assert Sample.objects.filter(timing="before").exists()
            recordings = list(Recording.objects.select_related("visit").defer("rr_ms"))
            comparisons = visit_comparisons(recordings)
            rises = [c.change.delta_rmssd > 0 for c in comparisons]
            assert sum(rises) > len(rises) * 0.6  # RMSSD a little higher after massage, mostly
            assert all(300 < r.mean_rr < 2000 and r.n_beats >= 300 for r in recordings)
            assert Recording.history.count() == len(recordings)
            owner = context.staff[Role.OWNER]
            rows = clinic_association(owner)
            se = next(r for r in rows if (r.measure, r.symptom) == ("se", "phq9"))
            assert se.result.n >= 10 and se.result.pearson_r is not None
            assert se.result.pearson_r < 0  # sleep efficiency rose as PHQ-9 fell
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and runs[0]
