"""episode_pairs(): one baseline and one follow-up per episode, with the recall-period rule.

The vectorised function is checked against a plain loop that restates the definition of
docs/statistics.md ("One baseline everywhere") line by line, on random clinics.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from touchstone.science.episodes import (
    BASELINE,
    BASELINE_WINDOW_DAYS,
    ELIGIBLE,
    TOO_SOON,
    episode_pairs,
)

D = np.datetime64


def at(text: str) -> np.datetime64:
    return np.datetime64(text, "m")


def pairs_of(scores, *, start="2026-01-05", end=None, min_days=14, until="2026-06-30"):
    """One client's single episode; ``scores`` is [(time, total)]."""
    return episode_pairs(
        [1], [D(start, "D")], [None if end is None else D(end, "D")],
        [1] * len(scores), np.array([at(t) for t, _ in scores], dtype="datetime64[m]"),
        [total for _, total in scores], min_days=min_days, until=D(until, "D"),
    )  # fmt: skip


def test_two_scores_minutes_apart_are_not_a_pair():
    # Issue 10 §3: two PHQ-9s minutes apart were called "Recovered".
    pairs = pairs_of([("2026-01-05T10:00", 18), ("2026-01-05T10:12", 4)])
    assert pairs.pre.tolist() == [18.0] and not pairs.paired[0]
    assert pairs.n_too_soon.tolist() == [1]


@pytest.mark.parametrize(("follow_day", "paired"), [("2026-01-18", False), ("2026-01-19", True)])
def test_a_follow_up_needs_one_recall_period(follow_day, paired):
    pairs = pairs_of([("2026-01-05T16:00", 18), (f"{follow_day}T09:00", 6)])
    assert bool(pairs.paired[0]) is paired
    if paired:
        assert pairs.days.tolist() == [14] and pairs.post.tolist() == [6.0]


def test_the_follow_up_is_the_last_eligible_score_and_the_too_soon_ones_are_counted():
    pairs = pairs_of(
        [("2026-01-05T10:00", 18), ("2026-01-10T10:00", 15), ("2026-01-20T10:00", 12),
         ("2026-02-20T10:00", 7)]
    )  # fmt: skip
    assert (pairs.pre[0], pairs.post[0], pairs.n_scores[0], pairs.n_too_soon[0]) == (18, 7, 4, 1)
    members = pairs.members()
    assert members.status.tolist() == [BASELINE, TOO_SOON, ELIGIBLE, ELIGIBLE]
    assert members.days.tolist() == [0, 5, 15, 46]


@pytest.mark.parametrize(
    ("first_day", "baseline"),
    [("2025-12-06", 18.0), ("2025-12-05", 9.0), ("2026-02-04", 18.0), ("2026-02-05", None)],
)
def test_the_baseline_window_is_30_days_either_side_of_the_start(first_day, baseline):
    # start 2026-01-05: 30 days before is 2025-12-06, 30 days after is 2026-02-04.
    scores = [(f"{first_day}T09:00", 18)]
    if first_day == "2025-12-05":  # outside the window: the next score becomes the baseline
        scores.append(("2026-01-06T09:00", 9))
    pairs = pairs_of(scores)
    assert (None if np.isnan(pairs.pre[0]) else pairs.pre[0]) == baseline


def test_scores_after_the_end_and_uncomputable_totals_are_left_out():
    pairs = pairs_of(
        [("2026-01-05T10:00", np.nan), ("2026-01-06T10:00", 16), ("2026-02-01T10:00", 10),
         ("2026-03-02T10:00", 3)],
        end="2026-03-01",
    )  # fmt: skip
    assert (pairs.pre[0], pairs.post[0], pairs.baseline[0], pairs.followup[0]) == (16, 10, 1, 2)


def test_an_open_episode_runs_until_the_given_day():
    scores = [("2026-01-05T10:00", 16), ("2026-02-01T10:00", 10)]
    assert not pairs_of(scores, until="2026-01-31").paired[0]
    assert pairs_of(scores, until="2026-02-01").paired[0]


def test_episodes_without_scores_or_clients_without_episodes_are_fine():
    pairs = episode_pairs(
        [1, 2], [D("2026-01-01", "D")] * 2, [None, None], [3], np.array([at("2026-01-01T09:00")]),
        [10], min_days=14, until=D("2026-03-01", "D"),
    )  # fmt: skip
    assert pairs.baseline.tolist() == [-1, -1] and len(pairs.members().score) == 0
    empty = episode_pairs(
        [1], [D("2026-01-01", "D")], [None], [], np.array([], dtype="datetime64[m]"), [],
        min_days=14, until=D("2026-03-01", "D"),
    )  # fmt: skip
    assert empty.followup.tolist() == [-1]


def test_it_refuses_unequal_arrays_and_times_that_are_not_dates():
    with pytest.raises(ValueError, match="equal length"):
        episode_pairs([1], [D("2026-01-01", "D")], [None], [1, 1], np.array([at("2026-01-01")]),
                      [1], min_days=14, until="2026-02-01")  # fmt: skip
    with pytest.raises(ValueError, match="datetime64"):
        episode_pairs([1], [D("2026-01-01", "D")], [None], [1], [5.0], [1], min_days=14,
                      until="2026-02-01")  # fmt: skip


# --- against a plain restatement of the definition ----------------------------------------


def reference(episodes, scores, *, min_days, until, window=BASELINE_WINDOW_DAYS):
    """The definition, one episode at a time: (baseline index, follow-up index, too soon)."""
    out = []
    for client, start, end in episodes:
        last = end if end is not None else until
        inside = sorted(
            (time, i)
            for i, (c, time, total) in enumerate(scores)
            if c == client
            and not np.isnan(total)
            and start - dt.timedelta(days=window) <= time.date() <= last
        )
        # Stable on equal times: sorted() on (time, input index) keeps input order.
        if not inside or inside[0][0].date() > start + dt.timedelta(days=window):
            out.append((-1, -1, 0))
            continue
        base_time, base = inside[0]
        later = [(t, i) for t, i in inside[1:]]
        eligible = [i for t, i in later if (t.date() - base_time.date()).days >= min_days]
        too_soon = len(later) - len(eligible)
        out.append((base, eligible[-1] if eligible else -1, too_soon))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_it_equals_the_definition_on_random_clinics(seed):
    rng = np.random.default_rng(seed)
    day0 = dt.date(2025, 1, 1)
    episodes = []
    for client in range(40):
        for _ in range(rng.integers(0, 3)):  # 0-2 episodes, which may overlap
            start = day0 + dt.timedelta(days=int(rng.integers(0, 300)))
            end = (
                None if rng.random() < 0.4 else start + dt.timedelta(days=int(rng.integers(0, 120)))
            )
            episodes.append((client, start, end))
    scores = []
    for _ in range(600):
        client = int(rng.integers(0, 45))  # some clients have no episode
        when = dt.datetime(2024, 12, 1) + dt.timedelta(minutes=int(rng.integers(0, 500 * 1440)))
        if rng.random() < 0.1 and scores:  # same time as another score: ties
            when = scores[int(rng.integers(0, len(scores)))][1]
        total = np.nan if rng.random() < 0.05 else float(rng.integers(0, 28))
        scores.append((client, when, total))
    until = dt.date(2026, 3, 1)
    min_days = int(rng.choice([1, 7, 14, 28]))
    pairs = episode_pairs(
        [e[0] for e in episodes],
        np.array([e[1] for e in episodes], dtype="datetime64[D]"),
        [None if e[2] is None else np.datetime64(e[2], "D") for e in episodes],
        [s[0] for s in scores],
        np.array([s[1] for s in scores], dtype="datetime64[m]"),
        [s[2] for s in scores],
        min_days=min_days,
        until=np.datetime64(until, "D"),
    )
    expected = reference(episodes, scores, min_days=min_days, until=until)
    got = list(
        zip(pairs.baseline.tolist(), pairs.followup.tolist(), pairs.n_too_soon.tolist(),
            strict=True)
    )  # fmt: skip
    assert got == expected
    assert pairs.paired.sum() > 10  # the random clinic exercises pairs at all
    members = pairs.members()
    for position, (base, follow, _) in enumerate(expected):
        mine = members.score[members.episode == position].tolist()
        if base < 0:
            assert mine == []
        else:
            assert mine[0] == base and (follow < 0 or mine[-1] == follow)
