"""The demo clinic looks like a plausible routine-care clinic (issue 17 §5): its outcomes are
drawn from published figures (measures/demo.py; docs/outcomes-statistics.md, "The demo
clinic"), so the clinician's first screen is not a wall of deteriorating clients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from touchstone.accounts.models import StaffMember
from touchstone.care.models import Episode
from touchstone.clients.demo import build_demo_clinic
from touchstone.outcomes import summaries
from touchstone.outcomes.headline import headlines

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_its_outcomes_follow_the_published_figures():
    build_demo_clinic(seed=7, n_clients=150)
    casey = StaffMember.objects.get(user__username="casey")
    episodes = Episode.objects.filter(clinic=casey.clinic)
    today = timezone.localdate()
    ended = episodes.filter(ended_on__lt=today).count()
    open_now = episodes.count() - ended
    # Drop-out about one in seven (Rapaport 2016: 7 of 47 not evaluable).
    assert 0.07 <= ended / episodes.count() <= 0.25
    # Reliable deterioration at the low rates routine care reports (3.1 % on the PHQ-9 in
    # routine IAPT data, Thorpe 2012; 5-10 % of adults in psychotherapy, Lambert).
    worse = summaries.deteriorated(casey).count
    assert 0 < worse <= 0.1 * open_now, (worse, open_now)
    # Most improve, a good share reliably, as the massage trials' 50-60 % reductions suggest.
    phq9 = next(h for h in headlines(summaries.stored_report(casey.clinic, deidentified=False)
                                     .report) if h.instrument_id == "phq9")  # fmt: skip
    assert 0.4 <= phq9.improved_share <= 0.75 and phq9.deteriorated_share <= 0.08
    assert phq9.mean_pre is not None and phq9.mean_post is not None
    assert 0.25 <= 1 - phq9.mean_post / phq9.mean_pre <= 0.6
    # Not on track: the clients beyond the clinic's own 80 % band, not a quarter of them.
    assert summaries.not_on_track(casey).count <= 0.25 * open_now


def test_a_client_who_stopped_coming_has_no_later_visits_or_questionnaires():
    build_demo_clinic(seed=7, n_clients=40)
    stopped = Episode.objects.filter(ended_on__isnull=False).select_related("client")
    assert stopped.exists()
    for episode in stopped:
        assert episode.ended_on is not None
        after = dt.datetime.combine(
            episode.ended_on + dt.timedelta(days=1), dt.time.min, timezone.get_current_timezone()
        )
        assert not episode.visits.filter(starts_at__gte=after).exists()
        assert not episode.client.administrations.filter(completed_at__gte=after).exists()
