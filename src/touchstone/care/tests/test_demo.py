"""The demo clinic's care data: deterministic and plausible."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from touchstone.care.models import ContraindicationScreen, Diagnosis, Episode, Visit
from touchstone.clients.demo import build_demo_clinic

TODAY = dt.date(2026, 11, 1)


def _fingerprint() -> list[tuple]:
    return list(Visit.objects.order_by("pk").values_list("starts_at", "body_map", "tension_before"))


@pytest.mark.django_db
def test_it_builds_deterministic_care_data_quickly():
    runs = []
    for _ in range(2):
        with transaction.atomic():
            build_demo_clinic(seed=3, n_clients=40, today=TODAY)
            runs.append(_fingerprint())
            episodes = Episode.objects.count()
            visits = Visit.objects.filter(status="completed")
            assert 30 <= episodes <= 40
            assert Diagnosis.objects.count() >= episodes // 2
            assert visits.count() >= episodes * 5
            assert Visit.objects.filter(status="scheduled", starts_at__date=TODAY).count() == 5
            results = set(ContraindicationScreen.objects.values_list("result", flat=True))
            assert "clear" in results
            tension = [(v.tension_before, v.tension_after) for v in visits]
            assert sum(b - a for b, a in tension) > 0  # after is better on average
            assert Visit.history.count() == Visit.objects.count()
            transaction.set_rollback(True)
    assert runs[0] == runs[1] and runs[0]
