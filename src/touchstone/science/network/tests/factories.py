"""Hand-built clinic exports for the network's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from touchstone.science.research_format import (
    DICTIONARY,
    FORMAT,
    RATING_COLUMNS,
    TABLES,
    VERSION,
    columns,
    write_parquet,
)


def visit(pid: str, episode: str, therapist: str, date: str, modality: str = "swedish") -> dict:
    return {"pid": pid, "episode": episode, "therapist": therapist, "date": date,
            "minutes": 60, "modality": modality, "pressure": "moderate",
            **dict.fromkeys(RATING_COLUMNS, 5)}  # fmt: skip


def score(pid: str, seq: int, date: str, total: int | None, instrument: str = "phq9") -> dict:
    return {"pid": pid, "seq": seq, "instrument": instrument, "date": date, "total": total,
            "severity": ""}  # fmt: skip


def write_clinic(
    root: Path, name: str, tables: dict[str, list[dict[str, Any]]], *, version: Any = VERSION,
    extra_clients: dict[str, list[Any]] | None = None,
) -> Path:  # fmt: skip
    """One clinic export in ``root/name`` from rows per table (missing tables: empty)."""
    folder = root / name
    folder.mkdir(parents=True)
    counts = {}
    typed = {}
    for table in TABLES:
        frame = pd.DataFrame(tables.get(table, []), columns=columns(table))
        for column, kind, _ in DICTIONARY[table]:
            if kind == "integer":
                frame[column] = frame[column].astype("Int64")
            else:
                frame[column] = frame[column].astype(object)
        write_parquet(frame, table, folder / f"{table}.parquet")
        counts[table] = len(frame)
        typed[table] = frame
    if extra_clients:
        frame = typed["clients"].astype({c: "string" for c, k, _ in DICTIONARY["clients"]
                                         if k != "integer"})  # fmt: skip
        for column, values in extra_clients.items():
            frame[column] = values
        with duckdb.connect() as con:
            con.register("frame", frame)
            con.sql("SELECT * FROM frame").write_parquet(str(folder / "clients.parquet"))
    manifest = {"format": FORMAT, "version": version, "tables": list(TABLES), "counts": counts}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder
