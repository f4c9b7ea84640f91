"""The network's analysis as portable SQL: one text, run unchanged by DuckDB and Spark SQL.

Written to the common subset of the two dialects (no quoted identifiers, no date
differences, no casts that ANSI mode rejects): dates are compared with ``+/- INTERVAL n DAY``
instead of subtracted, blanks become NULL through ``NULLIF`` before a cast, and every
"first"/"last" is a ``ROW_NUMBER()`` over a total order (day, then the export's ``seq``), so
no engine's row order can change a result. The pairing follows ``science.episodes`` exactly
(:func:`pairs`). The engines load each table under the same view name with the renamed
columns of :data:`RENAMES` (``end`` and ``date`` are keywords).

The engines return integers only (counts and sums of integer scores per group); the
statistics are computed from them in :mod:`.analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from touchstone.science.instruments import load_instrument
from touchstone.science.research_format import BASELINE_WINDOW_DAYS

#: table -> {column in the file: name in the view}.
RENAMES: dict[str, dict[str, str]] = {
    "clients": {},
    "episodes": {"start": "start_on", "end": "end_on"},
    "scores": {"date": "score_on"},
    "visits": {"date": "visit_on"},
}

#: Columns of the change table the analysis builds with the science core (one row per
#: instrument and possible (pre, post) pair; flags 0/1).
CHANGE_COLUMNS = (
    ("instrument", "text"),
    ("pre", "integer"),
    ("post", "integer"),
    ("classified", "integer"),
    ("recovered", "integer"),
    ("improved", "integer"),
    ("unchanged", "integer"),
    ("deteriorated", "integer"),
    ("response", "integer"),
    ("response_known", "integer"),
    ("remission", "integer"),
    ("remission_known", "integer"),
)
FLAGS = tuple(name for name, _ in CHANGE_COLUMNS[3:])


def _literal(value: str) -> str:
    if not value.replace("_", "").isalnum():
        raise ValueError(f"not an instrument id: {value!r}")
    return f"'{value}'"


def range_check(instruments: Sequence[str]) -> str:
    """Lowest and highest total per clinic (site) and instrument, to refuse impossible ones."""
    listed = ", ".join(_literal(i) for i in instruments)
    return f"""
SELECT c.site, s.instrument, MIN(s.total) AS low, MAX(s.total) AS high
FROM scores s JOIN clients c ON c.pid = s.pid
WHERE s.total IS NOT NULL AND s.instrument IN ({listed})
GROUP BY c.site, s.instrument
"""  # noqa: S608


def _eligible_day(instruments: Sequence[str], min_days: Mapping[str, int]) -> str:
    """The first day a follow-up may be taken, from the baseline's day and the instrument's
    recall period (a ``CASE``: the interval must be a literal in both dialects)."""
    whens = " ".join(
        f"WHEN {_literal(i)} THEN b.pre_day + INTERVAL {int(min_days[i])} DAY" for i in instruments
    )
    return f"CASE b.instrument {whens} END"


def pairs(
    instruments: Sequence[str],
    population: Sequence[str],
    min_days: Mapping[str, int] | None = None,
) -> str:
    """One row per episode and instrument with a baseline and a follow-up score.

    The pairing is ``science.episodes.episode_pairs`` (the one baseline of every page, report
    and the research import), in SQL: the episode's **window** runs from
    ``BASELINE_WINDOW_DAYS`` days before its start to its end (an open episode has no end: the
    research import runs it to the pool's last score, which no score passes); the
    **baseline** is the window's first score (by day, then the export's ``seq``) if it was
    taken no later than ``BASELINE_WINDOW_DAYS`` days after the start; the **follow-up** is the
    window's last score if it is not the baseline and was taken at least ``min_days`` (one
    recall period, ``Instrument.min_followup_days``; read from each instrument's definition
    unless given) after the baseline. Each row carries the episode's clinic (site), its number
    of completed visits (dose), its main therapist and modality (the one of most visits; ties
    to the first in sort order), the client's age and the population columns, and the change
    flags of its (pre, post) pair.
    """
    listed = ", ".join(_literal(i) for i in instruments)
    if min_days is None:
        min_days = {i: load_instrument(i).min_followup_days for i in instruments}
    days = int(BASELINE_WINDOW_DAYS)
    eligible = _eligible_day(instruments, min_days)
    extra = "".join(f", COALESCE(CAST(c.{p} AS STRING), '') AS {p}" for p in population)
    flags = "".join(f", ct.{f}" for f in FLAGS)
    return f"""
WITH ep AS (
    SELECT e.pid, e.episode, CAST(e.start_on AS DATE) AS start_day,
           CAST(NULLIF(e.end_on, '') AS DATE) AS end_day
    FROM episodes e
),
sc AS (
    SELECT episode, instrument, day, total, start_day,
           ROW_NUMBER() OVER (PARTITION BY episode, instrument ORDER BY day, seq) AS rn_first,
           ROW_NUMBER() OVER (
               PARTITION BY episode, instrument ORDER BY day DESC, seq DESC
           ) AS rn_last
    FROM (
        SELECT ep.episode, s.instrument, CAST(s.score_on AS DATE) AS day, s.seq, s.total,
               ep.start_day, ep.end_day
        FROM ep JOIN scores s ON s.pid = ep.pid
        WHERE s.total IS NOT NULL AND s.instrument IN ({listed})
    ) w
    WHERE day >= start_day - INTERVAL {days} DAY AND (end_day IS NULL OR day <= end_day)
),
base AS (
    SELECT episode, instrument, day AS pre_day, total AS pre FROM sc
    WHERE rn_first = 1 AND day <= start_day + INTERVAL {days} DAY
),
follow AS (
    SELECT sc.episode, sc.instrument, sc.total AS post
    FROM sc JOIN base b ON b.episode = sc.episode AND b.instrument = sc.instrument
    WHERE sc.rn_last = 1 AND sc.rn_first > 1 AND sc.day >= {eligible}
),
linked AS (SELECT episode, therapist, modality FROM visits WHERE episode <> ''),
dose AS (SELECT episode, COUNT(*) AS visits FROM linked GROUP BY episode),
by_therapist AS (
    SELECT episode, therapist FROM (
        SELECT episode, therapist,
               ROW_NUMBER() OVER (PARTITION BY episode ORDER BY k DESC, therapist) AS rn
        FROM (SELECT episode, therapist, COUNT(*) AS k FROM linked GROUP BY episode, therapist) t
    ) m WHERE rn = 1
),
by_modality AS (
    SELECT episode, modality FROM (
        SELECT episode, modality,
               ROW_NUMBER() OVER (PARTITION BY episode ORDER BY k DESC, modality) AS rn
        FROM (SELECT episode, modality, COUNT(*) AS k FROM linked GROUP BY episode, modality) t
    ) m WHERE rn = 1
)
SELECT c.site, ep.episode, base.instrument, base.pre, follow.post,
       COALESCE(dose.visits, 0) AS visits,
       COALESCE(bt.therapist, '') AS therapist,
       COALESCE(bm.modality, '') AS modality,
       COALESCE(c.age, '') AS age{extra}{flags}
FROM base
JOIN follow ON follow.episode = base.episode AND follow.instrument = base.instrument
JOIN ep ON ep.episode = base.episode
JOIN clients c ON c.pid = ep.pid
JOIN change_table ct
  ON ct.instrument = base.instrument AND ct.pre = base.pre AND ct.post = follow.post
LEFT JOIN dose ON dose.episode = base.episode
LEFT JOIN by_therapist bt ON bt.episode = base.episode
LEFT JOIN by_modality bm ON bm.episode = base.episode
"""  # noqa: S608


def summary(keys: Sequence[str]) -> str:
    """Sufficient statistics of the pairs per group of ``keys`` and instrument: the count,
    the sums of pre, post, their squares and products (exact integers), and the number of
    pairs with each change flag."""
    group = ", ".join([*keys, "instrument"])
    flags = "".join(f", SUM({f}) AS {f}" for f in FLAGS)
    return f"""
SELECT {group}, COUNT(*) AS n, SUM(pre) AS sx, SUM(post) AS sy, SUM(pre * pre) AS sxx,
       SUM(post * post) AS syy, SUM(pre * post) AS sxy{flags}
FROM pairs GROUP BY {group}
"""  # noqa: S608


#: Sums :func:`summary` returns after the keys and the instrument, in order.
SUMS = ("n", "sx", "sy", "sxx", "syy", "sxy", *FLAGS)

#: Table sizes, for the result's header.
COUNTS = """
SELECT 'clients', COUNT(*) FROM clients UNION ALL
SELECT 'episodes', COUNT(*) FROM episodes UNION ALL
SELECT 'scores', COUNT(*) FROM scores UNION ALL
SELECT 'visits', COUNT(*) FROM visits
"""
