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
from touchstone.science.research_format import BASELINE_WINDOW_DAYS, missing_columns

#: Safe Harbor's day counts become dates from this arbitrary day 0 (as the research import
#: does), so exports of both modes pool alike: only days between a client's events matter.
DAY_ZERO = "2000-01-01"

#: table -> {column in the file: name the engine gives it before :func:`view_columns`}
#: (``end`` and ``date`` are keywords; a column a file lacks is not renamed).
RENAMES: dict[str, dict[str, str]] = {
    "clients": {},
    "episodes": {"start": "start_text", "end": "end_text"},
    "scores": {"date": "date_text"},
    "visits": {"date": "date_text"},
    "cortisol": {"date": "date_text"},
    "hrv": {"date": "date_text"},
    "sleep": {"date": "date_text"},
    "study_periods": {},
}

#: The views' columns (name, type) for a table no clinic has (loaded as an empty table).
VIEW_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "cortisol": (("pid", "text"), ("episode", "text"), ("taken_on", "date"),
                 ("analyte", "text"), ("specimen", "text"), ("unit", "text"),
                 ("timing", "text"), ("value", "number")),
    "hrv": (("pid", "text"), ("episode", "text"), ("taken_on", "date"), ("timing", "text"),
            ("rmssd", "number"), ("mean_hr", "number")),
    "sleep": (("pid", "text"), ("taken_on", "date"), ("se_pct", "number"),
              ("tst_min", "number"), ("sol_min", "integer"), ("waso_min", "integer")),
    "study_periods": (("study", "text"), ("episode", "text"), ("period", "integer")),
}  # fmt: skip


def _day(column: str, *, safe_harbor: bool, text: str) -> str:
    """A date column of the view: the limited data set's ISO text (blank: none) or Safe
    Harbor's day count from :data:`DAY_ZERO`."""
    if safe_harbor:
        return f"DATE '{DAY_ZERO}' + CAST({column} AS INT)"
    return f"CAST(NULLIF({text}, '') AS DATE)"


def view_columns(
    table: str, *, safe_harbor: bool, version: int, population: Sequence[str] = ()
) -> list[str]:
    """The select list that turns one kind of clinic file (mode and schema version) into the
    table's view: the same columns and types whatever the kind. Versions before 5 have no
    ``seq`` (the file's row order is the client's completion order, as the export writes it:
    ``file_row`` is the row's index in its file, which both engines provide) and no
    therapist (blank); versions before 6 no tier (blank)."""
    if table == "clients":
        absent = missing_columns("clients", version)
        return ["pid", "site", "age",
                *(f"'' AS {p}" if p in absent else p for p in population)]  # fmt: skip
    if table == "episodes":
        return [
            "pid",
            "episode",
            _day("start_day", safe_harbor=safe_harbor, text="start_text") + " AS start_on",
            _day("end_day", safe_harbor=safe_harbor, text="end_text") + " AS end_on",
        ]
    on = _day("day", safe_harbor=safe_harbor, text="date_text")
    if table == "scores":
        seq = "seq" if version >= 5 else "file_row + 1 AS seq"
        return ["pid", seq, "instrument", f"{on} AS score_on", "total"]
    if table == "visits":
        therapist = "therapist" if version >= 5 else "'' AS therapist"
        return ["pid", "episode", therapist, f"{on} AS visit_on", "modality"]
    if table == "study_periods":
        return ["study", "episode", "period"]
    names = [name for name, _ in VIEW_TYPES[table]]
    return [f"{on} AS taken_on" if name == "taken_on" else name for name in names]


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
    SELECT e.pid, e.episode, e.start_on AS start_day, e.end_on AS end_day FROM episodes e
),
sc AS (
    SELECT episode, instrument, day, total, start_day,
           ROW_NUMBER() OVER (PARTITION BY episode, instrument ORDER BY day, seq) AS rn_first,
           ROW_NUMBER() OVER (
               PARTITION BY episode, instrument ORDER BY day DESC, seq DESC
           ) AS rn_last
    FROM (
        SELECT ep.episode, s.instrument, s.score_on AS day, s.seq, s.total,
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


# --- the body: cortisol, heart-rate variability, sleep (export version 4 on) -----------------

#: Body values enter the sums as whole thousandths (``FLOOR(x * 1000 + 0.5)``, the same
#: double arithmetic on both engines) summed as DECIMAL(38, 0): exact integers again, so the
#: engines agree to the last digit.
SCALE = 1000


def _fixed(expr: str) -> str:
    return f"CAST(FLOOR({expr} * {SCALE} + 0.5) AS DECIMAL(18, 0))"


def _sum(expr: str) -> str:
    """A sum of a few fixed-point values kept at 18 digits, so a difference of two of them
    squared fits DECIMAL(38, 0) in both engines' type rules."""
    return f"CAST(SUM({expr}) AS DECIMAL(18, 0))"


#: (measure, table, value column, extra key columns): the before/after-visit measures.
VISIT_MEASURES = (
    ("cortisol", "cortisol", "value", ("analyte", "specimen", "unit")),
    ("rmssd", "hrv", "rmssd", ()),
    ("mean_hr", "hrv", "mean_hr", ()),
)


def visit_change(keys: Sequence[str]) -> str:
    """Per group of ``keys`` (``site`` or none) and measure: the visits with exactly one
    value before and one after (same client, episode, day and, for samples, analyte, specimen
    and unit), their count and the sums of before, after, the change and its square (whole
    thousandths). A visit with two samples on one side is left out (its pairing is unknown)."""
    group = ", ".join([*keys, "measure", "analyte", "specimen", "unit"])
    parts = []
    for measure, table, value, extra in VISIT_MEASURES:
        kinds = ", ".join(f"b.{c}" if c in extra else f"'' AS {c}" for c in
                          ("analyte", "specimen", "unit"))  # fmt: skip
        by = "".join(f", b.{c}" for c in extra)
        parts.append(f"""
    SELECT c.site, '{measure}' AS measure, {kinds},
           SUM(CASE WHEN b.timing = 'before' THEN 1 ELSE 0 END) AS nb,
           SUM(CASE WHEN b.timing = 'after' THEN 1 ELSE 0 END) AS na,
           {_sum(f"CASE WHEN b.timing = 'before' THEN {_fixed(f'b.{value}')} ELSE 0 END")} AS xb,
           {_sum(f"CASE WHEN b.timing = 'after' THEN {_fixed(f'b.{value}')} ELSE 0 END")} AS xa
    FROM {table} b JOIN clients c ON c.pid = b.pid
    WHERE b.{value} IS NOT NULL AND b.timing IN ('before', 'after') AND b.episode <> ''
      AND b.taken_on IS NOT NULL
    GROUP BY c.site, b.pid, b.episode, b.taken_on{by}""")  # noqa: S608
    union = " UNION ALL ".join(parts)
    return f"""
SELECT {group}, COUNT(*) AS n, SUM(xb) AS sb, SUM(xa) AS sa, SUM(xa - xb) AS sd,
       SUM((xa - xb) * (xa - xb)) AS sdd
FROM ({union}) v
WHERE nb = 1 AND na = 1
GROUP BY {group}
"""  # noqa: S608


#: Sums :func:`visit_change` returns after its keys.
VISIT_SUMS = ("n", "sb", "sa", "sd", "sdd")
#: The sleep-diary metrics compared between a client's first and last week of nights.
SLEEP_METRICS = ("se_pct", "tst_min", "sol_min", "waso_min")
#: Nights in each of the two weeks compared (a client needs twice as many).
SLEEP_WEEK = 7


def sleep_change(keys: Sequence[str]) -> str:
    """Per group of ``keys`` and sleep metric: the clients with at least two weeks of diary
    nights, and the sums (whole thousandths) of each metric over their first and last
    :data:`SLEEP_WEEK` nights, of the difference and its square."""
    group = ", ".join([*keys, "metric"])
    parts = " UNION ALL ".join(
        f"""
    SELECT c.site, '{m}' AS metric,
           {_sum(f"CASE WHEN n.rn_first <= {SLEEP_WEEK} THEN {_fixed(f'n.{m}')} ELSE 0 END")} AS xf,
           {_sum(f"CASE WHEN n.rn_last <= {SLEEP_WEEK} THEN {_fixed(f'n.{m}')} ELSE 0 END")} AS xl
    FROM nights n JOIN clients c ON c.pid = n.pid
    WHERE n.nights >= {2 * SLEEP_WEEK}
    GROUP BY c.site, n.pid"""  # noqa: S608
        for m in SLEEP_METRICS
    )
    metrics = " AND ".join(f"{m} IS NOT NULL" for m in SLEEP_METRICS)
    return f"""
WITH nights AS (
    SELECT pid, {", ".join(SLEEP_METRICS)},
           ROW_NUMBER() OVER (PARTITION BY pid ORDER BY taken_on, se_pct, tst_min, sol_min,
                                                    waso_min) AS rn_first,
           ROW_NUMBER() OVER (PARTITION BY pid ORDER BY taken_on DESC, se_pct DESC,
                                                    tst_min DESC, sol_min DESC,
                                                    waso_min DESC) AS rn_last,
           COUNT(*) OVER (PARTITION BY pid) AS nights
    FROM sleep WHERE taken_on IS NOT NULL AND {metrics}
)
SELECT {group}, COUNT(*) AS n, SUM(xf) AS sb, SUM(xl) AS sa, SUM(xl - xf) AS sd,
       SUM((xl - xf) * (xl - xf)) AS sdd
FROM ({parts}) v
GROUP BY {group}
"""  # noqa: S608


#: Rows of the body tables per clinic (site), for the result's header.
BODY_COUNTS = """
SELECT c.site, 'cortisol' AS tbl, COUNT(*) FROM cortisol b JOIN clients c ON c.pid = b.pid
GROUP BY c.site UNION ALL
SELECT c.site, 'hrv', COUNT(*) FROM hrv b JOIN clients c ON c.pid = b.pid GROUP BY c.site
UNION ALL
SELECT c.site, 'sleep', COUNT(*) FROM sleep b JOIN clients c ON c.pid = b.pid GROUP BY c.site
"""


# --- a stepped-wedge study across clinics (export version 6 on) -------------------------------


def _study_literal(study_id: str) -> str:
    if not study_id.replace("-", "").isalnum():
        raise ValueError(f"not a study id: {study_id!r}")
    return f"'{study_id}'"


def study_counts(study_id: str) -> str:
    """Episodes of the study per clinic (site) and period."""
    return f"""
SELECT c.site, sp.period, COUNT(*) AS n
FROM study_periods sp
JOIN episodes e ON e.episode = sp.episode
JOIN clients c ON c.pid = e.pid
WHERE sp.study = {_study_literal(study_id)}
GROUP BY c.site, sp.period
"""  # noqa: S608


def study_candidates(study_id: str, instrument: str, target_days: int, window_days: int) -> str:
    """Every computable score of ``instrument`` within ``window_days`` of ``target_days``
    after the start of each episode of the study, with the episode's clinic (site), period,
    start and the score's day and ``seq`` (the caller picks the nearest)."""
    low, high = int(target_days) - int(window_days), int(target_days) + int(window_days)
    return f"""
SELECT c.site, sp.episode, sp.period, e.start_on, s.score_on, s.seq, s.total
FROM study_periods sp
JOIN episodes e ON e.episode = sp.episode
JOIN clients c ON c.pid = e.pid
JOIN scores s ON s.pid = e.pid
WHERE sp.study = {_study_literal(study_id)} AND s.instrument = {_literal(instrument)}
  AND s.total IS NOT NULL
  AND s.score_on >= e.start_on + INTERVAL {low} DAY
  AND s.score_on <= e.start_on + INTERVAL {high} DAY
"""  # noqa: S608
