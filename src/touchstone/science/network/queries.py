"""The network's analysis as portable SQL: one text, run unchanged by DuckDB and Spark SQL.

Written to the common subset of the two dialects (no quoted identifiers, no date
differences, no casts that ANSI mode rejects): dates are compared with ``+/- INTERVAL n DAY``
instead of subtracted, blanks become NULL through ``NULLIF`` before a cast, and every
"first"/"last" is a ``ROW_NUMBER()`` over a total order (day, then the export's ``seq``), so
no engine's row order can change a result. The engines load each table under the same view
name with the renamed columns of :data:`RENAMES` (``end`` and ``date`` are keywords).

The engines return integers only (counts and sums of integer scores per group); the
statistics are computed from them in :mod:`.analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def pairs(instruments: Sequence[str], population: Sequence[str]) -> str:
    """One row per episode and instrument with a baseline and a follow-up score.

    The unit of analysis of the outcomes dashboard and the research import
    (docs/outcomes-statistics.md): baseline = the first score within
    ``BASELINE_WINDOW_DAYS`` days of the episode's start (either side), follow-up = the last
    score after the baseline's day, up to the episode's end. Each row carries the episode's
    clinic (site), its number of completed visits (dose), its main therapist and modality
    (the one of most visits; ties to the first in sort order), the client's age and the
    population columns present, and the change flags of its (pre, post) pair.
    """
    listed = ", ".join(_literal(i) for i in instruments)
    days = int(BASELINE_WINDOW_DAYS)
    extra = "".join(f", COALESCE(CAST(c.{p} AS STRING), '') AS {p}" for p in population)
    flags = "".join(f", ct.{f}" for f in FLAGS)
    return f"""
WITH ep AS (
    SELECT e.pid, e.episode, CAST(e.start_on AS DATE) AS start_day,
           CAST(NULLIF(e.end_on, '') AS DATE) AS end_day
    FROM episodes e
),
sc AS (
    SELECT ep.episode, s.instrument, CAST(s.score_on AS DATE) AS day, s.seq, s.total,
           ep.start_day, ep.end_day
    FROM ep JOIN scores s ON s.pid = ep.pid
    WHERE s.total IS NOT NULL AND s.instrument IN ({listed})
),
base AS (
    SELECT episode, instrument, day AS pre_day, total AS pre FROM (
        SELECT episode, instrument, day, total,
               ROW_NUMBER() OVER (PARTITION BY episode, instrument ORDER BY day, seq) AS rn
        FROM sc
        WHERE day >= start_day - INTERVAL {days} DAY AND day <= start_day + INTERVAL {days} DAY
    ) b WHERE rn = 1
),
follow AS (
    SELECT episode, instrument, post FROM (
        SELECT sc.episode, sc.instrument, sc.total AS post,
               ROW_NUMBER() OVER (
                   PARTITION BY sc.episode, sc.instrument ORDER BY sc.day DESC, sc.seq DESC
               ) AS rn
        FROM sc JOIN base ON base.episode = sc.episode AND base.instrument = sc.instrument
        WHERE sc.day > base.pre_day AND (sc.end_day IS NULL OR sc.day <= sc.end_day)
    ) f WHERE rn = 1
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
