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
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

FORMAT = "touchstone-research-export"
VERSION = 2
TABLES = ("clients", "episodes", "scores", "visits")
RATING_COLUMNS = [
    f"{name}_{when}"
    for name in ("tension", "anxiety", "mood", "pain", "relaxation")
    for when in ("before", "after")
]
#: The outcomes analytics' baseline window (outcomes.analytics.BASELINE_WINDOW_DAYS): the
#: baseline of an episode is its first score within this many days of the episode's start.
BASELINE_WINDOW_DAYS = 30

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
