"""The de-identified research export's file format, shared by the exporting clinic
(``interop.research``) and the research network's coordinator (``science.network``).

An export is a directory holding ``manifest.json`` and, per table of :data:`TABLES`, a Parquet
file (plus CSV copies and the data dictionaries, which the network does not read). The
manifest names the format (:data:`FORMAT`) and its schema version (:data:`VERSION`); a
consumer refuses any other version instead of guessing. The columns, their types and meanings
are :data:`DICTIONARY`, the one source of the data dictionary, the REDCap dictionary and the
Parquet schema.

Version history:

* 1: clients, episodes, scores, visits (issue 4).
* 2: ``scores.seq`` (the order of the client's completed administrations, so two scores on
  one day are ordered without a time of day) and ``visits.therapist`` (a pseudonymous
  therapist id), for the research network's analyses (issue 16 §4).
* 3: both version-2 lines merged into one format. The clinics' measures work (issue 10 §6,
  issue 12 §3) had also called its export "version 2": the ``clients`` table's coded
  ``sex_at_birth``, ``gender_identity``, ``pronouns``, ``pregnancy_status``,
  ``postpartum_weeks`` (binned, :data:`POSTPARTUM_BINS`) and ``menopause_status``. Version 3
  is the first that has ``scores.seq``, ``visits.therapist`` and those columns together, so no
  reader mistakes either earlier "2" for it.

The codes of the coded columns are listed here (the science core has no Django); the
clinic's model choices (``clients.models``) must equal them, which
``interop/tests/test_research.py`` checks.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

#: The baseline window of ``science.episodes.episode_pairs`` (the one baseline everywhere),
#: re-exported for the readers of the format.
from touchstone.science.episodes import BASELINE_WINDOW_DAYS

__all__ = ["BASELINE_WINDOW_DAYS"]

FORMAT = "touchstone-research-export"
VERSION = 3
TABLES = ("clients", "episodes", "scores", "visits")
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
}

#: Parquet column types from the data dictionary's types. Dates stay ISO 8601 text, as in the
#: CSV files (blank: none), so both files of a table hold the same values.
PARQUET_TYPES = {"text": "VARCHAR", "date": "VARCHAR", "integer": "BIGINT"}


def columns(table: str) -> list[str]:
    """The column names of one table, in file order."""
    return [column for column, _, _ in DICTIONARY[table]]


def write_parquet(
    frame: pd.DataFrame, table: str, path: Path, *, con: duckdb.DuckDBPyConnection | None = None
) -> None:
    """Write one export table as Parquet through DuckDB, with the dictionary's column types.

    DuckDB writes Parquet itself (``COPY ... (FORMAT parquet)``), so the export needs no
    pyarrow; the explicit casts give every export the same schema, even an empty table. A
    caller writing many files passes one connection (opening one takes milliseconds).
    """
    if con is None:
        with duckdb.connect() as own:
            write_parquet(frame, table, path, con=own)
        return
    select = ", ".join(
        f'CAST("{column}" AS {PARQUET_TYPES[kind]}) AS "{column}"'
        for column, kind, _ in DICTIONARY[table]
    )
    con.register("frame", frame)
    try:
        con.sql(f"SELECT {select} FROM frame").write_parquet(str(path))  # noqa: S608
    finally:
        con.unregister("frame")


def read_parquet(path: Path) -> pd.DataFrame:
    """One Parquet table as a pandas frame, read by DuckDB (integers as nullable Int64)."""
    with duckdb.connect() as con:
        return con.read_parquet(str(path)).df()
