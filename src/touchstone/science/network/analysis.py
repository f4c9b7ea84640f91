"""The research network's pooled analyses, the same on every engine.

:func:`analyze` loads a checked :class:`~.inputs.Network` into an engine, builds the table of
episode pairs (:func:`.queries.pairs`) and asks for integer sums per group; everything after
that is computed here from those integers, so DuckDB and Spark give identical results:

* outcomes by clinic, therapist (within clinic), modality, dose (completed visits of the
  episode, the dashboard's bins), age band and each population column the exports carry:
  Jacobson-Truax classification rates, response and remission with Wilson intervals, mean
  change and the pre-post Hedges' g (:mod:`touchstone.science.outcomes`);
* the per-clinic pre-post g pooled by the REML random-effects model
  (:func:`touchstone.science.meta.models.rma`, clinic as the study);
* benchmarking: each clinic's rates and effect against the network's median and quartiles;
* the body (export version 4 on): cortisol, RMSSD and mean heart rate before against after a
  visit, and the sleep diary's first week of nights against the last, per clinic and pooled;
* the controlled studies: a registered stepped-wedge study across the network's clinics
  (export version 6 on; :mod:`.stepped_wedge`), when the coordinator names one.

Sections are the functions of :data:`SECTIONS` (see docs/network.md).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.instruments import load_instrument
from touchstone.science.meta.models import rma
from touchstone.science.network import queries
from touchstone.science.network.engines import Engine, Part
from touchstone.science.network.inputs import ClinicExport, Network, NetworkInputError
from touchstone.science.network.stepped_wedge import Study, check_network, study_section, today
from touchstone.science.outcomes import (
    DEFAULT_SESSION_BINS,
    prepost_effect_from_summary,
    rate_table,
    session_bin_label,
)
from touchstone.science.research_format import SAFE_HARBOR, TABLES

RESULTS_FORMAT = "touchstone-network-results"
#: 2: the body section, and exports of versions 3 to 5 pooled together.
#: 3: outcomes by fee tier (export version 6), the stepped-wedge study in
#: ``controlled_studies``.
RESULTS_VERSION = 3
INSTRUMENTS = ("phq9", "gad7")
#: A clinic enters the benchmark distribution with at least this many episode pairs (the
#: small-cell threshold of the de-identified views, science.outcomes.MIN_CELL_COUNT).
MIN_BENCHMARK_PAIRS = 11
#: Age bands of the by-age table (lower edges; "90+" falls in the last).
AGE_BANDS = ((0, "under 18"), (18, "18-29"), (30, "30-44"), (45, "45-64"), (65, "65+"))


@dataclass(frozen=True)
class Groups:
    """The integer sums of one breakdown: ``{(key..., instrument): {sum name: int}}``."""

    keys: tuple[str, ...]
    sums: dict[tuple[str, ...], dict[str, int]]

    def merged(self, relabel: Callable[[tuple[str, ...]], tuple[str, ...]]) -> Groups:
        """Add up the groups that ``relabel`` maps to one key (exact: integers)."""
        out: dict[tuple[str, ...], dict[str, int]] = {}
        for key, sums in self.sums.items():
            new = (*relabel(key[:-1]), key[-1])
            into = out.setdefault(new, dict.fromkeys(queries.SUMS, 0))
            for name, value in sums.items():
                into[name] += value
        return Groups(self.keys, out)


def change_rows(instrument_id: str) -> list[tuple[Any, ...]]:
    """Every possible (pre, post) pair of an instrument's totals with its change flags,
    computed once by :func:`touchstone.science.change_batch.change_batch`."""
    spec = load_instrument(instrument_id)
    totals = np.arange(spec.total_min, spec.total_max + 1, dtype=float)
    pre, post = (a.ravel() for a in np.meshgrid(totals, totals, indexing="ij"))
    batch = change_batch(spec, pre, post)
    cls = batch.classification
    columns = [
        (cls >= 0),
        *[(cls == CLASSES.index(name)) for name in CLASSES],
        batch.response & batch.response_known,
        batch.response_known,
        batch.remission & batch.remission_known,
        batch.remission_known,
    ]
    flags = np.column_stack(columns).astype(int).tolist()
    return [
        (instrument_id, int(a), int(b), *row)
        for a, b, row in zip(pre.tolist(), post.tolist(), flags, strict=True)
    ]


def _check_ranges(engine: Engine, network: Network, instruments: Sequence[str]) -> None:
    names = {c.site: c.name for c in network.clinics}
    for site, instrument_id, low, high in sorted(engine.rows(queries.range_check(instruments))):
        spec = load_instrument(instrument_id)
        if low < spec.total_min or high > spec.total_max:
            bad = low if low < spec.total_min else high
            raise NetworkInputError(
                f"clinic {names.get(site, site)}: scores.parquet: a {instrument_id} total of "
                f"{bad} is outside {spec.total_min}-{spec.total_max}"
            )


def _summaries(engine: Engine, keys: tuple[str, ...]) -> Groups:
    width = len(keys) + 1
    sums: dict[tuple[str, ...], dict[str, int]] = {}
    for row in engine.rows(queries.summary(keys)):
        key = tuple("" if v is None else str(v) for v in row[:width])
        sums[key] = {name: int(v) for name, v in zip(queries.SUMS, row[width:], strict=True)}
    return Groups(keys, sums)


def _rate(count: int, total: int) -> dict[str, Any] | None:
    if total < 1:
        return None
    row = rate_table({"yes": count}, total).rows[0]
    return {"count": count, "total": total, "proportion": row.proportion,
            "ci_low": row.ci_low, "ci_high": row.ci_high}  # fmt: skip


def group_statistics(sums: dict[str, int], *, higher_is_better: bool) -> dict[str, Any]:
    """Outcome statistics of one group from its integer sums (see :func:`.queries.summary`)."""
    n = sums["n"]
    counts = {name: sums[name] for name in CLASSES}
    classified = sums["classified"]
    out: dict[str, Any] = {
        "n": n,
        "counts": counts,
        "rates": rate_table(counts).to_dict() if classified else None,
        "reliably_improved": _rate(counts["recovered"] + counts["improved"], classified),
        "response": _rate(sums["response"], sums["response_known"]),
        "remission": _rate(sums["remission"], sums["remission_known"]),
        "mean_pre": sums["sx"] / n,
        "mean_post": sums["sy"] / n,
        "mean_gain": (1 if higher_is_better else -1) * (sums["sy"] - sums["sx"]) / n,
        "effect": None,
    }
    # Centred sums as exact integers: n * sum(x^2) - (sum x)^2 = n (n - 1) var(x).
    cxx = n * sums["sxx"] - sums["sx"] ** 2
    cyy = n * sums["syy"] - sums["sy"] ** 2
    cxy = n * sums["sxy"] - sums["sx"] * sums["sy"]
    if n >= 3 and cxx > 0:
        r = cxy / math.sqrt(cxx * cyy) if cyy > 0 else 0.0
        effect = prepost_effect_from_summary(
            n,
            out["mean_pre"],
            out["mean_post"],
            math.sqrt(cxx / (n * (n - 1))),
            r,
            higher_is_better=higher_is_better,
        )
        out["effect"] = {k: effect.to_dict()[k] for k in ("g", "variance", "se", "ci_low",
                                                          "ci_high", "r")}  # fmt: skip
    return out


def _table(
    groups: Groups, instrument_id: str, names: Sequence[str], *, higher_is_better: bool,
    order: Callable[[tuple[str, ...]], Any] = tuple,
) -> list[dict[str, Any]]:  # fmt: skip
    rows = []
    for key in sorted((k[:-1] for k in groups.sums if k[-1] == instrument_id), key=order):
        stats = group_statistics(groups.sums[(*key, instrument_id)],
                                 higher_is_better=higher_is_better)  # fmt: skip
        rows.append({**dict(zip(names, key, strict=True)), **stats})
    return rows


def dose_label(visits: str) -> str:
    """The dashboard's session-count bin of an episode with ``visits`` completed visits."""
    count = int(visits)
    if count < DEFAULT_SESSION_BINS[0]:
        return "no visits"
    for low, high in itertools.pairwise(DEFAULT_SESSION_BINS):
        if low <= count < high:
            return session_bin_label(low, high)
    raise AssertionError("the last bin is open")  # pragma: no cover


def age_band(age: str) -> str:
    """The age band of an exported age ("34", "90+"; blank: unknown)."""
    if not age:
        return "unknown"
    years = int(age.rstrip("+"))
    return [label for low, label in AGE_BANDS if years >= low][-1]


def _order_of(labels: Iterable[str]) -> Callable[[tuple[str, ...]], int]:
    index = {label: i for i, label in enumerate(labels)}
    return lambda key: index.get(key[0], len(index))


def benchmark(by_clinic: list[dict[str, Any]]) -> dict[str, Any]:
    """Each clinic's rates and effect against the network's median and quartiles.

    Clinics with at least :data:`MIN_BENCHMARK_PAIRS` pairs form the distribution;
    quartiles are numpy's default (linear) percentiles, R's ``quantile(type = 7)``. A clinic's
    ``quartile`` is 1 (at or below Q1) to 4 (above Q3), for the metric's direction as given
    (higher rates and effects are better for every metric here).
    """

    def field(name: str, key: str) -> Callable[[dict[str, Any]], float | None]:
        return lambda row: row[name][key] if row[name] is not None else None

    metrics: dict[str, Callable[[dict[str, Any]], float | None]] = {
        "reliably_improved": field("reliably_improved", "proportion"),
        "response": field("response", "proportion"),
        "remission": field("remission", "proportion"),
        "mean_gain": lambda row: row["mean_gain"],
        "g": field("effect", "g"),
    }
    eligible = [r for r in by_clinic if r["n"] >= MIN_BENCHMARK_PAIRS]
    out: dict[str, Any] = {"min_pairs": MIN_BENCHMARK_PAIRS, "clinics": len(eligible),
                           "network": {}, "by_clinic": []}  # fmt: skip
    cuts: dict[str, tuple[float, float, float]] = {}
    for metric, value in metrics.items():
        values = np.array([v for r in eligible if (v := value(r)) is not None], dtype=float)
        if values.size == 0:
            out["network"][metric] = None
            continue
        q1, median, q3 = (float(q) for q in np.percentile(values, [25, 50, 75]))
        cuts[metric] = (q1, median, q3)
        out["network"][metric] = {"clinics": int(values.size), "q1": q1, "median": median,
                                  "q3": q3}  # fmt: skip
    for row in eligible:
        entry: dict[str, Any] = {"clinic": row["clinic"], "site": row["site"]}
        for metric, value in metrics.items():
            v = value(row)
            if v is None or metric not in cuts:
                entry[metric] = None
                continue
            q1, median, q3 = cuts[metric]
            entry[metric] = {"value": v, "quartile": 1 + (v > q1) + (v > median) + (v > q3)}
        out["by_clinic"].append(entry)
    return out


def pooled_effect(by_clinic: list[dict[str, Any]]) -> dict[str, Any]:
    """The clinics' pre-post g pooled by REML (clinic as the study), metafor's ``rma``."""
    included = [r for r in by_clinic if r["effect"] is not None]
    excluded = [r["clinic"] for r in by_clinic if r["effect"] is None]
    out: dict[str, Any] = {"method": "REML", "measure": "pre-post Hedges' g (SMCR)",
                           "clinics": [r["clinic"] for r in included],
                           "excluded": excluded, "result": None}  # fmt: skip
    if len(included) >= 2:
        result = rma([r["effect"]["g"] for r in included],
                     [r["effect"]["variance"] for r in included], method="REML")  # fmt: skip
        out["result"] = result.to_dict()
    else:
        out["reason"] = "fewer than two clinics with an effect size"
    return out


@dataclass
class Context:
    """What every section sees: the engine after loading, the network, the instruments."""

    engine: Engine
    network: Network
    instruments: tuple[str, ...]
    #: The registered stepped-wedge study to analyse, if the coordinator named one.
    study: Study | None = None
    today: dt.date | None = None


def _instrument_tables(
    groups: dict[str, Groups], instrument_id: str, network: Network
) -> dict[str, Any]:
    """Every breakdown of one instrument's pairs."""
    higher = load_instrument(instrument_id).change.direction == "higher_is_better"
    clinic_of = {c.site: c.name for c in network.clinics}
    bins = [session_bin_label(a, b) for a, b in itertools.pairwise(DEFAULT_SESSION_BINS)]
    dose_order = _order_of(["no visits", *bins])
    age_order = _order_of([label for _, label in AGE_BANDS] + ["unknown"])

    def table(
        name: str, names: tuple[str, ...], order: Callable[[tuple[str, ...]], Any] = tuple
    ) -> list[dict[str, Any]]:
        return _table(groups[name], instrument_id, names, higher_is_better=higher, order=order)

    def with_clinic(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        named = [{"clinic": clinic_of.get(row["site"], row["site"]), **row} for row in rows]
        return sorted(named, key=lambda row: (row["clinic"], row.get("therapist", "")))

    overall = table("overall", ())
    section: dict[str, Any] = {
        "overall": overall[0] if overall else {"n": 0},
        "by_clinic": with_clinic(table("clinic", ("site",))),
        "by_therapist": with_clinic(table("therapist", ("site", "therapist"))),
        "by_modality": table("modality", ("modality",)),
        "by_dose": table("dose", ("visits",), dose_order),
        "by_age": table("age", ("age",), age_order),
    }
    for column in network.population:
        section[f"by_{column}"] = table(column, (column,))
    return section


def outcomes_section(ctx: Context) -> dict[str, Any]:
    """Outcomes by clinic, therapist, modality, dose, age and population; REML pooling of the
    clinics; benchmarking."""
    engine, network = ctx.engine, ctx.network
    groups = {
        "overall": _summaries(engine, ()),
        "clinic": _summaries(engine, ("site",)),
        "therapist": _summaries(engine, ("site", "therapist")),
        "modality": _summaries(engine, ("modality",)),
        "dose": _summaries(engine, ("visits",)).merged(lambda k: (dose_label(k[0]),)),
        "age": _summaries(engine, ("age",)).merged(lambda k: (age_band(k[0]),)),
    }
    for column in network.population:
        groups[column] = _summaries(engine, (column,))
    out: dict[str, Any] = {}
    for instrument_id in ctx.instruments:
        section = _instrument_tables(groups, instrument_id, network)
        by_clinic = section["by_clinic"]
        section["pooled"] = pooled_effect(by_clinic)
        section["benchmark"] = benchmark(by_clinic)
        out[instrument_id] = section
    return {"instruments": out}


def controlled_studies_section(ctx: Context) -> dict[str, Any]:
    """The controlled studies of issue 16 §2 across clinics: the registered stepped-wedge
    study the coordinator names (``network analyze --study DIR``), analysed as pre-specified."""
    if ctx.study is None:
        return {
            "controlled_studies": {
                "available": False,
                "reason": "no study named (network analyze --study STUDY_DIR)",
                "studies": [],
            }
        }
    section = study_section(ctx.engine, ctx.network, ctx.study, ctx.today or today())
    return {"controlled_studies": {"available": True, "studies": [section]}}


def change_statistics(sums: dict[str, int], divisor: int) -> dict[str, Any]:
    """Mean before, after and change (after - before) with the change's SD and 95 % t
    interval, from the integer sums of :func:`.queries.visit_change` /
    :func:`.queries.sleep_change` (values times ``divisor``)."""
    from scipy import stats

    n = sums["n"]
    out: dict[str, Any] = {
        "n": n,
        "mean_before": sums["sb"] / (n * divisor),
        "mean_after": sums["sa"] / (n * divisor),
        "mean_change": sums["sd"] / (n * divisor),
        "sd_change": None,
        "se": None,
        "ci_low": None,
        "ci_high": None,
    }
    if n >= 2:
        # n * sum(d^2) - (sum d)^2 = n (n - 1) var(d): an exact integer.
        var = (n * sums["sdd"] - sums["sd"] ** 2) / (n * (n - 1)) / divisor**2
        se = math.sqrt(var / n)
        half = float(stats.t.ppf(0.975, n - 1)) * se
        out.update(sd_change=math.sqrt(var), se=se, ci_low=out["mean_change"] - half,
                   ci_high=out["mean_change"] + half)  # fmt: skip
    return out


def _pooled_change(by_clinic: list[dict[str, Any]]) -> dict[str, Any]:
    """The clinics' mean changes pooled by REML (raw mean difference, clinic as the study)."""
    included = [r for r in by_clinic if r["se"]]
    out: dict[str, Any] = {"method": "REML", "measure": "mean change (after - before)",
                           "clinics": len(included), "result": None}  # fmt: skip
    if len(included) >= 2:
        out["result"] = rma([r["mean_change"] for r in included],
                            [r["se"] ** 2 for r in included], method="REML").to_dict()  # fmt: skip
    return out


def _change_rows(
    engine: Engine, sql_of: Callable[[Sequence[str]], str], width: int
) -> dict[tuple[str, ...], dict[str, int]]:
    out: dict[tuple[str, ...], dict[str, int]] = {}
    for row in engine.rows(sql_of(("site",))):
        key = tuple("" if v is None else str(v) for v in row[:width])
        out[key] = {k: int(v) for k, v in zip(queries.VISIT_SUMS, row[width:], strict=True)}
    return out


def body_section(ctx: Context) -> dict[str, Any]:
    """Cortisol, RMSSD and mean heart rate before against after a visit (the visits with one
    value on each side), and the sleep diary's first week against the last (clients with two
    weeks of nights or more): per clinic, over the network (sums added up: exact), and the
    clinics' means pooled by REML. Uncontrolled before-after changes, like the outcomes."""
    clinic_of = {c.site: c.name for c in ctx.network.clinics}

    def tables(
        rows: dict[tuple[str, ...], dict[str, int]], names: tuple[str, ...], divisor: int
    ) -> list[dict[str, Any]]:
        grouped: dict[tuple[str, ...], dict[str, dict[str, int]]] = {}
        for key, sums in rows.items():
            grouped.setdefault(key[1:], {})[key[0]] = sums
        out = []
        for kind in sorted(grouped):
            per_site = grouped[kind]
            total = {k: sum(s[k] for s in per_site.values()) for k in queries.VISIT_SUMS}
            by_clinic = sorted(
                ({"clinic": clinic_of.get(site, site), "site": site,
                  **change_statistics(sums, divisor)} for site, sums in per_site.items()),
                key=lambda r: r["clinic"],
            )  # fmt: skip
            out.append({**{k: v for k, v in zip(names, kind, strict=True) if v},
                        "overall": change_statistics(total, divisor), "by_clinic": by_clinic,
                        "pooled": _pooled_change(by_clinic)})  # fmt: skip
        return out

    visits = _change_rows(ctx.engine, queries.visit_change, 5)
    sleep = _change_rows(ctx.engine, queries.sleep_change, 2)
    counts: dict[str, dict[str, int]] = {}
    for site, table, count in ctx.engine.rows(queries.BODY_COUNTS):
        counts.setdefault(clinic_of.get(site, site), {})[table] = int(count)
    return {
        "body": {
            "clinics_with_body_tables": [
                c.name for c in ctx.network.clinics if "cortisol" in c.tables
            ],
            "rows_by_clinic": dict(sorted(counts.items())),
            "visit_change": tables(
                visits, ("measure", "analyte", "specimen", "unit"), queries.SCALE
            ),
            "sleep_change": tables(sleep, ("metric",), queries.SLEEP_WEEK * queries.SCALE),
        }
    }


#: The analyses, in order; each returns keys of the result. A new analysis (e.g. the
#: controlled studies once exported) is one more function here.
SECTIONS: tuple[Callable[[Context], dict[str, Any]], ...] = (
    outcomes_section,
    body_section,
    controlled_studies_section,
)


def load(engine: Engine, network: Network) -> None:
    """Load every table of the network into ``engine`` as one view: the clinics' files in
    groups of one kind (mode and schema version), each turned into the view's
    columns by :func:`.queries.view_columns`; a table no clinic has as an empty one."""
    kinds: dict[tuple[str, int], list[ClinicExport]] = {}
    for clinic in network.clinics:
        kinds.setdefault((clinic.mode, clinic.version), []).append(clinic)
    for table in TABLES:
        parts = []
        for (mode, version), clinics in sorted(kinds.items()):
            having = [c for c in clinics if table in c.tables]
            if not having:
                continue
            present = {name for name, _, _ in having[0].columns(table)}
            renames = {a: b for a, b in queries.RENAMES[table].items() if a in present}
            select = queries.view_columns(table, safe_harbor=mode == SAFE_HARBOR,
                                          version=version,
                                          population=network.population)  # fmt: skip
            parts.append(Part(tuple(c.file(table) for c in having), renames, tuple(select)))
        if parts:
            engine.load_parquet(table, parts)
        else:
            engine.load_rows(table, queries.VIEW_TYPES[table], [])


def analyze(
    network: Network,
    engine: Engine,
    instruments: Sequence[str] = INSTRUMENTS,
    *,
    study: Study | None = None,
    on: dt.date | None = None,
) -> dict[str, Any]:
    """Run every section of :data:`SECTIONS` on ``engine``; a JSON-ready dict. ``study``: a
    registered stepped-wedge study whose clinics are in the network (its schedule is unsealed
    only after its last period, judged on ``on``, today in UTC by default).

    Raises
    ------
    NetworkInputError
        A score outside its instrument's range (named by clinic and file), or study data
        that do not fit the study's protocol.
    StudyError
        The study's schedule is still sealed, or its seal is not the registered seed.
    """
    started = time.perf_counter()
    if study is not None:
        check_network(network, study)
        study.schedule(on or today())  # still sealed: refused before any work
    load(engine, network)
    _check_ranges(engine, network, instruments)
    rows = [row for i in instruments for row in change_rows(i)]
    engine.load_rows("change_table", queries.CHANGE_COLUMNS, rows)
    engine.keep("pairs", queries.pairs(instruments, network.population))
    ctx = Context(engine, network, tuple(instruments), study, on)
    result: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "network": {
            "clinics": [
                {
                    "clinic": c.name,
                    "site": c.site,
                    "version": c.version,
                    "mode": c.mode,
                    "counts": c.counts,
                }
                for c in network.clinics
            ],
            "counts": {t: sum(c.counts.get(t, 0) for c in network.clinics) for t in TABLES},
            "population_columns": list(network.population),
        },
    }
    for section in SECTIONS:
        result.update(section(ctx))
    result["run"] = {"engine": engine.name, "seconds": round(time.perf_counter() - started, 3)}
    return result


def _plain(value: Any) -> Any:
    """NaN and infinities become null (JSON has no such numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def write_results(result: dict[str, Any], path: Path) -> None:
    """Write the results as JSON all at once: to a temporary file beside ``path``, then
    renamed over it, so a reader never sees half a file and a failure leaves none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(_plain(result), out, indent=1, allow_nan=False)
            out.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
