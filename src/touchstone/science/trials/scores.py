"""Which scores are a controlled study's baseline and follow-up for one enrolled client.

A study's baseline is not the episode baseline of ``science.episodes`` (the first score of a
course of care): it must be taken **before randomisation**, so it is the last score in the
``baseline_days`` before the enrolment (and at the latest at the enrolment itself). The
follow-up is the score nearest the primary time point, ``weeks`` after the enrolment, within
``window_days`` either side (the earlier one on a tie). Both rules are registered in the
protocol (docs/trials.md, "Baseline and follow-up").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StudyScores:
    baseline: float | None
    baseline_at: dt.datetime | None
    follow_up: float | None
    follow_up_at: dt.datetime | None


def study_scores(
    enrolled_at: dt.datetime,
    scores: Sequence[tuple[dt.datetime, float]],
    *,
    weeks: int,
    window_days: int,
    baseline_days: int,
) -> StudyScores:
    """Baseline and follow-up among ``scores`` (time, total) of one client and instrument.

    Examples
    --------
    >>> t0 = dt.datetime(2026, 1, 5, 10, tzinfo=dt.timezone.utc)
    >>> s = study_scores(t0, [(t0 - dt.timedelta(days=2), 18), (t0 + dt.timedelta(weeks=8,
    ...     days=3), 9)], weeks=8, window_days=14, baseline_days=30)
    >>> s.baseline, s.follow_up
    (18, 9)
    """
    if enrolled_at.tzinfo is None:
        raise ValueError("enrolled_at must be timezone-aware")
    earliest = enrolled_at - dt.timedelta(days=baseline_days)
    before = [(t, v) for t, v in scores if earliest <= t <= enrolled_at]
    baseline = max(before, key=lambda s: s[0]) if before else None
    target = enrolled_at + dt.timedelta(weeks=weeks)
    window = dt.timedelta(days=window_days)
    around = [(t, v) for t, v in scores if abs(t - target) <= window and t > enrolled_at]
    follow = min(around, key=lambda s: (abs(s[0] - target), s[0])) if around else None
    return StudyScores(
        baseline=baseline[1] if baseline else None,
        baseline_at=baseline[0] if baseline else None,
        follow_up=follow[1] if follow else None,
        follow_up_at=follow[0] if follow else None,
    )


def follow_up_window(
    enrolled_at: dt.datetime, *, weeks: int, window_days: int
) -> tuple[dt.datetime, dt.datetime]:
    """When the follow-up score may be taken: ``weeks`` after enrolment, +/- ``window_days``."""
    target = enrolled_at + dt.timedelta(weeks=weeks)
    return target - dt.timedelta(days=window_days), target + dt.timedelta(days=window_days)
