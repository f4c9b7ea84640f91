"""One baseline everywhere: the baseline and follow-up score of each episode of care.

Every page, report and export that compares a score with a baseline (the progress page and
its PDF, the home page's lists, the outcomes dashboard, the research export and the research
network's import, the expected trajectories) pairs scores with :func:`episode_pairs`, so
"baseline" and "follow-up" mean the same everywhere (docs/statistics.md, "One baseline
everywhere"). For one instrument and one episode of care:

* the episode's **window** runs from :data:`BASELINE_WINDOW_DAYS` days before its start to
  its end (``until``, normally today, while it is open);
* the **baseline** is the first score in the window, provided it was taken no later than
  :data:`BASELINE_WINDOW_DAYS` days after the start (an intake form is often filled in before
  the first visit, or at the second one: a Touchstone design choice, not a published rule);
  an episode whose first score comes later has no baseline;
* a later score in the window is **eligible** for change statistics when it was taken at
  least ``min_days`` calendar days after the baseline: one recall period of the instrument
  (``Instrument.min_followup_days``: 14 days for PHQ-9 and GAD-7, 28 for PHQ-15), since a
  score over a recall window that overlaps the baseline's does not describe a new period.
  Earlier scores are *too soon*: shown, never classified;
* the **follow-up** is the last eligible score.

Days are calendar days in the clinic's time zone: the caller passes local wall-clock times
(``datetime64``), so two scores on the same evening are 0 days apart wherever the server is.
Scores with the same time keep their input order. Everything is whole-array numpy (a sort and
a few binary searches), so a dashboard pairs a clinic's episodes at once and a progress page
pairs one client's with the same code; no database is involved.

Examples
--------
>>> import numpy as np
>>> day = lambda s: np.datetime64(s, "D")
>>> pairs = episode_pairs(
...     episode_client=[7], episode_start=[day("2026-01-05")], episode_end=[None],
...     score_client=[7, 7, 7], score_total=[18, 17, 9],
...     score_time=np.array(["2026-01-05T10:00", "2026-01-05T10:20", "2026-01-19T09:00"],
...                         dtype="datetime64[m]"),
...     min_days=14, until=day("2026-02-01"))
>>> pairs.pre.tolist(), pairs.post.tolist(), pairs.days.tolist(), pairs.n_too_soon.tolist()
([18.0], [9.0], [14], [1])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: A baseline may be taken up to this many days before or after the episode's start.
BASELINE_WINDOW_DAYS = 30

#: Status of a score within its episode (:meth:`EpisodePairs.members`).
BASELINE, TOO_SOON, ELIGIBLE = 0, 1, 2
STATUS_NAMES = ("baseline", "too soon", "eligible")

_NAT = np.datetime64("NaT", "D")


@dataclass(frozen=True)
class Members:
    """Every score that belongs to an episode with a baseline, one row per (episode, score).

    ``episode`` is the position of the episode in the input, ``score`` and ``baseline`` are
    indexes into the input score arrays, ``status`` is :data:`BASELINE`, :data:`TOO_SOON`
    or :data:`ELIGIBLE`, ``days`` the calendar days since the baseline. Rows are ordered by
    episode position, then by time.
    """

    episode: npt.NDArray[np.int64]
    score: npt.NDArray[np.int64]
    baseline: npt.NDArray[np.int64]
    status: npt.NDArray[np.int8]
    days: npt.NDArray[np.int64]


@dataclass(frozen=True)
class EpisodePairs:
    """The pair of every input episode (arrays in the episodes' input order).

    Attributes
    ----------
    baseline, followup : int64 arrays
        Index of the baseline / follow-up score in the input score arrays, ``-1`` for none.
    pre, post : float64 arrays
        Their totals (``NaN`` for none).
    pre_day, post_day : datetime64[D] arrays
        Their calendar days (``NaT`` for none).
    days : int64 array
        Days from baseline to follow-up (``-1`` when unpaired).
    n_scores : int64 array
        Scores in the episode's window.
    n_too_soon : int64 array
        Scores after the baseline but less than ``min_days`` after it.
    min_days : int
        The interval the follow-ups were held to.
    """

    baseline: npt.NDArray[np.int64]
    followup: npt.NDArray[np.int64]
    pre: npt.NDArray[np.float64]
    post: npt.NDArray[np.float64]
    pre_day: npt.NDArray[np.datetime64]
    post_day: npt.NDArray[np.datetime64]
    days: npt.NDArray[np.int64]
    n_scores: npt.NDArray[np.int64]
    n_too_soon: npt.NDArray[np.int64]
    min_days: int
    # Positions in the time-sorted scores, kept for members(): window start (the baseline
    # when there is one), first eligible follow-up, window end (exclusive).
    _lo: npt.NDArray[np.int64]
    _first_eligible: npt.NDArray[np.int64]
    _hi: npt.NDArray[np.int64]
    _order: npt.NDArray[np.int64]
    _day: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.baseline.shape[0])

    @property
    def has_baseline(self) -> npt.NDArray[np.bool_]:
        return self.baseline >= 0

    @property
    def paired(self) -> npt.NDArray[np.bool_]:
        """Episodes with a baseline and an eligible follow-up: the ones change statistics use."""
        return self.followup >= 0

    def members(self) -> Members:
        """Every score of every episode that has a baseline, with its status."""
        has = self.has_baseline
        lengths = np.where(has, self._hi - self._lo, 0)
        total = int(lengths.sum())
        episode = np.repeat(np.arange(len(self), dtype=np.int64), lengths)
        starts = np.repeat(self._lo, lengths)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(
            np.cumsum(lengths) - lengths, lengths
        )
        sorted_index = starts + offsets
        status = np.where(
            offsets == 0,
            BASELINE,
            np.where(sorted_index >= np.repeat(self._first_eligible, lengths), ELIGIBLE, TOO_SOON),
        ).astype(np.int8)
        return Members(
            episode=episode,
            score=self._order[sorted_index],
            baseline=np.repeat(self.baseline, lengths),
            status=status,
            days=self._day[sorted_index] - self._day[starts],
        )


def _days(values: npt.ArrayLike, name: str) -> npt.NDArray[np.datetime64]:
    """Calendar days; ``None`` becomes ``NaT``."""
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([_NAT if v is None else v for v in arr.tolist()], dtype="datetime64[D]")
    if arr.size and arr.dtype.kind != "M":
        raise ValueError(f"{name} must be dates (datetime64), got dtype {arr.dtype}")
    return arr.astype("datetime64[D]")


def episode_pairs(
    episode_client: npt.ArrayLike,
    episode_start: npt.ArrayLike,
    episode_end: npt.ArrayLike,
    score_client: npt.ArrayLike,
    score_time: npt.ArrayLike,
    score_total: npt.ArrayLike,
    *,
    min_days: int,
    until: np.datetime64 | str,
    window_days: int = BASELINE_WINDOW_DAYS,
) -> EpisodePairs:
    """Baseline and follow-up of every episode, for one instrument (the module's rules).

    Parameters
    ----------
    episode_client, episode_start, episode_end : array_like, one entry per episode
        The client of each episode, its first day and its last day (``NaT``/``None`` while
        it is open).
    score_client, score_time, score_total : array_like, one entry per score
        Completed scores of one instrument: client, local wall-clock time (``datetime64``)
        and total. A ``NaN`` total (not computable) is never a baseline or a follow-up.
    min_days : int
        Fewest calendar days between baseline and an eligible follow-up (one recall period,
        ``Instrument.min_followup_days``).
    until : datetime64 or ISO date
        The last day of open episodes (today in the clinic's time zone).
    window_days : int
        Days before and after the start in which the baseline may be taken.

    Returns
    -------
    EpisodePairs

    Raises
    ------
    ValueError
        On arrays of unequal length, times that are not dates, or a negative interval.
    """
    e_client = np.asarray(episode_client, dtype=np.int64)
    e_start = _days(episode_start, "episode_start")
    e_end = _days(episode_end, "episode_end")
    s_client_all = np.asarray(score_client, dtype=np.int64)
    s_time_all = np.asarray(score_time)
    s_total_all = np.asarray(score_total, dtype=np.float64)
    n_e = e_client.shape[0]
    if e_start.shape != (n_e,) or e_end.shape != (n_e,):
        raise ValueError("episode_client, episode_start and episode_end must have equal length")
    if not s_client_all.shape == s_time_all.shape == s_total_all.shape or s_client_all.ndim != 1:
        raise ValueError("score_client, score_time and score_total must have equal length")
    if s_time_all.size and s_time_all.dtype.kind != "M":
        raise ValueError(f"score_time must be datetime64, got dtype {s_time_all.dtype}")
    if min_days < 0 or window_days < 0:
        raise ValueError("min_days and window_days must not be negative")
    last_day = np.asarray(until).astype("datetime64[D]")
    usable = np.flatnonzero(
        np.isfinite(s_total_all) & ~np.isnat(s_time_all.astype("datetime64[s]"))
    )
    s_client = s_client_all[usable]
    s_time = s_time_all[usable]
    order = np.lexsort((s_time, s_client))  # by client, then time; stable on ties
    sorted_client = s_client[order]
    day = s_time[order].astype("datetime64[D]").astype(np.int64)
    original = usable[order]

    minus = np.full(n_e, -1, dtype=np.int64)
    if day.size == 0 or n_e == 0:
        zeros = np.zeros(n_e, dtype=np.int64)
        return EpisodePairs(
            minus, minus.copy(), np.full(n_e, np.nan), np.full(n_e, np.nan),
            np.full(n_e, _NAT), np.full(n_e, _NAT), minus.copy(), zeros, zeros.copy(),
            min_days, zeros.copy(), zeros.copy(), zeros.copy(), original, day,
        )  # fmt: skip
    clients, rank = np.unique(sorted_client, return_inverse=True)
    first_day = int(day.min())
    span = int(day.max()) - first_day + 2  # room for one day past the last score
    keys = rank.astype(np.int64) * span + (day - first_day)

    e_rank = np.searchsorted(clients, e_client)
    found = e_rank < clients.size
    found[found] = clients[e_rank[found]] == e_client[found]
    e_rank = np.where(found, e_rank, 0)
    start = e_start.astype(np.int64)
    end = np.where(np.isnat(e_end), last_day, e_end).astype("datetime64[D]").astype(np.int64)

    def key(day_number: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return e_rank * span + np.clip(day_number - first_day, -1, span - 1)

    lo = np.searchsorted(keys, key(start - window_days), side="left")
    hi = np.searchsorted(keys, key(end), side="right")
    lo = np.where(found, lo, 0)
    hi = np.where(found, np.maximum(hi, lo), 0)
    in_window = hi > lo
    first = np.minimum(lo, day.size - 1)
    has_baseline = in_window & (day[first] <= start + window_days)
    eligible_from = np.searchsorted(keys, key(day[first] + min_days), side="left")
    eligible_from = np.maximum(eligible_from, lo + 1)
    paired = has_baseline & (eligible_from < hi)

    baseline = np.where(has_baseline, original[first], -1)
    last = np.maximum(hi - 1, 0)
    followup = np.where(paired, original[last], -1)
    totals = s_total_all
    pre = np.where(has_baseline, totals[np.maximum(baseline, 0)], np.nan)
    post = np.where(paired, totals[np.maximum(followup, 0)], np.nan)
    pre_day = np.where(has_baseline, day[first].astype("datetime64[D]"), _NAT)
    post_day = np.where(paired, day[last].astype("datetime64[D]"), _NAT)
    return EpisodePairs(
        baseline=baseline.astype(np.int64),
        followup=followup.astype(np.int64),
        pre=pre,
        post=post,
        pre_day=pre_day,
        post_day=post_day,
        days=np.where(paired, day[last] - day[first], -1).astype(np.int64),
        n_scores=(hi - lo).astype(np.int64),
        n_too_soon=np.where(has_baseline, np.minimum(eligible_from, hi) - lo - 1, 0).astype(
            np.int64
        ),
        min_days=int(min_days),
        _lo=lo.astype(np.int64),
        _first_eligible=eligible_from.astype(np.int64),
        _hi=hi.astype(np.int64),
        _order=original.astype(np.int64),
        _day=day,
    )
