"""Session ratings have one home, the visit (issue 12 §3): the retired ``rating-*``
questionnaires move into visits and can be neither planned nor started any more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from touchstone.care.models import Episode, Visit
from touchstone.care.ratings_move import REASON, move_session_ratings
from touchstone.care.tests.factories import make_episode, make_visit
from touchstone.conftest import Cast, actor_of, make_client
from touchstone.measures.actions import do_start_administration
from touchstone.measures.instruments import administrable
from touchstone.measures.models import Administration, Mode, Status
from touchstone.measures.selectors import questionnaire_progress


def _rating(visit: Visit, name: str, total: int, minutes: int) -> Administration:
    when = visit.starts_at + dt.timedelta(minutes=minutes)
    return Administration.objects.create(
        clinic=visit.clinic, client=visit.client, instrument_id=f"rating-{name}",
        mode=Mode.CLINIC, status=Status.COMPLETED, total=total, computable=True,
        started_at=when, completed_at=when,
    )  # fmt: skip


def test_the_migration_moves_questionnaire_ratings_into_the_visit(cast: Cast):
    client = make_client(cast.harbour)
    episode = make_episode(cast.harbour, client, plan_each_visit=["phq2"], plan_intake=["phq9"])
    Episode.objects.filter(pk=episode.pk).update(plan_each_visit=["phq2", "rating-mood"])
    ten = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(10)))
    visit = make_visit(
        cast.harbour, client, episode=episode, starts_at=ten, duration_min=60, pain_before=6
    )
    _rating(visit, "mood", 3, -5)  # before the visit
    _rating(visit, "mood", 7, 62)  # after it
    _rating(visit, "pain", 2, -5)  # the therapist's 6 is kept
    _rating(visit, "tension", 4, -60 * 24 * 3)  # no visit that day: stays where it was
    counts = move_session_ratings(apps)
    assert counts == {"moved": 2, "kept": 2, "plans": 1}
    visit.refresh_from_db()
    assert (visit.mood_before, visit.mood_after, visit.pain_before) == (3, 7, 6)
    assert visit.history.first().history_change_reason == REASON
    episode.refresh_from_db()
    assert episode.plan_each_visit == ["phq2"] and episode.plan_intake == ["phq9"]
    assert Administration.objects.filter(instrument_id__startswith="rating-").count() == 4
    assert move_session_ratings(apps) == {"moved": 0, "kept": 4, "plans": 0}  # idempotent


def test_a_rating_questionnaire_can_be_neither_planned_nor_started(cast: Cast):
    client = make_client(cast.harbour)
    episode = Episode(
        clinic=cast.harbour, client=client, title="E", started_on=timezone.localdate(),
        plan_each_visit=["rating-tension"],
    )  # fmt: skip
    with pytest.raises(ValidationError, match="recorded on the visit"):
        episode.full_clean()
    with pytest.raises(ValidationError, match="recorded on the visit"):
        do_start_administration(actor_of(cast.tess), client, "rating-mood", Mode.CLINIC)
    assert not {i.id for i in administrable(cast.harbour)} & {"rating-mood", "rating-pain"}


def test_old_rating_questionnaires_are_listed_but_not_charted_as_questionnaires(cast: Cast):
    client = make_client(cast.harbour)
    visit = make_visit(cast.harbour, client)
    old = _rating(visit, "mood", 5, 0)
    progress = questionnaire_progress(cast.tess, client)
    assert progress.series == [] and old in progress.administrations
