"""Clinic outcomes: one selector that the dashboard, its CSV export and the payer report share.

Usage::

    from touchstone.outcomes.analytics import OutcomeFilters, clinic_outcomes

    report = clinic_outcomes(clinic, OutcomeFilters(start=date(2025, 1, 1), diagnosis="F32"))
    phq9 = report.instrument("phq9")
    phq9.classification.rows, phq9.effect.g, report.tables()["phq9-therapist"]

``clinic_outcomes(scope, filters, deidentified=False)`` takes a ``Clinic`` or a queryset of
``care.Episode`` (already narrowed to one clinic, e.g. a payer's referrals) and returns a
frozen :class:`OutcomesReport`. With ``deidentified=True`` (researchers, or any view filtered
by diagnosis for someone who may not read diagnoses) every count from 1 to 10 and every
value that would give one away is hidden (``science.outcomes.suppress_small_cells``, CMS
cell-size rule), therapists are numbered rather than named, and no client appears anywhere.

**Unit of analysis: the episode of care.** Baseline and follow-up per episode and instrument
are :func:`touchstone.science.episodes.episode_pairs`' (the one definition of every page and
report, docs/statistics.md): the first completed score from 30 days before to 30 days after
the episode's start, and the last one at least one recall period after it, no later than the
episode's end (or today). Episodes with a baseline are counted in the severity mix; episodes
with both enter the change statistics, classified under the clinic's change criteria. The
date filter selects episodes by their start date; the diagnosis filter keeps episodes with
at least one diagnosis whose ICD-10-CM code starts with the given prefix.

**Queries: five, whatever the number of episodes** (episodes, scores, visits by therapist,
visits by modality, therapist names). Everything else is numpy/pandas over whole arrays and
the science core: :func:`touchstone.science.change_batch.change_batch` classifies all
episodes at once (Jacobson & Truax), ``science.outcomes`` gives Wilson intervals, the
pre-post Hedges' g (metafor ``SMCR``) and dose-response.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Count, Exists, Max, Min, OuterRef, QuerySet
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.care.models import Diagnosis, Episode, Modality, Visit
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, Status
from touchstone.science.change_batch import CLASSES, change_batch
from touchstone.science.episodes import episode_pairs
from touchstone.science.outcomes import (
    DEFAULT_SESSION_BINS,
    MIN_CELL_COUNT,
    DoseResponse,
    PrePostEffect,
    Rate,
    RateTable,
    dose_response,
    prepost_hedges_g,
    rate_table,
    suppress_small_cells,
    suppressed_rate_table,
    wilson_interval,
)

#: Instruments the dashboard reports, in display order.
INSTRUMENTS = ("phq9", "gad7", "phq15", "who5")
#: Session-frequency bins in completed visits per week between the first and last visit.
FREQUENCY_BINS = (
    ("one visit", None, None),
    ("less than fortnightly", 0.0, 0.35),
    ("about fortnightly", 0.35, 0.75),
    ("weekly or more", 0.75, math.inf),
)


@dataclass(frozen=True)
class OutcomeFilters:
    """What the report covers: episodes started between ``start`` and ``end`` (inclusive,
    either open), with a diagnosis code starting with ``diagnosis`` (blank: any)."""

    start: dt.date | None = None
    end: dt.date | None = None
    diagnosis: str = ""
    instrument_ids: tuple[str, ...] = INSTRUMENTS

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "diagnosis": self.diagnosis or None,
            "instruments": list(self.instrument_ids),
        }


@dataclass(frozen=True)
class GroupRow:
    """Outcomes of one group of episodes (a therapist, a modality, a dose or frequency bin).

    ``improved`` counts reliably improved episodes including the recovered; ``rate`` and its
    Wilson interval are ``improved / n``; ``mean_change`` is signed so positive is better;
    ``g`` is the pre-post Hedges' g (``None`` below three episodes). Hidden values are
    ``None`` and ``suppressed`` is true."""

    label: str
    n: int | None
    improved: int | None
    unchanged: int | None
    deteriorated: int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    mean_change: float | None
    g: float | None
    g_low: float | None
    g_high: float | None
    suppressed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class InstrumentOutcomes:
    """Every table of the dashboard for one instrument."""

    instrument_id: str
    title: str
    higher_is_better: bool
    n_baseline: int | None
    n_paired: int | None
    severity: RateTable | None
    classification: RateTable | None
    response: RateTable | None
    remission: RateTable | None
    effect: PrePostEffect | None
    by_therapist: tuple[GroupRow, ...]
    by_modality: tuple[GroupRow, ...]
    by_sessions: tuple[GroupRow, ...]
    by_frequency: tuple[GroupRow, ...]
    spearman_rho: float | None
    spearman_p: float | None
    notes: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        return bool(self.n_paired) or bool(self.n_baseline)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every table as CSV-ready rows, keyed ``<instrument>-<table>``."""
        key = self.instrument_id
        out: dict[str, list[dict[str, Any]]] = {}
        for name, table in (
            ("severity", self.severity),
            ("classification", self.classification),
            ("response", self.response),
            ("remission", self.remission),
        ):
            if table is not None:
                out[f"{key}-{name}"] = table.to_rows()
        if self.effect is not None:
            out[f"{key}-effect"] = [self.effect.to_dict()]
        for name, rows in (
            ("therapist", self.by_therapist),
            ("modality", self.by_modality),
            ("sessions", self.by_sessions),
            ("frequency", self.by_frequency),
        ):
            if rows:
                out[f"{key}-{name}"] = [r.to_dict() for r in rows]
        return out


@dataclass(frozen=True)
class OutcomesReport:
    """The clinic outcomes report. ``tables()`` gives every table for CSV export."""

    clinic_id: int
    filters: OutcomeFilters
    deidentified: bool
    generated_at: dt.datetime
    n_episodes: int | None
    instruments: tuple[InstrumentOutcomes, ...] = field(default_factory=tuple)

    def instrument(self, instrument_id: str) -> InstrumentOutcomes:
        for item in self.instruments:
            if item.instrument_id == instrument_id:
                return item
        raise KeyError(instrument_id)

    def tables(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for item in self.instruments:
            out.update(item.tables())
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON (what ``outcomes.summaries`` stores); :func:`report_from_dict` reads it
        back. A float that is not finite (a correlation of constant data) becomes ``None``."""
        return _finite(dataclasses.asdict(self))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _rate_table(data: dict[str, Any] | None) -> RateTable | None:
    if data is None:
        return None
    return RateTable(tuple(Rate(**row) for row in data["rows"]), data["total"], data["level"])


def report_from_dict(data: dict[str, Any]) -> OutcomesReport:
    """The report :meth:`OutcomesReport.to_dict` wrote."""
    f = data["filters"]
    filters = OutcomeFilters(
        start=dt.date.fromisoformat(f["start"]) if f["start"] else None,
        end=dt.date.fromisoformat(f["end"]) if f["end"] else None,
        diagnosis=f["diagnosis"],
        instrument_ids=tuple(f["instrument_ids"]),
    )
    instruments = []
    for item in data["instruments"]:
        groups = {
            key: tuple(GroupRow(**row) for row in item[key])
            for key in ("by_therapist", "by_modality", "by_sessions", "by_frequency")
        }
        effect = item["effect"]
        instruments.append(
            InstrumentOutcomes(
                **{
                    **item,
                    **groups,
                    "severity": _rate_table(item["severity"]),
                    "classification": _rate_table(item["classification"]),
                    "response": _rate_table(item["response"]),
                    "remission": _rate_table(item["remission"]),
                    "effect": PrePostEffect(**effect) if effect is not None else None,
                    "notes": tuple(item["notes"]),
                }
            )
        )
    return OutcomesReport(
        clinic_id=data["clinic_id"],
        filters=filters,
        deidentified=data["deidentified"],
        generated_at=dt.datetime.fromisoformat(data["generated_at"]),
        n_episodes=data["n_episodes"],
        instruments=tuple(instruments),
    )


# --- queries ------------------------------------------------------------------------------


def scope_episodes(scope: Clinic | QuerySet[Episode], filters: OutcomeFilters) -> QuerySet[Episode]:
    """The episodes a report covers (a queryset, not evaluated)."""
    episodes = Episode.objects.filter(clinic=scope) if isinstance(scope, Clinic) else scope.all()
    if filters.start:
        episodes = episodes.filter(started_on__gte=filters.start)
    if filters.end:
        episodes = episodes.filter(started_on__lte=filters.end)
    if filters.diagnosis:
        prefix = filters.diagnosis.strip().upper()
        episodes = episodes.filter(
            Exists(Diagnosis.objects.filter(episode=OuterRef("pk"), code__startswith=prefix))
        )
    return episodes


def _frame(rows: Iterable[tuple[Any, ...]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows), columns=columns)


def raw_frame(queryset: QuerySet[Any], columns: list[str]) -> pd.DataFrame:
    """A ``values_list`` queryset read straight from the cursor into a DataFrame.

    Skips Django's per-value converters (on SQLite, parsing each timestamp into an aware
    datetime is most of the time of a 100,000-row read); datetime columns come back as the
    database gives them (text on SQLite, datetimes on PostgreSQL) and are parsed by pandas in
    one vectorised call (``pd.to_datetime(..., utc=True)``).
    """
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return pd.DataFrame.from_records(rows, columns=columns)


def _episode_scores(
    episodes: pd.DataFrame, scores: pd.DataFrame, today: dt.date, instrument_ids: Iterable[str]
) -> pd.DataFrame:
    """Baseline and follow-up per (episode, instrument): ``science.episodes.episode_pairs``
    over all the report's episodes at once, one call per instrument."""
    columns = ["episode_id", "instrument_id", "pre", "post", "pre_day", "post_day"]
    if episodes.empty or scores.empty:
        return pd.DataFrame(columns=columns)
    frames = []
    for instrument_id in instrument_ids:
        mine = scores[scores["instrument_id"] == instrument_id]
        pairs = episode_pairs(
            episodes["client_id"].to_numpy(dtype=np.int64),
            episodes["started_on"].to_numpy(dtype="datetime64[D]"),
            episodes["ended_on"].to_numpy(dtype="datetime64[D]"),
            mine["client_id"].to_numpy(dtype=np.int64),
            mine["local"].to_numpy(dtype="datetime64[ns]"),
            mine["total"].to_numpy(dtype=float),
            min_days=instrument(instrument_id).min_followup_days,
            until=np.datetime64(today, "D"),
        )
        keep = pairs.has_baseline
        frames.append(
            pd.DataFrame(
                {
                    "episode_id": episodes["episode_id"].to_numpy()[keep],
                    "instrument_id": instrument_id,
                    "pre": pairs.pre[keep],
                    "post": pairs.post[keep],
                    "pre_day": pairs.pre_day[keep],
                    "post_day": pairs.post_day[keep],
                },
                columns=columns,
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _visit_features(by_therapist: pd.DataFrame, by_modality: pd.DataFrame) -> pd.DataFrame:
    """Per episode: main therapist, main modality, sessions and sessions per week."""
    if by_therapist.empty:
        return pd.DataFrame(
            columns=["episode_id", "therapist_id", "modality", "sessions", "per_week"]
        ).set_index("episode_id")
    t = by_therapist.sort_values(["episode_id", "n", "therapist_id"], ascending=[True, False, True])
    main = t.drop_duplicates("episode_id").set_index("episode_id")[["therapist_id"]]
    agg = by_therapist.groupby("episode_id").agg(
        sessions=("n", "sum"), first=("first", "min"), last=("last", "max")
    )
    span_weeks = (agg["last"] - agg["first"]).dt.total_seconds() / (7 * 86400)
    per_week = (agg["sessions"] - 1) / span_weeks.where(span_weeks > 0)
    m = by_modality.sort_values(["episode_id", "n", "modality"], ascending=[True, False, True])
    modality = m.drop_duplicates("episode_id").set_index("episode_id")[["modality"]]
    features = main.join(agg[["sessions"]]).join(per_week.rename("per_week")).join(modality)
    return features


# --- statistics ---------------------------------------------------------------------------


def _g(pre: np.ndarray, post: np.ndarray, higher_is_better: bool) -> PrePostEffect | None:
    try:
        return prepost_hedges_g(pre, post, higher_is_better=higher_is_better)
    except ValueError:
        return None  # fewer than three pairs, or no spread at baseline


def _group_rows(
    labels: np.ndarray,
    order: list[str],
    classes: np.ndarray,
    pre: np.ndarray,
    post: np.ndarray,
    gain: np.ndarray,
    higher_is_better: bool,
    deidentified: bool,
) -> tuple[GroupRow, ...]:
    present = [label for label in order if np.any(labels == label)]
    if not present:
        return ()
    improved_codes = (CLASSES.index("recovered"), CLASSES.index("improved"))
    counts = np.array(
        [
            [
                int(np.isin(classes[labels == label], improved_codes).sum()),
                int((classes[labels == label] == CLASSES.index("unchanged")).sum()),
                int((classes[labels == label] == CLASSES.index("deteriorated")).sum()),
            ]
            for label in present
        ],
        dtype=np.int64,
    )
    sizes = np.array([int((labels == label).sum()) for label in present])
    known = counts.sum(axis=1)
    hidden = np.zeros_like(counts, dtype=bool)
    row_hidden = np.zeros(len(present), dtype=bool)
    if deidentified:
        mask = suppress_small_cells(np.column_stack([counts, sizes - known]))
        hidden = mask.cells[:, :3]
        row_hidden = mask.row_totals | ((sizes >= 1) & (sizes < MIN_CELL_COUNT))
    rows = []
    for i, label in enumerate(present):
        inside = labels == label
        if row_hidden[i]:
            rows.append(GroupRow(label, None, None, None, None, None, None, None, None, None,
                                 None, None, suppressed=True))  # fmt: skip
            continue
        rate = lo = hi = None
        if known[i] and not hidden[i, 0]:
            rate = counts[i, 0] / known[i]
            lo_a, hi_a = wilson_interval(counts[i, 0], known[i])
            lo, hi = float(lo_a), float(hi_a)
        effect = _g(pre[inside], post[inside], higher_is_better)
        cells = [None if hidden[i, j] or not known[i] else int(counts[i, j]) for j in range(3)]
        rows.append(
            GroupRow(
                label=label,
                n=int(sizes[i]),
                improved=cells[0],
                unchanged=cells[1],
                deteriorated=cells[2],
                rate=rate,
                ci_low=lo,
                ci_high=hi,
                mean_change=float(gain[inside].mean()),
                g=None if effect is None else effect.g,
                g_low=None if effect is None else effect.ci_low,
                g_high=None if effect is None else effect.ci_high,
                suppressed=bool(hidden[i].any()),
            )
        )
    return tuple(rows)


def _rates(counts: dict[str, int], deidentified: bool) -> RateTable | None:
    if deidentified and sum(counts.values()) < MIN_CELL_COUNT:
        # 0 looks like 1-10: an empty table must not say "none" where a small one says
        # "hidden" (a one-episode window with a diagnosis filter would tell that diagnosis).
        hidden = tuple(Rate(c, None, None, None, None, None, suppressed=True) for c in counts)
        return RateTable(rows=hidden, total=None, level=0.95)
    if sum(counts.values()) < 1:
        return None
    return suppressed_rate_table(counts) if deidentified else rate_table(counts)


def _instrument_outcomes(
    instrument_id: str,
    pairs: pd.DataFrame,
    baselines: pd.DataFrame,
    features: pd.DataFrame,
    therapist_names: dict[int, str],
    deidentified: bool,
    criteria: str,
) -> InstrumentOutcomes:
    definition = instrument(instrument_id)
    higher = definition.change.direction == "higher_is_better"
    notes: list[str] = []
    base_scores = baselines["pre"].to_numpy(dtype=float)
    severity = None
    if base_scores.size or deidentified:  # de-identified, "none" looks like "hidden"
        bands = definition.bands
        severity = _rates(
            {b.label: int(((base_scores >= b.min) & (base_scores <= b.max)).sum()) for b in bands},
            deidentified,
        )
    pre = pairs["pre"].to_numpy(dtype=float)
    post = pairs["post"].to_numpy(dtype=float)
    n = pre.size
    hide_n = deidentified and n < MIN_CELL_COUNT
    n_base = int(base_scores.size)
    empty = InstrumentOutcomes(
        instrument_id, definition.title, higher,
        None if deidentified and n_base < MIN_CELL_COUNT else n_base,
        None if hide_n else n, severity, None, None, None, None, (), (), (), (), None, None,
        ("Fewer than 11 episodes with a follow-up: figures hidden.",) if hide_n else (),
    )  # fmt: skip
    if n == 0 or hide_n:
        return empty
    batch = change_batch(definition, pre, post, criteria=criteria)
    classes = batch.classification
    classification = None
    if np.all(classes >= 0):
        classification = _rates(
            {name: int((classes == i).sum()) for i, name in enumerate(CLASSES)}, deidentified
        )
    else:
        notes.append(
            "No reliability data for this instrument, so reliable change (and the "
            "recovered / improved / unchanged / deteriorated classes) cannot be computed."
        )
    response = remission = None
    if batch.response_known.any():
        k, m = int(batch.response.sum()), int(batch.response_known.sum())
        response = _rates({"response": k, "no response": m - k}, deidentified)
    if batch.remission_known.any():
        k, m = int(batch.remission.sum()), int(batch.remission_known.sum())
        remission = _rates({"remission": k, "no remission": m - k}, deidentified)
    effect = _g(pre, post, higher)
    joined = pairs[["episode_id"]].join(features, on="episode_id")
    args = (classes, pre, post, batch.gain, higher, deidentified)
    therapist_ids = joined["therapist_id"].to_numpy()
    t_labels = np.array(
        [therapist_names.get(int(t), "") if pd.notna(t) else "no visits" for t in therapist_ids],
        dtype=object,
    )
    t_order = sorted(set(t_labels.tolist()), key=lambda s: (-int((t_labels == s).sum()), s))
    modality_names = dict(Modality.choices)
    m_labels = np.array(
        [modality_names.get(m, "no visits") if isinstance(m, str) else "no visits"
         for m in joined["modality"].to_numpy()],
        dtype=object,
    )  # fmt: skip
    m_order = sorted(set(m_labels.tolist()), key=lambda s: (-int((m_labels == s).sum()), s))
    sessions = joined["sessions"].fillna(0).to_numpy(dtype=float)
    improved = np.isin(classes, (0, 1))
    dose: DoseResponse = dose_response(sessions, post - pre, improved, higher_is_better=higher)
    s_labels = np.full(n, "no visits", dtype=object)
    for b, (low, high) in zip(dose.bins, itertools.pairwise(DEFAULT_SESSION_BINS), strict=True):
        s_labels[(sessions >= low) & (sessions < high)] = b.label
    s_order = [b.label for b in dose.bins] + ["no visits"]
    per_week = joined["per_week"].to_numpy(dtype=float)
    f_labels = np.full(n, FREQUENCY_BINS[0][0], dtype=object)
    for label, low_f, high_f in FREQUENCY_BINS[1:]:
        assert low_f is not None and high_f is not None
        f_labels[(per_week >= low_f) & (per_week < high_f)] = label
    f_labels[sessions == 0] = "no visits"
    f_order = [b[0] for b in FREQUENCY_BINS] + ["no visits"]
    show_trend = not deidentified or n >= MIN_CELL_COUNT
    return InstrumentOutcomes(
        instrument_id=instrument_id,
        title=definition.title,
        higher_is_better=higher,
        n_baseline=empty.n_baseline,
        n_paired=n,
        severity=severity,
        classification=classification,
        response=response,
        remission=remission,
        effect=effect,
        by_therapist=_group_rows(t_labels, t_order, *args),
        by_modality=_group_rows(m_labels, m_order, *args),
        by_sessions=_group_rows(s_labels, s_order, *args),
        by_frequency=_group_rows(f_labels, f_order, *args),
        spearman_rho=dose.spearman_rho if show_trend else None,
        spearman_p=dose.spearman_p if show_trend else None,
        notes=tuple(notes),
    )


def clinic_outcomes(
    scope: Clinic | QuerySet[Episode],
    filters: OutcomeFilters | None = None,
    *,
    deidentified: bool = False,
    today: dt.date | None = None,
    criteria: str | None = None,
) -> OutcomesReport:
    """The outcomes report of a clinic (or of a queryset of one clinic's episodes).

    Parameters
    ----------
    scope : Clinic or QuerySet of care.Episode
        Whose episodes. A queryset must already be limited to one clinic.
    filters : OutcomeFilters, optional
        Date range (episode start), ICD-10-CM prefix, instruments.
    deidentified : bool
        Small-cell suppression and numbered therapists (researcher views).
    today : date, optional
        End of open episodes (default: today in the clinic's time zone).
    criteria : str, optional
        How change is judged (``science.change.CRITERIA``); default: the clinic's setting
        when ``scope`` is a Clinic, else Jacobson & Truax.

    Returns
    -------
    OutcomesReport
    """
    filters = filters or OutcomeFilters()
    today = today or timezone.localdate()
    if criteria is None:
        criteria = scope.change_criteria if isinstance(scope, Clinic) else "jacobson-truax"
    episodes_qs = scope_episodes(scope, filters)
    clinic_id = scope.pk if isinstance(scope, Clinic) else None
    episodes = _frame(
        episodes_qs.values_list("id", "client_id", "started_on", "ended_on", "clinic_id"),
        ["episode_id", "client_id", "started_on", "ended_on", "clinic_id"],
    )
    if clinic_id is None:
        clinic_id = int(episodes["clinic_id"].iloc[0]) if not episodes.empty else 0
    for column in ("started_on", "ended_on"):
        episodes[column] = pd.to_datetime(episodes[column])
    scores = raw_frame(
        Administration.objects.filter(
            client_id__in=episodes_qs.values("client_id"),
            status=Status.COMPLETED,
            total__isnull=False,
            completed_at__isnull=False,
            instrument_id__in=filters.instrument_ids,
        )
        .order_by("completed_at", "pk")
        .values_list("client_id", "instrument_id", "total", "completed_at"),
        ["client_id", "instrument_id", "total", "when"],
    )
    if not scores.empty:
        local = pd.to_datetime(scores["when"], utc=True, format="ISO8601").dt.tz_convert(
            timezone.get_current_timezone()
        )
        scores["local"] = local.dt.tz_localize(None)
    else:
        scores["local"] = pd.Series(dtype="datetime64[ns]")
    visits = Visit.objects.filter(episode_id__in=episodes_qs.values("id"), status="completed")
    by_therapist = raw_frame(
        visits.values("episode_id", "therapist_id")
        .annotate(n=Count("id"), first=Min("starts_at"), last=Max("starts_at"))
        .values_list("episode_id", "therapist_id", "n", "first", "last")
        .order_by(),
        ["episode_id", "therapist_id", "n", "first", "last"],
    )
    by_modality = _frame(
        visits.values("episode_id", "modality")
        .annotate(n=Count("id"))
        .values_list("episode_id", "modality", "n")
        .order_by(),
        ["episode_id", "modality", "n"],
    )
    for column in ("first", "last"):
        by_therapist[column] = pd.to_datetime(by_therapist[column], utc=True, format="ISO8601")
    features = _visit_features(by_therapist, by_modality)
    therapist_ids = sorted({int(t) for t in features["therapist_id"].dropna()})
    if deidentified:
        busiest = features["therapist_id"].value_counts()
        ranked = sorted(therapist_ids, key=lambda t: (-int(busiest.get(t, 0)), t))
        names = {t: f"Therapist {i + 1}" for i, t in enumerate(ranked)}
    else:
        names = {
            m.pk: m.display_name
            for m in StaffMember.objects.filter(pk__in=therapist_ids).select_related("user")
        }
    per_episode = _episode_scores(
        episodes[["episode_id", "client_id", "started_on", "ended_on"]],
        scores,
        today,
        filters.instrument_ids,
    )
    results = []
    for instrument_id in filters.instrument_ids:
        mine = per_episode[per_episode["instrument_id"] == instrument_id]
        pairs = mine.dropna(subset=["post"])
        results.append(
            _instrument_outcomes(
                instrument_id, pairs, mine, features, names, deidentified, criteria
            )
        )
    n_episodes = len(episodes)
    return OutcomesReport(
        clinic_id=clinic_id,
        filters=filters,
        deidentified=deidentified,
        generated_at=timezone.now(),
        n_episodes=None if deidentified and n_episodes < MIN_CELL_COUNT else n_episodes,
        instruments=tuple(results),
    )
