"""One baseline everywhere (issue 10 §3, issue 12 §3): the home page, the progress page and
the dashboard pair scores with ``science.episodes.episode_pairs``, under the clinic's change
criteria."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from touchstone.care.tests.factories import make_episode
from touchstone.conftest import Cast, make_client
from touchstone.measures.selectors import questionnaire_progress, reliably_deteriorated
from touchstone.measures.tests.factories import answered
from touchstone.outcomes.analytics import clinic_outcomes

TWELVE = [2, 2, 2, 2, 2, 2, 0, 0, 0]
SEVEN = [1, 1, 1, 1, 1, 1, 1, 0, 0]
NINETEEN = [3, 3, 3, 3, 3, 2, 2, 0, 0]


def _ago(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _episode(cast: Cast, days_ago: int, **fields: object):
    client = make_client(cast.harbour, family_name="Paired")
    start = timezone.localdate() - dt.timedelta(days=days_ago)
    return make_episode(cast.harbour, client, started_on=start, **fields)


def test_the_home_page_compares_with_the_episodes_baseline_not_the_first_score_ever(cast: Cast):
    episode = _episode(cast, 30)
    answered(episode.client, cast.tess, "phq9", [0] * 9, at=_ago(300))  # a course long ago
    answered(episode.client, cast.tess, "phq9", NINETEEN, at=_ago(30))
    answered(episode.client, cast.tess, "phq9", NINETEEN, at=_ago(1))
    # First score ever (0) against the latest (19) would be "reliably worse"; the episode's
    # baseline (19) against its follow-up (19) is not.
    assert reliably_deteriorated(cast.bob) == []


def test_the_home_page_ignores_a_follow_up_minutes_after_the_baseline(cast: Cast):
    episode = _episode(cast, 0)
    answered(episode.client, cast.tess, "phq9", [0] * 9, at=_ago(0))
    answered(episode.client, cast.tess, "phq9", NINETEEN)
    assert reliably_deteriorated(cast.bob) == []
    episode.started_on -= dt.timedelta(days=20)
    episode.save(update_fields=["started_on"])
    answered(episode.client, cast.tess, "phq9", [0] * 9, at=_ago(20))
    (found,) = reliably_deteriorated(cast.bob)
    assert (found.instrument_id, found.baseline, found.latest) == ("phq9", 0, 19)


def test_a_clinic_that_chooses_nhs_talking_therapies_gets_them_everywhere(cast: Cast):
    episode = _episode(cast, 30)
    answered(episode.client, cast.tess, "phq9", TWELVE, at=_ago(30))
    answered(episode.client, cast.tess, "phq9", SEVEN, at=_ago(2))

    def judged() -> tuple[str | None, str]:
        (series,) = questionnaire_progress(cast.bob, episode.client).series
        report = clinic_outcomes(cast.harbour)
        phq9 = next(i for i in report.instruments if i.instrument_id == "phq9")
        assert series.change is not None and phq9.classification is not None
        (counted,) = [r.category for r in phq9.classification.rows if r.count]
        return series.change.classification, counted

    # Jacobson & Truax: 12 -> 7 is reliable (|RCI| > 1.96) and below the cut-off of 10.
    assert judged() == ("recovered", "recovered")
    cast.harbour.change_criteria = "nhs-talking-therapies"
    cast.harbour.save(update_fields=["change_criteria"])
    cast.bob.clinic.refresh_from_db()
    # NHS Talking Therapies: a PHQ-9 change of 5 is less than the reliable 6.
    assert judged() == ("unchanged", "unchanged")


def test_the_owner_chooses_the_criteria_in_clinic_settings(cast: Cast):
    http = cast.browser_for(cast.alice)
    form = {"name": "Harbour Massage", "crisis_line": "988", "emergency_number": "911",
            "time_zone": cast.harbour.time_zone}  # fmt: skip
    http.post("/accounts/clinic/", {**form, "change_criteria": "nhs-talking-therapies"})
    cast.harbour.refresh_from_db()
    assert cast.harbour.change_criteria == "nhs-talking-therapies"
    http.post("/accounts/clinic/", form)  # a form without the field keeps the choice
    cast.harbour.refresh_from_db()
    assert cast.harbour.change_criteria == "nhs-talking-therapies"
    assert cast.browser_for(cast.bob).get("/accounts/clinic/").status_code == 403
