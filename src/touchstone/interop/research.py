"""De-identified research export (HIPAA Safe Harbor) and the research network's import.

Export (``touchstone export research --out DIR``, or the owner's download): the clinic's
clients **with research consent only**, as four tables, each in CSV and Parquet:

* ``clients``: pseudonymous id, site id, age at the first episode ("90+" above 89), 3-digit ZIP,
  and the coded values the measures need (sex assigned at birth, gender identity, pronouns,
  pregnancy/postpartum and menopause status; never the client's own words, never the delivery
  date: weeks postpartum only in bins, :data:`POSTPARTUM_BINS`);
* ``episodes``: shifted start/end dates, ICD-10-CM codes entered by licensed clinicians;
* ``scores``: order number, instrument, shifted date, total, severity;
* ``visits``: pseudonymous therapist, shifted date, minutes, modality, pressure, the five 0-10
  ratings before/after.

The file format (tables, columns, types, schema version) is
:mod:`touchstone.science.research_format`, which the research network reads too.

No name, address, city, phone, e-mail, date of birth, delivery date, record id, free text
(notes, or a gender identity in the client's words, could hold identifiers) or exact date
leaves. Dates move by the client's secret offset
(``science.deid.date_offset_days``, never exported). Plus ``data_dictionary.csv``,
``redcap_data_dictionary.csv`` (REDCap's 18-column instrument format) and ``manifest.json``.

Import (``touchstone import research DIR [DIR ...]``): stacks several clinics' exports into
one DuckDB file (or pandas frames) and computes the pooled outcome rates with the science core
(``science.change_batch`` + ``science.outcomes.rate_table``), pairing scores with
``science.episodes.episode_pairs``, the one baseline of every page and report (per episode and
instrument: the first score within 30 days of the episode's start, against the last one at
least one recall period after it, up to the episode's end). Shifting moves a client's scores
and episodes by the same offset, so the days between them are the clinic's.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import roles_with
from touchstone.care.models import Diagnosis, Episode, Visit, VisitStatus
from touchstone.clients.models import Client
from touchstone.interop.models import ResearchExportKey
from touchstone.logs import export_finished
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration
from touchstone.science import deid
from touchstone.science.change import CRITERIA
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.episodes import episode_pairs
from touchstone.science.outcomes import rate_table
from touchstone.science.research_format import (
    BASELINE_WINDOW_DAYS,
    DICTIONARY,
    FORMAT,
    PARQUET_TYPES,
    POSTPARTUM_BINS,
    RATING_COLUMNS,
    TABLES,
    VERSION,
    postpartum_bin,
    read_parquet,
    write_parquet,
)

__all__ = [
    "BASELINE_WINDOW_DAYS",
    "DICTIONARY",
    "PARQUET_TYPES",
    "POSTPARTUM_BINS",
    "RATING_COLUMNS",
    "TABLES",
    "export_research",
    "load_exports",
    "pooled_outcomes",
    "postpartum_bin",
    "read_parquet",
    "write_parquet",
]


def export_key(clinic: Clinic) -> bytes:
    row, _ = ResearchExportKey.objects.get_or_create(clinic=clinic)
    return row.key.encode()


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[Path, ...]
    counts: dict[str, int]


def _frames(clinic: Clinic, key: bytes) -> dict[str, pd.DataFrame]:
    clients = list(Client.objects.filter(clinic_id=clinic.pk, research_consent=True).order_by("pk"))
    ids = [c.pk for c in clients]
    scope = clinic.slug
    pid = {c.pk: deid.pseudonym(key, scope, c.pk, prefix="P") for c in clients}
    shift = {c.pk: deid.date_offset_days(key, scope, c.pk) for c in clients}
    episodes = list(Episode.objects.filter(clinic_id=clinic.pk, client_id__in=ids).order_by("pk"))
    codes: dict[int, list[str]] = {}
    for episode_id, code in Diagnosis.objects.filter(
        clinic_id=clinic.pk,
        episode__client_id__in=ids,
        entered_by__role__in=roles_with("diagnoses.edit"),
    ).values_list("episode_id", "code"):
        codes.setdefault(episode_id, []).append(code)
    first_start: dict[int, dt.date] = {}
    for e in episodes:
        first_start.setdefault(e.client_id, e.started_on)
    eid = {e.pk: deid.pseudonym(key, scope, f"episode-{e.pk}", prefix="E") for e in episodes}
    today = timezone.localdate()

    def day(client_id: int, value: dt.date | dt.datetime | None) -> str:
        shifted = deid.shift_date(value, shift[client_id])
        return shifted.isoformat() if shifted else ""

    frames = {
        "clients": pd.DataFrame(
            [
                {
                    "pid": pid[c.pk],
                    "site": deid.pseudonym(key, "site", scope, prefix="S"),
                    "age": deid.age_category(
                        deid.age_years(c.date_of_birth, first_start[c.pk])
                        if c.pk in first_start
                        else None
                    ),
                    "zip3": deid.zip3(c.postal_code),
                    "sex_at_birth": c.sex_at_birth,
                    "gender_identity": c.gender_identity,
                    "pronouns": c.pronouns,
                    "pregnancy_status": c.pregnancy_status,
                    "postpartum_weeks": postpartum_bin(c.weeks_postpartum(today)),
                    "menopause_status": c.menopause_status,
                }
                for c in clients
            ],
            columns=[c for c, _, _ in DICTIONARY["clients"]],
        ),
        "episodes": pd.DataFrame(
            [
                {
                    "pid": pid[e.client_id],
                    "episode": eid[e.pk],
                    "start": day(e.client_id, e.started_on),
                    "end": day(e.client_id, e.ended_on),
                    "diagnoses": ";".join(codes.get(e.pk, [])),
                }
                for e in episodes
            ],
            columns=[c for c, _, _ in DICTIONARY["episodes"]],
        ),
    }
    scores = Administration.objects.filter(clinic_id=clinic.pk, client_id__in=ids).completed()
    rows = scores.order_by("client_id", "completed_at", "pk").values_list(
        "client_id", "instrument_id", "completed_at", "total", "severity"
    )
    seq: dict[int, int] = {}
    score_rows = []
    for client_id, instrument_id, when, total, severity in rows:
        seq[client_id] = seq.get(client_id, 0) + 1
        score_rows.append(
            {
                "pid": pid[client_id],
                "seq": seq[client_id],
                "instrument": instrument_id,
                "date": day(client_id, timezone.localtime(when).date()),
                "total": total,
                "severity": severity,
            }
        )
    frames["scores"] = pd.DataFrame(
        score_rows, columns=[c for c, _, _ in DICTIONARY["scores"]]
    ).astype({"seq": "Int64", "total": "Int64"})
    visits = Visit.objects.filter(
        clinic_id=clinic.pk, client_id__in=ids, status=VisitStatus.COMPLETED
    ).order_by("client_id", "starts_at", "pk")
    frames["visits"] = pd.DataFrame(
        [
            {
                "pid": pid[row["client_id"]],
                "episode": eid.get(row["episode_id"], ""),
                "therapist": deid.pseudonym(
                    key, scope, f"therapist-{row['therapist_id']}", prefix="T"
                ),
                "date": day(row["client_id"], timezone.localtime(row["starts_at"]).date()),
                "minutes": row["duration_min"],
                "modality": row["modality"],
                "pressure": row["pressure"],
                **{c: row[c] for c in RATING_COLUMNS},
            }
            for row in visits.values(
                "client_id",
                "episode_id",
                "therapist_id",
                "starts_at",
                "duration_min",
                "modality",
                "pressure",
                *RATING_COLUMNS,
            )
        ],
        columns=[c for c, _, _ in DICTIONARY["visits"]],
    ).astype({c: "Int64" for c in RATING_COLUMNS})
    return frames


def _redcap_rows() -> list[list[str]]:
    """REDCap data dictionary rows (its 18 columns), one form per table."""
    header = [
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note",
        "Text Validation Type OR Show Slider Number", "Text Validation Min",
        "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)",
        "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
    ]  # fmt: skip
    validation = {"date": "date_ymd", "integer": "integer", "text": ""}
    rows = [header]
    seen: set[str] = set()
    for table, columns in DICTIONARY.items():
        for column, kind, label in columns:
            name = column if table == "clients" and column == "pid" else f"{table}_{column}"
            if name in seen:
                continue
            seen.add(name)
            rows.append(
                [name, table, "", "text", label, "", "", validation[kind], "", "", "", "",
                 "y" if column == "pid" else "", "", "", "", "", ""]
            )  # fmt: skip
    rows[1][0] = "record_id"  # REDCap's first field is the record id: our pseudonym
    return rows


def export_research(
    clinic: Clinic, out: Path, *, progress: Callable[[str], None] | None = None
) -> ExportResult:
    """Write the de-identified export of ``clinic`` into the directory ``out``."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    frames = _frames(clinic, export_key(clinic))
    files: list[Path] = []
    for name in TABLES:
        frame = frames[name]
        frame.to_csv(out / f"{name}.csv", index=False)
        write_parquet(frame, name, out / f"{name}.parquet")
        files += [out / f"{name}.csv", out / f"{name}.parquet"]
        if progress:
            progress(name)
    with (out / "data_dictionary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "column", "type", "description"])
        for table, columns in DICTIONARY.items():
            writer.writerows([table, c, k, d] for c, k, d in columns)
    with (out / "redcap_data_dictionary.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(_redcap_rows())
    counts = {name: len(frames[name]) for name in TABLES}
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "deidentification": "HIPAA Safe Harbor, 45 CFR 164.514(b)(2); dates shifted per client",
        "tables": list(TABLES),
        "counts": counts,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    files += [
        out / "data_dictionary.csv",
        out / "redcap_data_dictionary.csv",
        out / "manifest.json",
    ]
    export_finished("research", started, **counts)
    return ExportResult(out, tuple(files), counts)


# --- the research network's side ------------------------------------------------------------


class ResearchImportError(ValueError):
    """A directory is not a Touchstone research export."""


def load_exports(directories: Sequence[Path]) -> dict[str, pd.DataFrame]:
    """Stack the tables of several exports (one per clinic)."""
    stacked: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for directory in directories:
        manifest = directory / "manifest.json"
        if not manifest.is_file():
            raise ResearchImportError(f"{directory}: no manifest.json; not a research export")
        for name in TABLES:
            path = directory / f"{name}.parquet"
            if not path.is_file():
                raise ResearchImportError(f"{directory}: {name}.parquet is missing")
            stacked[name].append(read_parquet(path))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in stacked.items()}


def to_duckdb(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Write the pooled tables into a DuckDB file (replacing tables of the same name)."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame")  # noqa: S608
            con.unregister("frame")


def pooled_pairs(frames: dict[str, pd.DataFrame], instrument_id: str) -> pd.DataFrame:
    """Baseline and follow-up per episode for one instrument: ``science.episodes.episode_pairs``
    over the pooled (shifted) dates; open episodes run to the last score of the pool."""
    columns = ["episode", "pre", "post"]
    episodes = frames["episodes"]
    scores = frames["scores"]
    scores = scores[(scores["instrument"] == instrument_id) & scores["total"].notna()]
    if episodes.empty or scores.empty:
        return pd.DataFrame(columns=columns)
    if "seq" in scores:  # two scores on one day keep the client's order (schema version 3)
        scores = scores.sort_values(["pid", "seq"], kind="stable")
    # Pseudonyms to integers, shared by both tables (episode_pairs matches clients by number).
    codes, _ = pd.factorize(pd.concat([episodes["pid"], scores["pid"]], ignore_index=True))
    score_time = pd.to_datetime(scores["date"]).to_numpy(dtype="datetime64[D]")
    end = pd.to_datetime(episodes["end"].replace("", None)).to_numpy(dtype="datetime64[D]")
    pairs = episode_pairs(
        codes[: len(episodes)],
        pd.to_datetime(episodes["start"]).to_numpy(dtype="datetime64[D]"),
        end,
        codes[len(episodes) :],
        score_time,
        scores["total"].astype(float).to_numpy(),
        min_days=instrument(instrument_id).min_followup_days,
        until=score_time.max(),
    )
    paired = pairs.paired
    return pd.DataFrame(
        {
            "episode": episodes["episode"].to_numpy()[paired],
            "pre": pairs.pre[paired],
            "post": pairs.post[paired],
        },
        columns=columns,
    )


def pooled_outcomes(
    frames: dict[str, pd.DataFrame],
    instrument_ids: Iterable[str] = ("phq9", "gad7"),
    *,
    criteria: str = CRITERIA[0],
) -> dict[str, Any]:
    """Classification rates with Wilson intervals per instrument, over all pooled sites, under
    ``criteria`` (``science.change.CRITERIA``; Jacobson & Truax by default)."""
    out: dict[str, Any] = {
        "sites": int(frames["clients"]["site"].nunique()),
        "criteria": criteria,
        "instruments": {},
    }
    for instrument_id in instrument_ids:
        pairs = pooled_pairs(frames, instrument_id)
        if pairs.empty:
            out["instruments"][instrument_id] = {"n": 0}
            continue
        batch = change_batch(
            instrument(instrument_id),
            pairs["pre"].astype(float).to_numpy(),
            pairs["post"].astype(float).to_numpy(),
            criteria=criteria,
        )
        labels = [label for label in batch.labels() if label is not None]
        counts = {c: labels.count(c) for c in CLASSES}
        table = rate_table(counts) if labels else None
        out["instruments"][instrument_id] = {
            "n": len(labels),
            "counts": counts,
            "rates": table.to_dict() if table else None,
        }
    return out
