"""De-identified research export (HIPAA Safe Harbor) and the research network's import.

Export (``touchstone export research --out DIR``, or the owner's download): the clinic's
clients **with research consent only**, as seven tables, each in CSV and Parquet:

* ``clients``: pseudonymous id, site id, age at the first episode ("90+" above 89), 3-digit ZIP,
  and the coded values the measures need (sex assigned at birth, gender identity, pronouns,
  pregnancy/postpartum and menopause status; never the client's own words, never the delivery
  date: weeks postpartum only in bins, :data:`POSTPARTUM_BINS`), and the current fee tier
  coded by the share of the full fee it pays (``research_format.TIER_BINS``; never the
  clinic's tier name or the income; a code held by fewer than 11 of the export's clients
  suppressed, ``research_format.tier_codes``);
* ``episodes``: start/end (see the modes), ICD-10-CM codes entered by licensed clinicians;
* ``scores``: order number (``seq``), instrument, date or day, total, severity, and whether the
  instrument is a validated one (``no``: the clinic's own questionnaire);
* ``visits``: pseudonymous therapist, date or day, minutes, modality, pressure, the five 0-10
  ratings before/after;
* ``cortisol``: biomarker samples (analyte, specimen, value in its canonical unit, minutes since
  waking, before/after which visit);
* ``hrv``: the metrics of each heart-rate-variability recording (never the beats themselves,
  never the device's name, which is free text);
* ``sleep``: the sleep-diary nights' answers and derived metrics (durations only: clock times
  of a night are left out with the other free-standing times);
* ``study_periods``: with ``--study PROTOCOL.json`` (a network's registered stepped-wedge
  study, limited data set mode only), the study period each episode started in
  (``science.network.stepped_wedge``); empty otherwise.

The body tables link to a visit's episode pseudonym where the sample or recording was taken
before or after a visit. The file format (tables, columns, types, modes, schema version) is
:mod:`touchstone.science.research_format`, which the research network reads too.

No name, address, city, phone, e-mail, date of birth, delivery date, record id or free text
(notes, or a gender identity in the client's words, could hold identifiers) leaves. Two modes
(``research_modes.SAFE_HARBOR``, the default, and ``research_modes.LIMITED``):

* **Safe Harbor** (HIPAA 45 CFR 164.514(b)(2)): no date element but the year. An episode has
  its start year; every other time is a whole number of days since the client's first episode
  started (``start_day``, ``end_day``, ``day``; clients without an episode count from their
  first score or visit).
* **Limited data set** (164.514(e), only under a data use agreement): dates shifted by the
  client's secret offset (``science.deid.date_offset_days``, never exported).

Diagnosis codes are exported only for a caller who may read them (``diagnoses.view``): an owner
downloads the export without them. Plus ``data_dictionary.csv``, ``redcap_data_dictionary.csv``
(REDCap's 18-column instrument format) and ``manifest.json``, written last, with the mode, the
row count of every table and the SHA-256 of every file; the import checks them. The export is
written into a temporary directory beside ``out`` and renamed into place, so a crash leaves the
earlier export whole.

Import (``touchstone import research DIR [DIR ...]``): stacks several clinics' exports into
one DuckDB file (or pandas frames) and computes the pooled outcome rates with the science core
(``science.change_batch`` + ``science.outcomes.rate_table``), pairing scores with
``science.episodes.episode_pairs``, the one baseline of every page and report (per episode and
instrument: the first score within 30 days of the episode's start, against the last one at
least one recall period after it, up to the episode's end). Shifting moves a client's scores
and episodes by the same offset, so the days between them are the clinic's.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from django.utils import timezone

from touchstone.accounts.models import Clinic
from touchstone.accounts.roles import roles_with
from touchstone.billing.models import TierAssessment
from touchstone.care.models import Diagnosis, Episode, Visit, VisitStatus
from touchstone.clients.models import Client
from touchstone.interop.models import ResearchExportKey
from touchstone.lib import csv_cells
from touchstone.logs import export_finished
from touchstone.measures.instruments import instrument, is_custom
from touchstone.measures.models import Administration
from touchstone.physiology.models import Recording, Sample, SleepNight
from touchstone.science import deid
from touchstone.science.change import CRITERIA
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.episodes import episode_pairs
from touchstone.science.outcomes import rate_table
from touchstone.science.research_format import (
    BASELINE_WINDOW_DAYS,
    CORE_TABLES,
    DICTIONARY,
    FORMAT,
    MANIFEST,
    MODES,
    PARQUET_TYPES,
    POSTPARTUM_BINS,
    RATING_COLUMNS,
    READABLE_VERSIONS,
    SAFE_HARBOR,
    TABLES,
    VERSION,
    dictionary,
    postpartum_bin,
    read_parquet,
    sha256,
    tier_code,
    tier_codes,
    write_parquet,
)

if TYPE_CHECKING:
    from touchstone.science.network.stepped_wedge import Study

__all__ = [
    "BASELINE_WINDOW_DAYS",
    "DICTIONARY",
    "PARQUET_TYPES",
    "POSTPARTUM_BINS",
    "RATING_COLUMNS",
    "TABLES",
    "dictionary",
    "export_research",
    "load_exports",
    "pooled_outcomes",
    "postpartum_bin",
    "read_parquet",
    "write_parquet",
]

#: Every column either mode may export, per table (the frames hold them all; each export
#: selects its mode's).
ALL_COLUMNS: dict[str, dict[str, None]] = {
    table: dict.fromkeys(c for mode in MODES for c, _, _ in dictionary(mode, diagnoses=True)[table])
    for table in TABLES
}


def export_key(clinic: Clinic) -> bytes:
    row, _ = ResearchExportKey.objects.get_or_create(clinic=clinic)
    return row.key.encode()


class ResearchExportError(ValueError):
    """The export cannot be written where asked."""


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[Path, ...]
    counts: dict[str, int]


def _tiers(clinic: Clinic, ids: list[int]) -> dict[int, str]:
    """Each client's current tier (the newest assessment's, as the access report reads it),
    coded (``research_format.tier_code``); clients never assessed are absent. One query."""
    out: dict[int, str] = {}
    for client_id, fee_percent in (
        TierAssessment.objects.filter(clinic_id=clinic.pk, client_id__in=ids)
        .order_by("client_id", "-assessed_on", "-id")
        .values_list("client_id", "tier__fee_percent")
    ):
        out.setdefault(client_id, tier_code(fee_percent))
    return out


def _frames(clinic: Clinic, key: bytes, study: Study | None = None) -> dict[str, pd.DataFrame]:
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
    #: Safe Harbor's day 0 per client: the first episode's start, else the first recorded date.
    anchor = dict(first_start)
    eid = {e.pk: deid.pseudonym(key, scope, f"episode-{e.pk}", prefix="E") for e in episodes}
    today = timezone.localdate()
    tiers = _tiers(clinic, ids)

    def day(client_id: int, value: dt.date | dt.datetime | None) -> str:
        shifted = deid.shift_date(value, shift[client_id])
        return shifted.isoformat() if shifted else ""

    def days_since(client_id: int, value: dt.date | None) -> int | None:
        return None if value is None else (value - anchor[client_id]).days

    def therapist(staff_id: int | None) -> str:
        """A therapist's pseudonym, per clinic like the clients' ("": none recorded)."""
        if staff_id is None:
            return ""
        return deid.pseudonym(key, scope, f"therapist-{staff_id}", prefix="T")

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
                    "tier": tier,
                }
                for c, tier in zip(
                    clients, tier_codes([tiers.get(c.pk, "") for c in clients]), strict=True
                )
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
                    "start_year": e.started_on.year,
                    "start_day": days_since(e.client_id, e.started_on),
                    "end_day": days_since(e.client_id, e.ended_on),
                    "diagnoses": ";".join(codes.get(e.pk, [])),
                }
                for e in episodes
            ],
            columns=[*ALL_COLUMNS["episodes"]],
        ),
        "study_periods": pd.DataFrame(
            [
                {"study": study.id, "episode": eid[e.pk], "period": period}
                for e in episodes
                if study is not None and (period := study.period_of(e.started_on)) is not None
            ],
            columns=[*ALL_COLUMNS["study_periods"]],
        ).astype({"period": "Int64"}),
    }
    scores = Administration.objects.filter(clinic_id=clinic.pk, client_id__in=ids).completed()
    score_rows = [
        (client_id, instrument_id, timezone.localtime(when).date(), total, severity)
        for client_id, instrument_id, when, total, severity in scores.order_by(
            "client_id", "completed_at", "pk"
        ).values_list("client_id", "instrument_id", "completed_at", "total", "severity")
    ]
    visits = Visit.objects.filter(
        clinic_id=clinic.pk, client_id__in=ids, status=VisitStatus.COMPLETED
    ).order_by("client_id", "starts_at", "pk")
    visit_rows = list(
        visits.values(
            "client_id",
            "episode_id",
            "therapist_id",
            "starts_at",
            "duration_min",
            "modality",
            "pressure",
            *RATING_COLUMNS,
        )
    )
    for row in visit_rows:
        row["on"] = timezone.localtime(row["starts_at"]).date()
    body = _body_rows(clinic, ids)
    for client_id, on in [(r[0], r[2]) for r in score_rows] + [
        (r["client_id"], r["on"]) for rows in (visit_rows, *body.values()) for r in rows
    ]:
        if client_id not in first_start:
            anchor[client_id] = min(on, anchor.get(client_id, on))
    seq: dict[int, int] = {}  # the client's administrations in completion order, 1, 2, ...
    score_records = []
    for client_id, instrument_id, on, total, severity in score_rows:
        seq[client_id] = seq.get(client_id, 0) + 1
        score_records.append(
            {
                "pid": pid[client_id],
                "seq": seq[client_id],
                "instrument": instrument_id,
                "date": day(client_id, on),
                "day": days_since(client_id, on),
                "total": total,
                "severity": severity,
                "validated": "no" if is_custom(instrument_id) else "yes",
            }
        )
    frames["scores"] = pd.DataFrame(
        score_records,
        columns=[*ALL_COLUMNS["scores"]],
    ).astype({"seq": "Int64", "total": "Int64", "day": "Int64"})
    frames["visits"] = pd.DataFrame(
        [
            {
                "pid": pid[row["client_id"]],
                "episode": eid.get(row["episode_id"], ""),
                "therapist": therapist(row["therapist_id"]),
                "date": day(row["client_id"], row["on"]),
                "day": days_since(row["client_id"], row["on"]),
                "minutes": row["duration_min"],
                "modality": row["modality"],
                "pressure": row["pressure"],
                **{c: row[c] for c in RATING_COLUMNS},
            }
            for row in visit_rows
        ],
        columns=[*ALL_COLUMNS["visits"]],
    ).astype({"day": "Int64", **{c: "Int64" for c in RATING_COLUMNS}})
    frames["episodes"] = frames["episodes"].astype(
        {"start_year": "Int64", "start_day": "Int64", "end_day": "Int64"}
    )
    for table, rows in body.items():
        integers = {c: "Int64" for c, kind, _ in DICTIONARY[table] if kind == "integer"}
        frames[table] = pd.DataFrame(
            [
                {
                    **{k: v for k, v in row.items() if k not in ("client_id", "episode_id", "on")},
                    "pid": pid[row["client_id"]],
                    "episode": eid.get(row["episode_id"], ""),
                    "date": day(row["client_id"], row["on"]),
                    "day": days_since(row["client_id"], row["on"]),
                }
                for row in rows
            ],
            columns=[*ALL_COLUMNS[table]],
        ).astype({**integers, "day": "Int64"})
    return frames


#: table -> (model, its time field, exported value fields). The body's values as stored (the
#: derived metrics were computed by the science core when the row was saved).
_BODY: dict[str, tuple[type[Sample] | type[Recording] | type[SleepNight], str, tuple[str, ...]]] = {
    "cortisol": (Sample, "collected_at", ("analyte", "specimen", "canonical_value",
                 "canonical_unit", "minutes_since_waking", "timing")),
    "hrv": (Recording, "recorded_at", ("timing", "duration_s", "n_beats", "n_corrected",
            "artifact_method", "mean_hr", "sdnn", "rmssd", "pnn50", "lf", "hf", "lf_hf")),
    "sleep": (SleepNight, "night_of", ("sol_min", "awakenings", "waso_min", "quality",
              "tib_min", "tst_min", "se_pct", "twt_min", "entered")),
}  # fmt: skip
_RENAMED = {"canonical_value": "value", "canonical_unit": "unit"}


def _body_rows(clinic: Clinic, ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """The consenting clients' cortisol samples, HRV recordings and sleep nights, one query a
    table, each row with its client, its visit's episode (if any) and its local date ``on``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table, (model, when, fields) in _BODY.items():
        linked = ("visit__episode_id",) if table != "sleep" else ()
        rows = model.objects.filter(clinic_id=clinic.pk, client_id__in=ids).order_by(
            "client_id", when, "pk"
        )
        out[table] = []
        for row in rows.values("client_id", when, *linked, *fields):
            moment = row.pop(when)
            row["on"] = (
                timezone.localtime(moment).date() if isinstance(moment, dt.datetime) else moment
            )
            row["episode_id"] = row.pop("visit__episode_id", None)
            out[table].append({_RENAMED.get(k, k): v for k, v in row.items()})
    return out


def _redcap_rows(spec: dict[str, list[tuple[str, str, str]]]) -> list[list[str]]:
    """REDCap data dictionary rows (its 18 columns), one form per table."""
    header = [
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note",
        "Text Validation Type OR Show Slider Number", "Text Validation Min",
        "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)",
        "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
    ]  # fmt: skip
    validation = {"date": "date_ymd", "integer": "integer", "number": "number", "text": ""}
    rows = [header]
    seen: set[str] = set()
    for table, columns in spec.items():
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
    clinic: Clinic,
    out: Path,
    *,
    mode: str = SAFE_HARBOR,
    diagnoses: bool = False,
    progress: Callable[[str], None] | None = None,
    study: Study | None = None,
) -> ExportResult:
    """Write the de-identified export of ``clinic`` into the directory ``out`` (replacing an
    earlier export there as a whole), in ``mode``, with diagnosis codes only if
    ``diagnoses`` (the caller may read them), and with the periods of the network's
    stepped-wedge ``study`` (limited data set mode only: a period is a date element)."""
    if mode not in MODES:
        raise ValueError(f"unknown research export mode {mode!r}")
    if study is not None and mode == SAFE_HARBOR:
        raise ResearchExportError(
            f"study {study.id}: its periods are a date element finer than the year, which Safe "
            "Harbor does not allow; export a study in the limited_data_set mode (under the "
            "network's data use agreement)"
        )
    if out.exists() and (
        not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())
    ):
        raise ResearchExportError(f"{out} holds other files; export into a new or empty directory")
    started = time.perf_counter()
    spec = dictionary(mode, diagnoses)
    frames = {
        name: frame[[c for c, _, _ in spec[name]]]
        for name, frame in _frames(clinic, export_key(clinic), study).items()
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        names: list[str] = []
        for name in TABLES:
            frame = frames[name]
            csv_cells.safe_frame(frame).to_csv(work / f"{name}.csv", index=False)
            write_parquet(frame, name, work / f"{name}.parquet", spec)
            names += [f"{name}.csv", f"{name}.parquet"]
            if progress:
                progress(name)
        with (work / "data_dictionary.csv").open("w", newline="") as handle:
            writer = csv_cells.writer(handle)
            writer.writerow(["table", "column", "type", "description"])
            for table, columns in spec.items():
                writer.writerows([table, c, k, d] for c, k, d in columns)
        with (work / "redcap_data_dictionary.csv").open("w", newline="") as handle:
            csv_cells.writer(handle).writerows(_redcap_rows(spec))
        names += ["data_dictionary.csv", "redcap_data_dictionary.csv"]
        counts = {name: len(frames[name]) for name in TABLES}
        manifest = {
            "format": FORMAT,
            "version": VERSION,  # science.research_format's version history
            "mode": mode,
            "deidentification": MODES[mode],
            "diagnoses": diagnoses,
            "tables": list(TABLES),
            "counts": counts,
            "sha256": {name: sha256(work / name) for name in names},
            "studies": {study.id: study.sha256} if study else {},
        }
        # Last: a directory with a manifest is a complete export.
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
        _swap_into_place(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work)
    export_finished("research", started, **counts)
    return ExportResult(out, tuple(out / n for n in [*names, MANIFEST]), counts)


def _swap_into_place(work: Path, out: Path) -> None:
    """Rename the finished ``work`` directory to ``out``; an earlier export there is moved
    aside first and deleted after (each step a rename: a crash leaves one whole export)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{secrets.token_hex(4)}")
        out.rename(old)
    work.rename(out)
    if old is not None:
        shutil.rmtree(old)


# --- the research network's side ------------------------------------------------------------


class ResearchImportError(ValueError):
    """A directory is not a complete Touchstone research export."""


#: Safe Harbor's days become dates from this arbitrary day 0, so both modes pool alike.
DAY_ZERO = pd.Timestamp("2000-01-01")


def _as_dates(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A Safe Harbor table with its day numbers as dates from :data:`DAY_ZERO` (the columns
    the pooling reads: ``start``/``end``/``date``)."""
    frame = frame.copy()

    def dates(column: str) -> pd.Series:
        days = pd.to_numeric(frame[column], errors="coerce")
        shown = DAY_ZERO + pd.to_timedelta(days, unit="D")
        return shown.dt.strftime("%Y-%m-%d").fillna("")

    if table == "episodes":
        frame["start"], frame["end"] = dates("start_day"), dates("end_day")
        frame = frame.drop(columns=["start_year", "start_day", "end_day"])
    elif "day" in frame.columns:
        frame["date"] = dates("day")
        frame = frame.drop(columns=["day"])
    return frame


def _checked_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a complete export: every file's checksum and every table's row count
    as the manifest says (an export cut short, or a file changed since, is refused)."""
    path = directory / MANIFEST
    if not path.is_file():
        raise ResearchImportError(f"{directory}: no {MANIFEST}; not a research export")
    try:
        manifest = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ResearchImportError(f"{directory}: {MANIFEST} is not JSON") from None
    sums = manifest.get("sha256")
    if not isinstance(sums, dict) or manifest.get("mode") not in MODES:
        raise ResearchImportError(
            f"{directory}: {MANIFEST} has no checksums or mode (an export from before version 3; "
            "export it again)"
        )
    if manifest.get("format") != FORMAT or manifest.get("version") not in READABLE_VERSIONS:
        raise ResearchImportError(
            f"{directory}: {MANIFEST} is version {manifest.get('version')!r} of "
            f"{manifest.get('format')!r}; this release reads versions "
            f"{', '.join(map(str, READABLE_VERSIONS))} of {FORMAT!r}"
        )
    for name in _tables_of(manifest):
        for suffix in (".csv", ".parquet"):
            if f"{name}{suffix}" not in sums:
                raise ResearchImportError(f"{directory}: {name}{suffix} is not in the manifest")
    for name, expected in sums.items():
        file = directory / Path(name).name
        if not file.is_file():
            raise ResearchImportError(f"{directory}: {file.name} is missing")
        if sha256(file) != expected:
            raise ResearchImportError(
                f"{directory}: {file.name} does not match the manifest's checksum (incomplete "
                "or changed since the export)"
            )
    return manifest


def _tables_of(manifest: dict[str, Any]) -> tuple[str, ...]:
    """The tables an export has: the core ones always, the body tables from version 4."""
    listed = manifest.get("tables")
    listed = listed if isinstance(listed, list) else []
    return tuple(name for name in TABLES if name in CORE_TABLES or name in listed)


def load_exports(directories: Sequence[Path]) -> dict[str, pd.DataFrame]:
    """Stack the tables of several exports (one per clinic), of either mode; an export from
    before the body tables adds no rows to them."""
    stacked: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for directory in directories:
        manifest = _checked_manifest(directory)
        for name in _tables_of(manifest):
            frame = read_parquet(directory / f"{name}.parquet")
            if len(frame) != manifest["counts"].get(name):
                raise ResearchImportError(
                    f"{directory}: {name} has {len(frame)} rows, the manifest says "
                    f"{manifest['counts'].get(name)}"
                )
            if manifest["mode"] == SAFE_HARBOR:
                frame = _as_dates(frame, name)
            stacked[name].append(frame)
    return {
        name: pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=_columns(name))
        for name, frames in stacked.items()
    }


def _columns(table: str) -> list[str]:
    """A table's columns as the import presents them (dates, whatever the mode)."""
    return [c for c, _, _ in DICTIONARY[table]]


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
    if "seq" in scores:  # two scores on one day keep the client's order (version 5; older
        # exports list a client's scores in completion order, which the stable sort keeps)
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
