"""The de-identified research export's file format, shared by the exporting clinic
(``interop.research``) and the research network's coordinator (``science.network``).

An export is a directory holding ``manifest.json`` and, per table of :data:`TABLES`, a Parquet
file and its CSV copy, plus the data dictionaries. The manifest names the format
(:data:`FORMAT`), its schema version (:data:`VERSION`), the de-identification mode
(:data:`MODES`), the row count of every table and the SHA-256 of every file; a consumer
refuses a version it does not know instead of guessing. The columns, their types and meanings
are :data:`DICTIONARY` (with :func:`dictionary` for a mode), the one source of the data
dictionary, the REDCap dictionary and the Parquet schema.

Version history (the manifest's ``version``):

* 1: clients, episodes, scores, visits (issue 4).
* 2: the ``clients`` table's coded ``sex_at_birth``, ``gender_identity``, ``pronouns``,
  ``pregnancy_status``, ``postpartum_weeks`` (binned, :data:`POSTPARTUM_BINS`) and
  ``menopause_status`` (issue 10 §6, issue 12 §3).
* 3: two modes (:data:`SAFE_HARBOR`: years and day counts; :data:`LIMITED`: shifted dates),
  the manifest's ``mode`` and checksums (issue 11 §3).
* 4: the body tables ``cortisol``, ``hrv`` and ``sleep`` (issue 16 §3).
* 5: ``scores.seq`` (the order of the client's completed administrations, so two scores on
  one day are ordered without a time of day) and ``visits.therapist`` (a pseudonymous
  therapist id), for the research network's analyses (issue 16 §4). An unreleased branch of
  the network had also numbered these columns "2" and "3"; such exports have no mode or
  checksums and every reader refuses them.
* 6: ``clients.tier`` (the client's current sliding-scale tier, coded by the share of the full
  fee it pays, :data:`TIER_CODES`; small groups suppressed, :func:`tier_codes`) and the
  ``study_periods`` table (issue 16 §2 and §3): for a clinic taking part in a network's
  stepped-wedge study, the study period each episode started in (limited data set mode only:
  a period is a date element finer than the year; docs/network.md "Stepped-wedge studies").

Readers accept :data:`READABLE_VERSIONS`: an export of version 3, 4 or 5 pools without the
columns and tables it does not have (``science.network.inputs``, ``interop.research``).

The codes of the coded columns are listed here (the science core has no Django); the
clinic's model choices (``clients.models``) must equal them, which
``interop/tests/test_research.py`` checks. Importing this module loads neither pandas nor
DuckDB (the ``export`` command's start-up stays light).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

#: The baseline window of ``science.episodes.episode_pairs`` (the one baseline everywhere),
#: re-exported for the readers of the format.
from touchstone.science.episodes import BASELINE_WINDOW_DAYS

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

__all__ = ["BASELINE_WINDOW_DAYS"]

FORMAT = "touchstone-research-export"
MANIFEST = "manifest.json"
VERSION = 6
#: Versions a reader of this release accepts (older ones lack the mode and checksums).
READABLE_VERSIONS = (3, 4, 5, 6)
TABLES = ("clients", "episodes", "scores", "visits", "cortisol", "hrv", "sleep", "study_periods")
#: The tables of every readable version; the body tables came with version 4, the study
#: periods with version 6.
CORE_TABLES = TABLES[:4]
BODY_TABLES = TABLES[4:7]
#: The version that added each table after the core ones.
TABLE_SINCE = {**dict.fromkeys(BODY_TABLES, 4), "study_periods": 6}
#: Columns a version added to a table of an earlier one: version -> table -> columns.
ADDED_IN: dict[int, dict[str, tuple[str, ...]]] = {
    5: {"scores": ("seq", "validated"), "visits": ("therapist",)},
    6: {"clients": ("tier",)},
}


def missing_columns(table: str, version: int) -> tuple[str, ...]:
    """The columns of ``table`` that an export of schema ``version`` does not have."""
    return tuple(
        column
        for since, tables in ADDED_IN.items()
        if version < since
        for column in tables.get(table, ())
    )


#: The de-identification modes (the manifest's ``mode``) and what each means.
SAFE_HARBOR = "safe_harbor"
LIMITED = "limited_data_set"
MODES = {
    SAFE_HARBOR: "HIPAA Safe Harbor, 45 CFR 164.514(b)(2): years only, days since the first "
    "episode's start",
    LIMITED: "HIPAA limited data set, 45 CFR 164.514(e): dates shifted per client (data use "
    "agreement required)",
}

RATING_COLUMNS = [
    f"{name}_{when}"
    for name in ("tension", "anxiety", "mood", "pain", "relaxation")
    for when in ("before", "after")
]

#: The codes of the coded ``clients`` columns (blank: not recorded): the values of
#: ``clients.models.SexAtBirth``, ``GenderIdentity``, ``Pronouns``, ``PregnancyStatus`` and
#: ``MenopauseStatus``.
SEX_AT_BIRTH = ("female", "male", "other", "unknown")
GENDER_IDENTITY = ("female", "male", "non-binary", "other", "asked-declined", "unknown")
PRONOUNS = ("he", "she", "they", "other")
PREGNANCY_STATUS = ("not_pregnant", "pregnant", "postpartum", "unknown")
MENOPAUSE_STATUS = ("pre", "peri", "post", "unknown")

#: Weeks since delivery on the export day, in bins (the delivery date is a Safe Harbor date
#: element and never leaves): (label, first week, last week or None).
POSTPARTUM_BINS = (("0-6", 0, 6), ("7-12", 7, 12), ("13-26", 13, 26), ("27-52", 27, 52),
                   ("53+", 53, None))  # fmt: skip


def postpartum_bin(weeks: int | None) -> str:
    """The bin of :data:`POSTPARTUM_BINS` for whole weeks since delivery; "" for none.

    >>> postpartum_bin(9), postpartum_bin(None)
    ('7-12', '')
    """
    if weeks is None:
        return ""
    return next(
        label
        for label, low, high in POSTPARTUM_BINS
        if weeks >= low and (high is None or weeks <= high)
    )


#: The coded fee tier (version 6): the share of the full fee the client's current tier pays,
#: comparable across clinics (a clinic's own tier names are free text and never leave):
#: (code, lowest percent, highest percent). Blank: never assessed; "suppressed": a code
#: held by fewer than :data:`TIER_MIN_CELL` of the export's clients (see :func:`tier_codes`).
TIER_BINS = (("0", 0.0, 0.0), ("1-49", 0.01, 49.99), ("50-99", 50.0, 99.99),
             ("100", 100.0, 100.0))  # fmt: skip
TIER_SUPPRESSED = "suppressed"
TIER_CODES = (*(code for code, _, _ in TIER_BINS), TIER_SUPPRESSED)
#: The small-cell threshold (``science.outcomes.MIN_CELL_COUNT``, the CMS cell size policy;
#: repeated here so the format loads nothing, and checked equal by the tests).
TIER_MIN_CELL = 11


def tier_code(fee_percent: float | Decimal | None) -> str:
    """The code of :data:`TIER_BINS` for a tier paying ``fee_percent`` of the full fee.

    >>> tier_code(0), tier_code(33), tier_code(66.5), tier_code(100), tier_code(None)
    ('0', '1-49', '50-99', '100', '')
    """
    if fee_percent is None:
        return ""
    value = round(float(fee_percent), 2)
    return next(code for code, _, high in TIER_BINS if value <= high)


def tier_codes(codes: list[str], minimum: int = TIER_MIN_CELL) -> list[str]:
    """The export's tier column with small groups suppressed: every code held by 1 to
    ``minimum - 1`` clients becomes :data:`TIER_SUPPRESSED`, and when that leaves a single
    code suppressed, the next-smallest code is suppressed with it (else the suppressed
    clients' tier could be read off as the one code missing). A tier is no direct
    identifier, but with age, ZIP3 and life stage a rare income band could single a client
    out. Blank (never assessed) is not a tier and is never suppressed.

    >>> tier_codes(["0"] * 12 + ["100"] * 3 + [""])[-5:]
    ['suppressed', 'suppressed', 'suppressed', 'suppressed', '']
    >>> sorted(set(tier_codes(["0"] * 12 + ["1-49"] * 20 + ["100"] * 3)))
    ['1-49', 'suppressed']
    >>> sorted(set(tier_codes(["0"] * 12 + ["1-49"] * 20 + ["100"] * 3 + ["50-99"] * 4)))
    ['0', '1-49', 'suppressed']
    """
    sizes = {code: codes.count(code) for code in set(codes) if code}
    small = {code for code, size in sizes.items() if size < minimum}
    if len(small) == 1:
        rest = sorted((size, code) for code, size in sizes.items() if code not in small)
        if rest:
            small.add(rest[0][1])
    return [TIER_SUPPRESSED if code in small else code for code in codes]


def _codes(values: tuple[str, ...]) -> str:
    return ", ".join(values)


#: table -> [(column, type, description)]: the data dictionary, and the REDCap one.
DICTIONARY: dict[str, list[tuple[str, str, str]]] = {
    "clients": [
        (
            "pid",
            "text",
            "Pseudonymous client id (HMAC-SHA256 under the clinic's secret key)",
        ),
        ("site", "text", "Pseudonymous site (clinic) id"),
        (
            "age",
            "text",
            "Age in years at the start of the first episode; 90+ above 89 (Safe Harbor)",
        ),
        (
            "zip3",
            "text",
            "3-digit ZIP; 000 for areas of 20,000 people or fewer; blank: not US",
        ),
        (
            "sex_at_birth",
            "text",
            f"Sex assigned at birth, FHIR administrative gender ({_codes(SEX_AT_BIRTH)}; "
            "blank: not recorded)",
        ),
        (
            "gender_identity",
            "text",
            f"Gender identity, HL7 value set codes ({_codes(GENDER_IDENTITY)}; blank: not "
            "recorded; the client's own words are not exported)",
        ),
        (
            "pronouns",
            "text",
            f"Pronouns ({_codes(PRONOUNS)}; blank: not recorded; own words not exported)",
        ),
        (
            "pregnancy_status",
            "text",
            f"Pregnancy status on the export day ({_codes(PREGNANCY_STATUS)}; blank: not recorded)",
        ),
        (
            "postpartum_weeks",
            "text",
            "Weeks since delivery on the export day when postpartum, binned ("
            + ", ".join(label for label, _, _ in POSTPARTUM_BINS)
            + "); the delivery date is not exported",
        ),
        (
            "menopause_status",
            "text",
            f"Menopause status ({_codes(MENOPAUSE_STATUS)}; blank: not recorded)",
        ),
        (
            "tier",
            "text",
            "Sliding-scale fee tier at export, as the percent of the full fee it pays ("
            + ", ".join(code for code, _, _ in TIER_BINS)
            + f"; {TIER_SUPPRESSED}: fewer than {TIER_MIN_CELL} clients of the export share it; "
            "blank: never assessed; the clinic's tier names and the income are not exported)",
        ),
    ],
    "episodes": [
        ("pid", "text", "Pseudonymous client id"),
        ("episode", "text", "Pseudonymous episode id"),
        ("start", "date", "Episode start, shifted by the client's secret offset"),
        ("end", "date", "Episode end, shifted (blank: ongoing at export)"),
        ("diagnoses", "text", "ICD-10-CM codes entered by licensed clinicians, separated by ;"),
    ],
    "scores": [
        ("pid", "text", "Pseudonymous client id"),
        ("seq", "integer", "Order of the client's completed administrations (1, 2, ...)"),
        ("instrument", "text", "Instrument id (e.g. phq9, gad7)"),
        ("date", "date", "Completion date, shifted"),
        ("total", "integer", "Total score (blank when not computable)"),
        ("severity", "text", "Severity band"),
        ("validated", "text", "yes: a validated instrument; no: the clinic's own questionnaire"),
    ],
    "visits": [
        ("pid", "text", "Pseudonymous client id"),
        ("episode", "text", "Pseudonymous episode id"),
        ("therapist", "text", "Pseudonymous therapist id (HMAC-SHA256, per clinic)"),
        ("date", "date", "Session date, shifted"),
        ("minutes", "integer", "Session length in minutes"),
        ("modality", "text", "Massage modality"),
        ("pressure", "text", "Pressure"),
        *[(c, "integer", f"Session rating 0-10: {c.replace('_', ' ')}") for c in RATING_COLUMNS],
    ],
    "cortisol": [
        ("pid", "text", "Pseudonymous client id"),
        ("episode", "text", "Pseudonymous episode id of the visit (blank: not tied to a visit)"),
        ("date", "date", "Collection date, shifted"),
        ("analyte", "text", "Biomarker (e.g. cortisol)"),
        ("specimen", "text", "Specimen (saliva, serum, ...)"),
        ("value", "number", "Concentration in the canonical unit"),
        ("unit", "text", "Canonical unit of value (e.g. nmol/L)"),
        ("minutes_since_waking", "integer", "Minutes since waking (blank: unknown)"),
        ("timing", "text", "before/after the visit (blank: not tied to a visit)"),
    ],
    "hrv": [
        ("pid", "text", "Pseudonymous client id"),
        ("episode", "text", "Pseudonymous episode id of the visit (blank: not tied to a visit)"),
        ("date", "date", "Recording date, shifted"),
        ("timing", "text", "before/after the visit (blank: not tied to a visit)"),
        ("duration_s", "number", "Length of the recording in seconds"),
        ("n_beats", "integer", "Beats (RR intervals) recorded"),
        ("n_corrected", "integer", "Intervals corrected as artifacts"),
        ("artifact_method", "text", "Artifact correction method"),
        ("mean_hr", "number", "Mean heart rate, beats per minute"),
        ("sdnn", "number", "SDNN, ms"),
        ("rmssd", "number", "RMSSD, ms"),
        ("pnn50", "number", "pNN50, percent"),
        ("lf", "number", "LF power, ms^2 (blank: recording too short)"),
        ("hf", "number", "HF power, ms^2 (blank: recording too short)"),
        ("lf_hf", "number", "LF/HF ratio (blank: recording too short)"),
    ],
    "sleep": [
        ("pid", "text", "Pseudonymous client id"),
        ("date", "date", "Night of (the date the client went to bed), shifted"),
        ("sol_min", "integer", "Minutes to fall asleep (Consensus Sleep Diary item 3)"),
        ("awakenings", "integer", "Awakenings, not counting the final one (item 4)"),
        ("waso_min", "integer", "Minutes awake after sleep onset (item 5)"),
        ("quality", "integer", "Sleep quality 1-5 (item 8; blank: not answered)"),
        ("tib_min", "number", "Time in bed, minutes"),
        ("tst_min", "number", "Total sleep time, minutes"),
        ("se_pct", "number", "Sleep efficiency, percent"),
        ("twt_min", "number", "Total wake time, minutes"),
        ("entered", "text", "Who entered the night (staff, portal, api)"),
    ],
    "study_periods": [
        ("study", "text", "Id of the network's registered stepped-wedge study"),
        ("episode", "text", "Pseudonymous episode id"),
        (
            "period",
            "integer",
            "Study period (1, 2, ...) the episode started in, by the "
            "registered protocol's calendar (limited data set mode only)",
        ),
    ],
}


#: Safe Harbor's columns in place of the limited data set's dates.
_SAFE_HARBOR_DATES: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "episodes": {
        "start": [
            ("start_year", "integer", "Year the episode started"),
            ("start_day", "integer", "Days from the client's first episode start to this one's"),
        ],
        "end": [("end_day", "integer", "Days from the client's first episode start to this "
                 "episode's end (blank: ongoing at export)")],
    },
    "scores": {"date": [("day", "integer", "Completion: days since the client's first episode "
                         "start (negative before it)")]},
    "visits": {"date": [("day", "integer", "Session: days since the client's first episode "
                         "start")]},
    "cortisol": {"date": [("day", "integer", "Collection: days since the client's first "
                           "episode start")]},
    "hrv": {"date": [("day", "integer", "Recording: days since the client's first episode "
                      "start")]},
    "sleep": {"date": [("day", "integer", "Night of: days since the client's first episode "
                        "start")]},
}  # fmt: skip


def dictionary(mode: str, diagnoses: bool) -> dict[str, list[tuple[str, str, str]]]:
    """The tables' columns in ``mode``, with or without the diagnosis codes."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for table, columns in DICTIONARY.items():
        replaced = _SAFE_HARBOR_DATES.get(table, {}) if mode == SAFE_HARBOR else {}
        out[table] = [
            spec
            for column in columns
            if diagnoses or column[0] != "diagnoses"
            for spec in replaced.get(column[0], [column])
        ]
    return out


#: Parquet column types from the data dictionary's types. Dates stay ISO 8601 text, as in the
#: CSV files (blank: none), so both files of a table hold the same values.
PARQUET_TYPES = {"text": "VARCHAR", "date": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE"}


def columns(table: str, mode: str = LIMITED) -> list[str]:
    """The column names of one table in ``mode`` (with the diagnosis codes), in file order."""
    return [column for column, _, _ in dictionary(mode, diagnoses=True)[table]]


def sha256(path: Path) -> str:
    """The SHA-256 of a file, as the manifest lists it."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_parquet(
    frame: pd.DataFrame,
    table: str,
    path: Path,
    spec: dict[str, list[tuple[str, str, str]]] | None = None,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> None:
    """Write one export table as Parquet through DuckDB, with the column types of ``spec``
    (:func:`dictionary` of the export's mode; the limited data set's with diagnoses if
    omitted).

    DuckDB writes Parquet itself (``COPY ... (FORMAT parquet)``), so the export needs no
    pyarrow; the explicit casts give every export the same schema, even an empty table. A
    caller writing many files passes one connection (opening one takes milliseconds).
    """
    import duckdb

    if con is None:
        with duckdb.connect() as own:
            write_parquet(frame, table, path, spec, con=own)
        return
    spec = spec or dictionary(LIMITED, diagnoses=True)
    select = ", ".join(
        f'CAST("{column}" AS {PARQUET_TYPES[kind]}) AS "{column}"'
        for column, kind, _ in spec[table]
    )
    con.register("frame", frame)
    try:
        con.sql(f"SELECT {select} FROM frame").write_parquet(str(path))  # noqa: S608
    finally:
        con.unregister("frame")


def read_parquet(path: Path) -> pd.DataFrame:
    """One Parquet table as a pandas frame, read by DuckDB (integers as nullable Int64)."""
    import duckdb

    with duckdb.connect() as con:
        return con.read_parquet(str(path)).df()
