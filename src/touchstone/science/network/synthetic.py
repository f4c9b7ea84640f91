"""A deterministic synthetic research network, in the research export's own format.

``generate(out, clinics=N, clients_per_clinic=M, seed=S)`` writes ``N`` clinic exports
(``clinic-0001/`` ...), each the Parquet tables, their CSV copies (unless ``csv=False``) and
the ``manifest.json`` (mode, counts, SHA-256 of every file) of a real export of the current
schema version, in the Safe Harbor mode (day counts) unless ``mode`` says otherwise (not the
data dictionaries). Every number is drawn
with numpy's PCG64 generator from ``seed`` in whole-network arrays, so the same arguments
give byte-identical tables on any machine, and 1,000,000 clients take seconds, not hours.

The model behind the numbers is deliberately simple and only there to give the analyses
something with structure to find: each client has one episode; PHQ-9 and GAD-7 are given
together every two weeks (10 occasions: 20 scores a client); a client's weekly improvement
is the clinic's mean slope plus a therapist effect, scaled by the number of completed visits
(0 to 16), plus noise; about 2 % of totals are not computable (blank); the clients' coded
sex, gender and life-stage columns are drawn independently of the outcomes
(:func:`_population`); the body tables: about 30 % of clients with a salivary cortisol sample
and an HRV recording before and after their first and last visit (cortisol about 15 % lower
after, RMSSD higher, heart rate lower), about 20 % with two weeks of sleep-diary nights from the
start and the last two weeks before the end, sleep efficiency a little better at the end
(:func:`_body`); each client's coded fee tier (export version 6; about 30 % never
assessed), small groups suppressed as the export suppresses them.

With ``stepped_wedge=DIR``, every clinic takes part in a registered stepped-wedge study
(:func:`.stepped_wedge.register`, written to ``DIR``; its seed derived from ``seed``, so the
schedule is deterministic too): ``periods`` periods of equal length over the 540 days in which
episodes start, primary outcome PHQ-9 at 8 weeks ± 7 days. A client's PHQ-9 scores after the
start of their episode move by ``effect`` points when their clinic had crossed over by the
period the episode started in, and by :data:`SECULAR_TREND` points per period for everyone
(improving usual care, which the model's period effects must absorb). The study's clinics
export in the limited data set mode with the ``study_periods`` table (a period is a date
element). Nothing in it is calibrated to real data: it is test and benchmark input, never
evidence.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from touchstone.science.instruments import load_instrument
from touchstone.science.network.stepped_wedge import Study, register
from touchstone.science.research_format import (
    FORMAT,
    LIMITED,
    MANIFEST,
    MODES,
    POSTPARTUM_BINS,
    RATING_COLUMNS,
    SAFE_HARBOR,
    SEX_AT_BIRTH,
    TABLES,
    TIER_BINS,
    VERSION,
    dictionary,
    sha256,
    tier_codes,
    write_parquet,
)
from touchstone.science.trials import stepped_wedge as sw

OCCASIONS = 10
SCORES_PER_CLIENT = 2 * OCCASIONS
MAX_VISITS = 16
MODALITIES = ("swedish", "deep_tissue", "myofascial", "trigger_point", "craniosacral",
              "reflexology", "lymphatic", "prenatal")  # fmt: skip
PRESSURES = ("light", "moderate", "firm")
FIRST_DAY = np.datetime64("2024-01-01")
#: Episodes start on one of this many days from FIRST_DAY.
START_DAYS = 540
#: A stepped-wedge study's change of every client's PHQ-9 per period (usual care improving).
SECULAR_TREND = -0.4
#: Share of clients never assessed for a fee tier, then of each tier code.
TIER_SHARES = (0.3, 0.1, 0.2, 0.15, 0.25)


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


def _body(
    rng: np.random.Generator, start: np.ndarray, length: np.ndarray, visits: np.ndarray
) -> dict[str, dict[str, np.ndarray]]:
    """Whole-network body tables: ``owner`` (client index) and ``day`` (days since the
    episode start, the client's day 0) in each, sorted by owner (see the module notes)."""
    n = start.size
    # Cortisol and HRV: before and after the first and the last visit (clients with 2+).
    measured = np.flatnonzero((visits >= 2) & (rng.random(n) < 0.3))
    owner = np.repeat(measured, 4)
    day = np.repeat(7 * (visits[measured] - 1), 4)
    day[0::4] = day[1::4] = 0
    timing = np.tile(np.array(["before", "after"], dtype=object), 2 * measured.size)
    after = timing == "after"
    before_value = np.exp(rng.normal(np.log(12.0), 0.35, size=owner.size))
    cortisol = np.where(after, before_value * np.exp(rng.normal(-0.15, 0.2, owner.size)),
                        before_value)  # fmt: skip
    rmssd = np.clip(rng.normal(35.0, 12.0, size=owner.size), 5.0, None)
    rmssd = np.where(after, rmssd + rng.normal(4.0, 6.0, owner.size).clip(-rmssd + 3), rmssd)
    mean_hr = rng.normal(72.0, 8.0, size=owner.size)
    mean_hr = np.where(after, mean_hr + rng.normal(-3.0, 3.0, owner.size), mean_hr)
    sdnn = rmssd * rng.uniform(1.1, 1.6, size=owner.size)
    lf = rng.lognormal(6.5, 0.6, size=owner.size)
    hf = rng.lognormal(6.0, 0.7, size=owner.size)
    n_beats = np.rint(5.0 * mean_hr).astype(np.int64)
    common = {"owner": owner, "day": day, "timing": timing}
    out: dict[str, dict[str, np.ndarray]] = {
        "cortisol": {**common, "value": np.round(cortisol, 2),
                     "minutes_since_waking": rng.integers(60, 600, size=owner.size)},
        "hrv": {**common, "duration_s": np.full(owner.size, 300.0), "n_beats": n_beats,
                "n_corrected": rng.integers(0, 4, size=owner.size),
                "mean_hr": np.round(mean_hr, 1), "sdnn": np.round(sdnn, 2),
                "rmssd": np.round(rmssd, 2), "pnn50": np.round(rng.uniform(2, 40, owner.size), 2),
                "lf": np.round(lf, 1), "hf": np.round(hf, 1), "lf_hf": np.round(lf / hf, 3)},
    }  # fmt: skip
    # Sleep: 14 nights from the start and 14 before the end (about 20 % of clients).
    diarists = np.flatnonzero(rng.random(n) < 0.2)
    owner = np.repeat(diarists, 28)
    index = np.tile(np.arange(28), diarists.size)
    day = np.where(index < 14, index, length[owner] - 28 + index)
    late = (index >= 14).astype(float)
    tib = rng.normal(480.0, 30.0, size=owner.size).clip(300, 660)
    se = (rng.normal(78.0, 8.0, size=owner.size) + 4.0 * late).clip(30, 100)
    tst = tib * se / 100.0
    sol = np.rint((tib - tst) * rng.uniform(0.3, 0.6, owner.size)).astype(np.int64)
    waso = np.rint(tib - tst).astype(np.int64) - sol
    out["sleep"] = {
        "owner": owner, "day": day, "sol_min": sol, "awakenings": rng.integers(0, 5, owner.size),
        "waso_min": waso, "quality": rng.integers(1, 6, size=owner.size),
        "tib_min": np.round(tib, 1), "tst_min": np.round(tst, 1), "se_pct": np.round(se, 1),
        "twt_min": np.round(tib - tst, 1),
        "entered": np.full(owner.size, "portal", dtype=object),
    }  # fmt: skip
    return out


def _study(directory: Path, clinics: int, clients_per_clinic: int, seed: int,
           periods: int, effect: float) -> Study:  # fmt: skip
    """Register the synthetic network's stepped-wedge study (seed derived from ``seed``)."""
    period_days = START_DAYS // periods
    draft = {
        "id": "synthetic-sw",
        "title": "Massage in routine care across the network (synthetic stepped wedge)",
        "question": "Does adding massage to routine care lower PHQ-9 at 8 weeks?",
        "clinics": [f"clinic-{i + 1:04d}" for i in range(clinics)],
        "periods": periods,
        "start": str(FIRST_DAY),
        "period_days": period_days,
        "primary_outcome": {"instrument_id": "phq9", "weeks": 8, "window_days": 7},
        "power": {
            "clients_per_clinic_period": max(1, clients_per_clinic // periods),
            "difference": effect,
            "sigma": 5.5,
            "icc": 0.05,
        },
    }
    derived = hashlib.sha256(f"touchstone-network-generate/{seed}".encode()).digest()
    return register(draft, directory, seed=derived)


def _dates(days: np.ndarray) -> np.ndarray:
    return (FIRST_DAY + days.astype("timedelta64[D]")).astype(str).astype(object)


def generate(
    out: Path,
    *,
    clinics: int,
    clients_per_clinic: int,
    seed: int,
    mode: str = SAFE_HARBOR,
    csv: bool = True,
    stepped_wedge: Path | None = None,
    periods: int = 5,
    effect: float = -3.0,
) -> Generated:
    """Write a synthetic network of ``clinics`` exports into ``out`` (see the module notes),
    with a registered stepped-wedge study in ``stepped_wedge`` if given."""
    if clinics < 1 or clients_per_clinic < 1:
        raise ValueError("need at least one clinic and one client per clinic")
    if mode not in MODES:
        raise ValueError(f"unknown research export mode {mode!r}")
    study = None
    if stepped_wedge is not None:
        study = _study(stepped_wedge, clinics, clients_per_clinic, seed, periods, effect)
        mode = LIMITED
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
    start = rng.integers(0, START_DAYS, size=n)
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
    period = np.zeros(n, dtype=np.int64)
    if study is not None:
        period = 1 + start // int(study.content["calendar"]["period_days"])
        crossing = sw.schedule(
            hashlib.sha256(f"touchstone-network-generate/{seed}".encode()).digest(),
            study.clinics,
            study.periods,
        )
        crosses = np.array([crossing[name] for name in sorted(crossing)])
        shift = SECULAR_TREND * (period - 1) + effect * (period >= crosses[clinic])
        phq += shift[owner] * (occasion >= 1)
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
    body = _body(rng, start, length, visits)
    tier_names = np.array(["", *(code for code, _, _ in TIER_BINS)], dtype=object)
    tier = tier_names[np.searchsorted(np.cumsum(TIER_SHARES), rng.random(n), side="right")
                      .clip(0, len(TIER_SHARES) - 1)]  # fmt: skip
    body_bounds = {
        table: np.searchsorted(values["owner"], np.arange(clinics + 1) * clients_per_clinic)
        for table, values in body.items()
    }
    spec = dictionary(mode, diagnoses=True)

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
        end_day = pd.array(length[c], dtype="Int64")
        end_day[ongoing[c]] = pd.NA
        start_year = (FIRST_DAY + start[c].astype("timedelta64[D]")).astype("datetime64[Y]")
        # Safe Harbor's day 0 is the client's (only) episode start.
        score_days = score_day[s] - start[score_owner[s]]
        visit_days = visit_day[v] - start[visit_owner[v]]
        frames = {
            "clients": pd.DataFrame({
                "pid": pids[c], "site": sites[i],
                "age": np.where(age[c] > 89, "90+", age[c].astype(str)).astype(object),
                "zip3": np.char.zfill((100 + (clinic[c] * 7) % 899).astype(str), 3).astype(object),
                **{name: values[c] for name, values in population.items()},
                "tier": tier_codes(list(tier[c])),
            }),
            "episodes": pd.DataFrame({
                "pid": pids[c], "episode": episodes[c], "start": _dates(start[c]),
                "end": end, "start_year": start_year.astype(np.int64) + 1970,
                "start_day": 0, "end_day": end_day, "diagnoses": "F33.1",
            }),
            "scores": pd.DataFrame({
                "pid": pids[score_owner[s]], "seq": seq[s], "instrument": instrument[s],
                "date": _dates(score_day[s]), "day": score_days, "total": totals_nullable[s],
                "severity": severity[s], "validated": "yes",
            }),
            "visits": pd.DataFrame({
                "pid": pids[visit_owner[v]], "episode": episodes[visit_owner[v]],
                "therapist": therapists[visit_therapist[v]], "date": _dates(visit_day[v]),
                "day": visit_days,
                "minutes": minutes[v], "modality": modality_names[modality[v]],
                "pressure": pressure_names[pressure[v]],
                **{name: ratings[v, j] for j, name in enumerate(RATING_COLUMNS)},
            }),
        }  # fmt: skip
        in_study = period[c] >= 1
        frames["study_periods"] = pd.DataFrame({
            "study": study.id if study else "", "episode": episodes[c][in_study],
            "period": period[c][in_study],
        })  # fmt: skip
        for table, values in body.items():
            b = slice(int(body_bounds[table][i]), int(body_bounds[table][i + 1]))
            owner = values["owner"][b]
            frame = pd.DataFrame({k: v[b] for k, v in values.items() if k not in ("owner",)})
            frame.insert(0, "pid", pids[owner])
            if table != "sleep":
                frame.insert(1, "episode", episodes[owner])
            frame["date"] = _dates(start[owner] + frame["day"].to_numpy())
            if table == "cortisol":
                frame = frame.assign(analyte="cortisol", specimen="saliva", unit="nmol/L")
            if table == "hrv":
                frame["artifact_method"] = "median-filter"
            frames[table] = frame
        folder = out / f"clinic-{i + 1:04d}"
        folder.mkdir(exist_ok=True)
        names = []
        for table in TABLES:
            frame = frames[table][[c for c, _, _ in spec[table]]]
            write_parquet(frame, table, folder / f"{table}.parquet", spec, con=con)
            names.append(f"{table}.parquet")
            if csv:
                con.execute(
                    f"COPY (SELECT * FROM read_parquet('{folder / table}.parquet')) "  # noqa: S608
                    f"TO '{folder / table}.csv' (HEADER, DELIMITER ',')"
                )
                names.append(f"{table}.csv")
            counts[table] += len(frame)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "mode": mode,
            "deidentification": "synthetic data (touchstone network generate); " + MODES[mode],
            "diagnoses": True,
            "tables": list(TABLES),
            "counts": {table: len(frames[table]) for table in TABLES},
            "sha256": {name: sha256(folder / name) for name in names},
            "studies": {study.id: study.sha256} if study else {},
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    con.close()
    return Generated(out, clinics, counts)
