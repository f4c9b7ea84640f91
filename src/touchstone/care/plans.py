"""Which questionnaires an episode's measurement plan makes due (pure: no database).

The plan has three parts (``Episode.plan_*``): instruments at intake (due until first
completed), instruments every N weeks (due N weeks after the last completion, or at the
episode's start when never completed) and instruments at each visit (due on a day with a
visit, when the caller says so, until given that day: given means not due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def next_due(
    episode: Any, completed: Mapping[str, dt.date | None]
) -> list[tuple[str, str, dt.date]]:
    """``(instrument_id, reason, due_on)`` of the plan's intake and periodic instruments,
    whatever today is: the day each one falls due next (intake: the episode's start while never
    completed; periodic: N weeks after the last completion, or the start). One entry per
    instrument, intake first. :func:`instruments_due` keeps those due by today; the stored due
    list (``outcomes.summaries``) keeps them all and filters by date when it is read.
    """
    out: dict[str, tuple[str, str, dt.date]] = {}
    for instrument_id in episode.plan_intake or []:
        if completed.get(instrument_id) is None:
            out.setdefault(instrument_id, (instrument_id, "intake", episode.started_on))
    weeks = episode.plan_every_weeks
    if weeks:
        for instrument_id in episode.plan_periodic or []:
            last = completed.get(instrument_id)
            next_on = episode.started_on if last is None else last + dt.timedelta(weeks=weeks)
            out.setdefault(instrument_id, (instrument_id, "periodic", next_on))
    return list(out.values())


@dataclass(frozen=True)
class DueInstrument:
    instrument_id: str
    reason: str  # "intake", "periodic" or "session"
    due_on: dt.date
    days_overdue: int


def instruments_due(
    episode: Any,
    today: dt.date,
    completed: Mapping[str, dt.date | None],
    *,
    visit_today: bool = False,
) -> list[DueInstrument]:
    """The instruments due on ``today`` for ``episode``, one entry per instrument.

    Parameters
    ----------
    episode : Episode (or anything with ``started_on``, ``ended_on``, ``plan_intake``,
        ``plan_periodic``, ``plan_every_weeks`` and ``plan_each_visit``)
    today : date
    completed : mapping
        Instrument id -> date of the last completed administration in this episode
        (missing or None: never completed).
    visit_today : bool
        Whether the client has a visit today; then the per-visit instruments are due,
        except those already completed today.

    Examples
    --------
    An episode started 2025-01-01 with PHQ-9 every 2 weeks, last done 2025-01-10,
    makes PHQ-9 due on 2025-01-24 (14 days later).
    """
    if episode.ended_on is not None and episode.ended_on < today:
        return []
    due: dict[str, DueInstrument] = {}
    for instrument_id, reason, due_on in next_due(episode, completed):
        if due_on <= today:
            due[instrument_id] = DueInstrument(instrument_id, reason, due_on, (today - due_on).days)
    if visit_today:
        for instrument_id in episode.plan_each_visit or []:
            # Given today: done for this visit; a periodic or intake entry keeps its reason.
            if instrument_id not in due and completed.get(instrument_id) != today:
                due[instrument_id] = DueInstrument(instrument_id, "session", today, 0)
    return sorted(due.values(), key=lambda d: (d.due_on, d.instrument_id))
