"""Body and mind: pair change in a body measure with change in PHQ-9 / GAD-7 and hand the
pairs to ``association`` (Pearson r and Spearman rho with 95 % CIs).

Plain Python over plain series, ``{measure: [(date, value), ...]}`` per client (the
physiology app's selectors build them from the database). How a change is formed:

* **Clinic** (one pair per client): the symptom change is the last minus the first total of
  the instrument; the body change is the body measure's *level* near the last administration
  minus its level near the first. A level is the mean of the measure's values within
  ``CLINIC_WINDOW`` (14 days) either side of the administration date; a client without a
  value in both windows contributes no pair (counted as dropped).
* **One client** (one pair per interval between consecutive administrations): the change in
  total between two administrations against the change in level over the same interval,
  with the narrower ``CLIENT_WINDOW`` (7 days) so that neighbouring windows rarely overlap.
  Pairs within one person are not independent: the p-values and CIs assume they are, so the
  page says so, and small n is shown as such.

Body measures: cortisol on waking (nmol/L, samples ≤ 5 min after waking: the morning level
that the diurnal rhythm makes comparable across days), RMSSD of recordings not taken right
after a visit (the acute post-massage rise would mask the trend), nightly sleep efficiency
from the diary, and the PHQ-15 total (somatic symptom burden).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from touchstone.science.physiology.association import Association, association

CLINIC_WINDOW = dt.timedelta(days=14)
CLIENT_WINDOW = dt.timedelta(days=7)

MEASURES = [
    ("cortisol", "Cortisol on waking (nmol/L)"),
    ("rmssd", "RMSSD (ms)"),
    ("se", "Sleep efficiency (%)"),
    ("phq15", "PHQ-15 somatic symptoms"),
]
SYMPTOMS = [("phq9", "PHQ-9 depression"), ("gad7", "GAD-7 anxiety")]

Series = list[tuple[dt.date, float]]
Pairs = tuple[list[float | None], list[float | None]]


def level_near(series: Series, day: dt.date, window: dt.timedelta) -> float | None:
    """Mean of the values dated within ``window`` of ``day``, or None when there are none.

    Examples
    --------
    >>> day = dt.date(2025, 3, 1)
    >>> series = [(dt.date(2025, 2, 26), 10.0), (dt.date(2025, 3, 8), 20.0)]
    >>> level_near(series, day, dt.timedelta(days=7))
    15.0
    >>> level_near(series, day, dt.timedelta(days=1)) is None
    True
    """
    values = [v for d, v in series if abs(d - day) <= window]
    return sum(values) / len(values) if values else None


def _delta(series: Series, start: dt.date, end: dt.date, window: dt.timedelta) -> float | None:
    before, after = level_near(series, start, window), level_near(series, end, window)
    return None if before is None or after is None else after - before


@dataclass(frozen=True)
class Row:
    measure: str
    measure_label: str
    symptom: str
    symptom_label: str
    result: Association
    suppressed: bool = False

    @property
    def small(self) -> bool:
        return self.result.n < 10

    def to_dict(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "symptom": self.symptom,
            "suppressed": self.suppressed,
            **({} if self.suppressed else self.result.to_dict()),
        }


def clinic_pairs(clients: dict[int, dict[str, Series]], measure: str, symptom: str) -> Pairs:
    """One (Δ body, Δ symptom) per client with at least two scores of ``symptom``."""
    body: list[float | None] = []
    mind: list[float | None] = []
    for series in clients.values():
        scores = sorted(series.get(symptom, []))
        if len(scores) < 2 or scores[0][0] == scores[-1][0]:
            continue
        (start, first), (end, last) = scores[0], scores[-1]
        body.append(_delta(series.get(measure, []), start, end, CLINIC_WINDOW))
        mind.append(last - first)
    return body, mind


def client_pairs(series: dict[str, Series], measure: str, symptom: str) -> Pairs:
    """One (Δ body, Δ symptom) per interval between consecutive scores of ``symptom``."""
    scores = sorted(series.get(symptom, []))
    body: list[float | None] = []
    mind: list[float | None] = []
    for (start, first), (end, last) in itertools.pairwise(scores):
        if start == end:
            continue
        body.append(_delta(series.get(measure, []), start, end, CLIENT_WINDOW))
        mind.append(last - first)
    return body, mind


def table(
    pairs_for: Callable[[str, str], Pairs],
    *,
    min_n: int = 0,
    measures: Sequence[tuple[str, str]] = MEASURES,
) -> list[Row]:
    """Every body measure against every symptom; rows with n < ``min_n`` are suppressed."""
    rows = []
    for measure, measure_label in measures:
        for symptom, symptom_label in SYMPTOMS:
            body, mind = pairs_for(measure, symptom)
            result = association(body, mind)
            rows.append(
                Row(
                    measure,
                    measure_label,
                    symptom,
                    symptom_label,
                    result,
                    suppressed=min_n > 0 and result.n < min_n,
                )
            )
    return rows
