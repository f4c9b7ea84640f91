"""Which questionnaires an episode's measurement plan makes due (pure: no database).

The plan has three parts (``Episode.plan_*``): instruments at intake (due until first
completed), instruments every N weeks (due N weeks after the last completion, or at the
episode's start when never completed) and instruments at each visit (due on a day with a
visit, when the caller says so, until given that day: given means not due).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

#: WAI-SR is due once per episode from the visit after this many completed visits: the
#: alliance is measured early, when it predicts outcome, once there is a relationship to rate
#: (Hatcher & Gillaspy 2006 gave it from the third session; a design default, which each
#: clinic may change: ``Clinic.alliance_after_visits``).
ALLIANCE_AFTER_VISITS = 3
ALLIANCE_INSTRUMENT = "waisr"


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
    given_for_visit: Collection[str] = (),
    visits_done: int = 0,
    alliance: bool = False,
    alliance_after_visits: int = ALLIANCE_AFTER_VISITS,
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
    given_for_visit : collection of instrument ids
        Per-visit instruments the client already filled for today's visit before the day
        (through the link the plan sent before it, ``portal.delivery``): not due again.
    visits_done : int
        Completed visits of the episode before today.
    alliance : bool
        Whether the clinic can give the WAI-SR (its licensed text is entered): it is then due
        at the visit after the ``alliance_after_visits``-th (the clinic's setting, default
        the third; :func:`alliance_due`), whatever the plan says.

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
            if (
                instrument_id not in due
                and completed.get(instrument_id) != today
                and instrument_id not in given_for_visit
            ):
                due[instrument_id] = DueInstrument(instrument_id, "session", today, 0)
        if alliance and alliance_due(visits_done, completed, after=alliance_after_visits):
            due.setdefault(
                ALLIANCE_INSTRUMENT, DueInstrument(ALLIANCE_INSTRUMENT, "alliance", today, 0)
            )
    return sorted(due.values(), key=lambda d: (d.due_on, d.instrument_id))


# --- pathways: what a client's situation suggests for the plan (issue 15 §2) ----------------


@dataclass(frozen=True)
class Suggestion:
    """A pathway's instrument (``None``: the sleep diary) and why it is suggested."""

    pathway: str
    instrument_id: str | None
    reason: str


def pathway_suggestions(
    *, weeks_postpartum: int | None, menopause_status: str, postpartum_weeks: int = 52
) -> list[Suggestion]:
    """The instruments a client's recorded status suggests for a new episode's plan.

    Parameters
    ----------
    weeks_postpartum : int or None
        Whole weeks since delivery (``Client.weeks_postpartum``), ``None`` when not postpartum.
    menopause_status : str
        ``Client.menopause_status`` (``"peri"``, ``"post"``, ...).
    postpartum_weeks : int
        The postpartum pathway's span (12 months, ``clients.models.POSTPARTUM_WEEKS``).

    Examples
    --------
    >>> [s.instrument_id for s in pathway_suggestions(weeks_postpartum=6, menopause_status="")]
    ['epds']
    """
    out: list[Suggestion] = []
    if weeks_postpartum is not None and weeks_postpartum <= postpartum_weeks:
        out.append(
            Suggestion(
                "postpartum",
                "epds",
                f"Delivered {weeks_postpartum} weeks ago: the EPDS screens for perinatal "
                "depression (cut-offs 10 and 13); its item 10 raises a risk alert.",
            )
        )
    if menopause_status in ("peri", "post"):
        out += [
            Suggestion(
                "menopause",
                "mrs",
                "Peri- or postmenopausal: the Menopause Rating Scale, with its somatic, "
                "psychological and urogenital subscales.",
            ),
            Suggestion("menopause", "isi", "Sleep often suffers in the menopausal transition."),
            Suggestion("menopause", None, "A sleep diary alongside the ISI."),
        ]
    return out


def alliance_due(
    visits_done: int,
    completed: Mapping[str, dt.date | None],
    *,
    after: int = ALLIANCE_AFTER_VISITS,
) -> bool:
    """Whether the WAI-SR is due: after ``after`` completed visits of the episode (the
    clinic's setting; by default the third), once."""
    return visits_done >= after and completed.get(ALLIANCE_INSTRUMENT) is None
