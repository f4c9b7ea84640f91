"""Hand-built clinic exports for the network's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from touchstone.science.research_format import (
    CORE_TABLES,
    FORMAT,
    LIMITED,
    RATING_COLUMNS,
    TABLE_SINCE,
    TABLES,
    VERSION,
    dictionary,
    missing_columns,
    sha256,
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
    mode: str = LIMITED, studies: dict[str, str] | None = None,
) -> Path:  # fmt: skip
    """One clinic export in ``root/name`` from rows per table (missing tables: empty), in
    ``mode`` (rows carry the limited data set's dates and Safe Harbor's days as given) and
    the columns and tables of schema ``version`` (3: no body tables; 3 and 4: no ``seq``, no
    ``therapist``; before 6: no ``tier``, no ``study_periods``), with its manifest's counts,
    checksums and ``studies`` (study id -> protocol SHA-256)."""
    folder = root / name
    folder.mkdir(parents=True)
    counts = {}
    readable = version if isinstance(version, int) else VERSION
    present = tuple(t for t in TABLES if t in CORE_TABLES or readable >= TABLE_SINCE[t])
    spec = {
        table: [c for c in columns if c[0] not in missing_columns(table, readable)]
        for table, columns in dictionary(mode, diagnoses=True).items()
    }
    for table in present:
        frame = pd.DataFrame(tables.get(table, []), columns=[c for c, _, _ in spec[table]])
        for column, kind, _ in spec[table]:
            if kind == "integer":
                frame[column] = frame[column].astype("Int64")
            elif kind == "number":
                frame[column] = frame[column].astype("Float64")
            else:
                frame[column] = frame[column].astype(object)
        write_parquet(frame, table, folder / f"{table}.parquet", spec)
        counts[table] = len(frame)
    manifest = {
        "format": FORMAT, "version": version, "mode": mode, "tables": list(present),
        "counts": counts,
        "sha256": {f"{t}.parquet": sha256(folder / f"{t}.parquet") for t in present},
        "studies": studies or {},
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def refresh_manifest(folder: Path) -> None:
    """Checksums again after a test changed a file on purpose (to reach a later check)."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["sha256"] = {
        n: sha256(folder / n) for n in manifest["sha256"] if (folder / n).exists()
    }
    path.write_text(json.dumps(manifest))
