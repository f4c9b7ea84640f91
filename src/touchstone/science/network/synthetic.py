"""A deterministic synthetic research network, in the research export's own format.

``generate(out, clinics=N, clients_per_clinic=M, seed=S)`` writes ``N`` clinic exports
(``clinic-0001/`` ...), each the Parquet tables and ``manifest.json`` of a real export (the
files the network reads; not the CSV copies or the data dictionaries). Every number is drawn
with numpy's PCG64 generator from ``seed`` in whole-network arrays, so the same arguments
give byte-identical tables on any machine, and 1,000,000 clients take seconds, not hours.

The model behind the numbers is deliberately simple and only there to give the analyses
something with structure to find: each client has one episode; PHQ-9 and GAD-7 are given
together every two weeks (10 occasions: 20 scores a client); a client's weekly improvement
is the clinic's mean slope plus a therapist effect, scaled by the number of completed visits
(0 to 16), plus noise; about 2 % of totals are not computable (blank); the clients' coded
sex, gender and life-stage columns are drawn independently of the outcomes
(:func:`_population`). Nothing in it is
calibrated to real data: it is test and benchmark input, never evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from touchstone.science.instruments import load_instrument
from touchstone.science.research_format import (
    FORMAT,
    POSTPARTUM_BINS,
    RATING_COLUMNS,
    SEX_AT_BIRTH,
    TABLES,
    VERSION,
    columns,
    write_parquet,
)

OCCASIONS = 10
SCORES_PER_CLIENT = 2 * OCCASIONS
MAX_VISITS = 16
MODALITIES = ("swedish", "deep_tissue", "myofascial", "trigger_point", "craniosacral",
              "reflexology", "lymphatic", "prenatal")  # fmt: skip
PRESSURES = ("light", "moderate", "firm")
FIRST_DAY = np.datetime64("2024-01-01")


@dataclass(frozen=True)
class Generated:
    directory: Path
    clinics: int
    counts: dict[str, int]


def _ids(rng: np.random.Generator, prefix: str, n: int) -> np.ndarray:
    """``n`` distinct pseudonyms like the export's (prefix + 16 hex digits)."""
    values = rng.integers(0, 2**63, size=n, dtype=np.int64)
    while np.unique(values).size < n:  # astronomically rare; redraw deterministically
        values = rng.integers(0, 2**63, size=n, dtype=np.int64)
    return np.array([f"{prefix}{v:016x}" for v in values.tolist()], dtype=object)


def _severity(instrument_ids: np.ndarray, totals: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """The severity band label of every total, from each instrument's definition."""
    out = np.full(totals.size, "", dtype=object)
    for instrument_id in ("phq9", "gad7"):
        spec = load_instrument(instrument_id)
        labels = np.array([getattr(spec.band_for(t), "label", "") for t in
                           range(spec.total_max + 1)], dtype=object)  # fmt: skip
        rows = (instrument_ids == instrument_id) & ~missing
        out[rows] = labels[totals[rows]]
    return out


def _population(rng: np.random.Generator, age: np.ndarray) -> dict[str, np.ndarray]:
    """The coded client columns of the export (``research_format``; blank: not recorded).

    Sex at birth about 70 % female, 28 % male, 1 % other, 1 % unknown, 3 % not recorded; a
    gender identity mostly matching it, 3 % non-binary, 1 % in the client's words ("other"),
    1 % declined; pronouns from the identity. Women aged 16-49: 4 % pregnant, 6 % postpartum
    (weeks since delivery 0-60, binned as the export bins them), else not pregnant; women's
    menopause status by age (pre below 45, peri or post 45-55, post above). Illustrative
    proportions, not calibrated.
    """
    n = age.size
    sex = np.array(SEX_AT_BIRTH, dtype=object)[
        np.searchsorted(np.cumsum([0.70, 0.28, 0.01, 0.01]), rng.random(n), side="right").clip(0, 3)
    ]
    sex[rng.random(n) < 0.03] = ""
    gender = np.where(np.isin(sex, ("female", "male")), sex, "unknown").astype(object)
    draw = rng.random(n)
    gender[draw < 0.05] = "asked-declined"
    gender[draw < 0.04] = "other"
    gender[draw < 0.03] = "non-binary"
    pronouns = np.select(
        [gender == "female", gender == "male", gender == "non-binary", gender == "other"],
        ["she", "he", "they", "other"],
        "",
    ).astype(object)
    female = sex == "female"
    fertile = female & (age >= 16) & (age <= 49)
    life = rng.random(n)
    pregnancy = np.where(fertile, "not_pregnant", "").astype(object)
    pregnancy[fertile & (life < 0.10)] = "postpartum"
    pregnancy[fertile & (life < 0.04)] = "pregnant"
    weeks = rng.integers(0, 61, size=n)
    labels = np.array([label for label, _, _ in POSTPARTUM_BINS], dtype=object)
    lows = np.array([low for _, low, _ in POSTPARTUM_BINS])
    postpartum = np.where(
        pregnancy == "postpartum", labels[np.searchsorted(lows, weeks, side="right") - 1], ""
    ).astype(object)
    menopause = np.where(
        ~female, "", np.where(age < 45, "pre", np.where(age > 55, "post", "peri"))
    ).astype(object)
    late = female & (age >= 45) & (age <= 55) & (rng.random(n) < 0.4)
    menopause[late] = "post"
    return {
        "sex_at_birth": sex,
        "gender_identity": gender,
        "pronouns": pronouns,
        "pregnancy_status": pregnancy,
        "postpartum_weeks": postpartum,
        "menopause_status": menopause,
    }


def _dates(days: np.ndarray) -> np.ndarray:
    return (FIRST_DAY + days.astype("timedelta64[D]")).astype(str).astype(object)


def generate(out: Path, *, clinics: int, clients_per_clinic: int, seed: int) -> Generated:
    """Write a synthetic network of ``clinics`` exports into ``out`` (see the module notes)."""
    if clinics < 1 or clients_per_clinic < 1:
        raise ValueError("need at least one clinic and one client per clinic")
    rng = np.random.default_rng(seed)
    n = clinics * clients_per_clinic
    clinic = np.repeat(np.arange(clinics), clients_per_clinic)
    sites = _ids(rng, "S", clinics)
    pids = _ids(rng, "P", n)
    episodes = _ids(rng, "E", n)
    # Therapists: 2-6 per clinic; each client has a main one.
    per_clinic = rng.integers(2, 7, size=clinics)
    first = np.concatenate([[0], np.cumsum(per_clinic)[:-1]])
    therapists = _ids(rng, "T", int(per_clinic.sum()))
    main = first[clinic] + (rng.random(n) * per_clinic[clinic]).astype(np.int64)
    clinic_slope = rng.normal(-0.35, 0.1, size=clinics)
    therapist_effect = rng.normal(0.0, 0.08, size=therapists.size)
    # Clients and episodes.
    age = rng.integers(16, 96, size=n)
    start = rng.integers(0, 540, size=n)
    length = rng.integers(84, 183, size=n)
    ongoing = rng.random(n) < 0.2
    visits = rng.integers(0, MAX_VISITS + 1, size=n)
    weekly = (clinic_slope[clinic] + therapist_effect[main]) * (0.4 + visits / MAX_VISITS)
    weekly += rng.normal(0.0, 0.15, size=n)
    # Scores: PHQ-9 then GAD-7 at each occasion, every two weeks from around the start.
    occasion = np.tile(np.arange(OCCASIONS), n)
    owner = np.repeat(np.arange(n), OCCASIONS)
    day = start[owner] + 14 * occasion + rng.integers(-3, 4, size=owner.size)
    weeks = (day - start[owner]) / 7.0
    phq_base = rng.normal(15.0, 5.0, size=n)
    phq = phq_base[owner] + weekly[owner] * weeks + rng.normal(0.0, 2.0, size=owner.size)
    gad = (phq_base[owner] * 0.75 + weekly[owner] * 0.75 * weeks
           + rng.normal(0.0, 1.8, size=owner.size))  # fmt: skip
    totals = np.empty(2 * owner.size, dtype=np.int64)
    totals[0::2] = np.clip(np.rint(phq), 0, 27)
    totals[1::2] = np.clip(np.rint(gad), 0, 21)
    missing = rng.random(totals.size) < 0.02
    score_owner = np.repeat(owner, 2)
    score_day = np.repeat(day, 2)
    instrument = np.tile(np.array(["phq9", "gad7"], dtype=object), owner.size)
    seq = np.tile(np.arange(1, SCORES_PER_CLIENT + 1), n)
    severity = _severity(instrument, totals, missing)
    # Visits: weekly from the start; mostly with the main therapist and a preferred modality.
    visit_owner = np.repeat(np.arange(n), visits)
    visit_index = np.arange(visit_owner.size) - np.repeat(np.cumsum(visits) - visits, visits)
    visit_day = start[visit_owner] + 7 * visit_index
    other = first[clinic[visit_owner]] + (
        rng.random(visit_owner.size) * per_clinic[clinic[visit_owner]]
    ).astype(np.int64)
    visit_therapist = np.where(rng.random(visit_owner.size) < 0.8, main[visit_owner], other)
    preferred = rng.integers(0, len(MODALITIES), size=n)
    modality = np.where(
        rng.random(visit_owner.size) < 0.7,
        preferred[visit_owner],
        rng.integers(0, len(MODALITIES), size=visit_owner.size),
    )
    minutes = rng.choice(np.array([30, 45, 60, 90]), size=visit_owner.size)
    pressure = rng.integers(0, len(PRESSURES), size=visit_owner.size)
    ratings = rng.integers(0, 11, size=(visit_owner.size, len(RATING_COLUMNS)))
    population = _population(rng, age)

    out.mkdir(parents=True, exist_ok=True)
    visit_bounds = np.concatenate([[0], np.cumsum(np.bincount(clinic[visit_owner],
                                                              minlength=clinics))])  # fmt: skip
    modality_names = np.array(MODALITIES, dtype=object)
    pressure_names = np.array(PRESSURES, dtype=object)
    totals_nullable = pd.array(totals, dtype="Int64")
    totals_nullable[missing] = pd.NA
    counts = dict.fromkeys(TABLES, 0)
    con = duckdb.connect()
    for i in range(clinics):
        c = slice(i * clients_per_clinic, (i + 1) * clients_per_clinic)
        s = slice(c.start * SCORES_PER_CLIENT, c.stop * SCORES_PER_CLIENT)
        v = slice(int(visit_bounds[i]), int(visit_bounds[i + 1]))
        end = _dates(start[c] + length[c])
        end[ongoing[c]] = ""
        frames = {
            "clients": pd.DataFrame({
                "pid": pids[c], "site": sites[i],
                "age": np.where(age[c] > 89, "90+", age[c].astype(str)).astype(object),
                "zip3": np.char.zfill((100 + (clinic[c] * 7) % 899).astype(str), 3).astype(object),
                **{name: values[c] for name, values in population.items()},
            }),
            "episodes": pd.DataFrame({
                "pid": pids[c], "episode": episodes[c], "start": _dates(start[c]),
                "end": end, "diagnoses": "F33.1",
            }),
            "scores": pd.DataFrame({
                "pid": pids[score_owner[s]], "seq": seq[s], "instrument": instrument[s],
                "date": _dates(score_day[s]), "total": totals_nullable[s],
                "severity": severity[s],
            }),
            "visits": pd.DataFrame({
                "pid": pids[visit_owner[v]], "episode": episodes[visit_owner[v]],
                "therapist": therapists[visit_therapist[v]], "date": _dates(visit_day[v]),
                "minutes": minutes[v], "modality": modality_names[modality[v]],
                "pressure": pressure_names[pressure[v]],
                **{name: ratings[v, j] for j, name in enumerate(RATING_COLUMNS)},
            }),
        }  # fmt: skip
        folder = out / f"clinic-{i + 1:04d}"
        folder.mkdir(exist_ok=True)
        for table in TABLES:
            write_parquet(
                frames[table][columns(table)], table, folder / f"{table}.parquet", con=con
            )
            counts[table] += len(frames[table])
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "deidentification": "synthetic data (touchstone network generate)",
            "tables": list(TABLES),
            "counts": {table: len(frames[table]) for table in TABLES},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    con.close()
    return Generated(out, clinics, counts)
