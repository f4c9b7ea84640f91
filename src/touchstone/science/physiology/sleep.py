"""Consensus Sleep Diary (CSD) derived metrics, one night at a time, and weekly summaries.

Core diary items (Carney CE et al. 2012, "The Consensus Sleep Diary: standardizing
prospective sleep self-monitoring", Sleep 35(2):287-302; reference key [CSD] in
shared/reference/instruments.md §1.9): 1 time into bed, 2 time tried to go to sleep,
3 minutes to fall asleep, 4 number of awakenings (not counting the final one), 5 their total
duration, 6 time of final awakening, 7 time out of bed.

Derived metrics (the CSD paper notes that labs differ and fixes no formula; this is the
platform convention recorded in the reference file, [CSD], [SMH-diary], [PMC9672415]):

* SOL  = item 3 (minutes)
* NWAK = item 4
* WASO = item 5 (excludes the terminal wakefulness)
* TWT  = item 7 - item 6 (terminal wakefulness: final awakening to out of bed)
* TIB  = item 7 - item 1 (time in bed)
* pre-sleep time in bed = item 2 - item 1
* TST  = (item 6 - item 2) - SOL - WASO
       = TIB - (item 2 - item 1) - SOL - WASO - TWT
* SE % = TST / TIB x 100 (denominator: time in bed; some labs use item 7 - item 2 instead)

Clock times carry no date: a night is read forwards from the time into bed, so 23:10 →
06:40 crosses midnight (7 h 30 min). The four times must then come in the order
bed ≤ tried to sleep ≤ final awakening ≤ out of bed within 24 h; if they do not, the entry
is refused naming the two times that are out of order. Also refused: negative or
non-integer awakenings, negative durations, WASO without any awakening, SOL + WASO longer
than the time from trying to sleep to the final awakening (that would make TST negative),
and a zero time in bed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, time, timedelta
from typing import Any

from touchstone.science.physiology import PhysiologyError

DAY_MIN = 24 * 60
_TIME_NAMES = (
    ("in_bed", "time into bed"),
    ("tried_sleep", "time tried to sleep"),
    ("final_wake", "time of final awakening"),
    ("out_of_bed", "time out of bed"),
)


def parse_clock(text: str, field: str = "time") -> time:
    """Parse ``"HH:MM"`` (24-hour clock) into a ``datetime.time``, or raise."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise PhysiologyError(f"{field} {text!r} is not a clock time HH:MM")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise PhysiologyError(f"{field} {text!r} is not a clock time HH:MM")
    return time(h, m)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class SleepNight:
    """Derived metrics of one diary night (minutes, count, percent)."""

    tib_min: float
    tst_min: float
    se_pct: float
    sol_min: float
    waso_min: float
    twt_min: float
    nwak: int
    pre_sleep_min: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _duration(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise PhysiologyError(f"{field} {value!r} is not a number of minutes")
    if value < 0:
        raise PhysiologyError(f"{field} {value:g} min is negative")
    return float(value)


def sleep_night(
    in_bed: time,
    tried_sleep: time,
    sol_min: float,
    awakenings: int,
    waso_min: float,
    final_wake: time,
    out_of_bed: time,
) -> SleepNight:
    """Derive the CSD sleep metrics of one night (definitions in the module docstring).

    Parameters
    ----------
    in_bed, tried_sleep, final_wake, out_of_bed : datetime.time
        Diary items 1, 2, 6 and 7 (clock times; seconds are ignored).
    sol_min : float
        Item 3, minutes to fall asleep.
    awakenings : int
        Item 4, number of awakenings, not counting the final one.
    waso_min : float
        Item 5, total minutes awake during those awakenings.

    Raises
    ------
    PhysiologyError
        With a message naming the impossible entry.

    Examples
    --------
    >>> n = sleep_night(time(23, 0), time(23, 15), 20, 2, 30, time(6, 30), time(7, 0))
    >>> n.tib_min, n.tst_min, round(n.se_pct, 1)
    (480.0, 385.0, 80.2)
    """
    sol = _duration(sol_min, "minutes to fall asleep")
    waso = _duration(waso_min, "minutes awake after sleep onset")
    if isinstance(awakenings, bool) or int(awakenings) != awakenings:
        raise PhysiologyError(f"number of awakenings {awakenings!r} is not a whole number")
    if awakenings < 0:
        raise PhysiologyError(f"number of awakenings {awakenings} is negative")
    if awakenings == 0 and waso > 0:
        raise PhysiologyError(
            f"{waso:g} min awake after sleep onset but no awakenings: give the number of awakenings"
        )
    clock = [_minutes(t) for t in (in_bed, tried_sleep, final_wake, out_of_bed)]
    gaps = [(b - a) % DAY_MIN for a, b in itertools.pairwise(clock)]
    if sum(gaps) >= DAY_MIN:
        # One pair is reversed; walking forwards from it wraps round the clock, so its gap is
        # the largest.
        worst = max(range(3), key=lambda i: gaps[i])
        (_, first), (_, second) = _TIME_NAMES[worst], _TIME_NAMES[worst + 1]
        earlier = (in_bed, tried_sleep, final_wake, out_of_bed)
        raise PhysiologyError(
            f"times out of order: {second} ({earlier[worst + 1]:%H:%M}) comes before "
            f"{first} ({earlier[worst]:%H:%M})"
        )
    pre_sleep, sleep_window, twt = (float(g) for g in gaps)
    tib = pre_sleep + sleep_window + twt
    if tib == 0:
        raise PhysiologyError("time into bed equals time out of bed: no time in bed")
    if sol + waso > sleep_window:
        raise PhysiologyError(
            f"minutes to fall asleep plus minutes awake ({sol + waso:g}) are longer than the "
            f"time from trying to sleep to the final awakening ({sleep_window:g} min)"
        )
    tst = sleep_window - sol - waso
    return SleepNight(
        tib_min=tib,
        tst_min=tst,
        se_pct=100 * tst / tib,
        sol_min=sol,
        waso_min=waso,
        twt_min=twt,
        nwak=int(awakenings),
        pre_sleep_min=pre_sleep,
    )


@dataclass(frozen=True)
class SleepWeek:
    """Means over the diary nights of one ISO week (Monday to Sunday, by date of going to bed).

    SE is the mean of nightly SE (each night weighted equally), as in diary-based CBT-I
    monitoring; ``n_nights`` says how many nights it rests on.
    """

    week_start: date
    n_nights: int
    tib_min: float
    tst_min: float
    se_pct: float
    sol_min: float
    waso_min: float
    twt_min: float
    nwak: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["week_start"] = self.week_start.isoformat()
        return d


def weekly_summary(nights: Iterable[tuple[date, SleepNight]]) -> list[SleepWeek]:
    """Group nights by ISO week of their bed date and average each metric; weeks in order.

    Raises
    ------
    PhysiologyError
        If two nights share a date.
    """
    by_week: dict[date, list[SleepNight]] = {}
    seen: set[date] = set()
    for night_date, night in nights:
        if night_date in seen:
            raise PhysiologyError(f"two diary entries for the night of {night_date.isoformat()}")
        seen.add(night_date)
        monday = night_date - timedelta(days=night_date.weekday())
        by_week.setdefault(monday, []).append(night)
    weeks = []
    for monday in sorted(by_week):
        group = by_week[monday]
        n = len(group)

        def mean(field: str, group: list[SleepNight] = group, n: int = n) -> float:
            return sum(float(getattr(x, field)) for x in group) / n

        weeks.append(
            SleepWeek(
                week_start=monday,
                n_nights=n,
                tib_min=mean("tib_min"),
                tst_min=mean("tst_min"),
                se_pct=mean("se_pct"),
                sol_min=mean("sol_min"),
                waso_min=mean("waso_min"),
                twt_min=mean("twt_min"),
                nwak=mean("nwak"),
            )
        )
    return weeks
