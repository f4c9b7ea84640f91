"""Expected trajectories from the clinic's own history, and who is not on track.

The model (``science.trajectories``, checked against lme4) is
``score ~ weeks * baseline + (weeks | client)``: follow-up scores of each client, weeks since
their first (baseline) score, baseline severity as covariate, a random intercept and slope per
client. It is fitted on the clinic's completed PHQ-9 and GAD-7 scores, stored as a
``TrajectoryFit`` row (parameters only) by ``outcomes.actions`` — refitted when older than
:data:`FIT_MAX_AGE` or by ``touchstone fit-trajectories``.

* :func:`client_trajectories` — the panel on a client's progress page (one query per page
  besides the stored fits).
* :func:`not_on_track` — active clients whose latest score is worse than their expected band
  (two queries per instrument, vectorised over clients); the home page and the dashboard
  show it to the people who may read client records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.utils import timezone

from touchstone.accounts.models import Clinic, StaffMember
from touchstone.clients.models import Client
from touchstone.measures.instruments import instrument
from touchstone.measures.models import Administration, Status
from touchstone.outcomes.analytics import raw_frame
from touchstone.outcomes.models import TrajectoryFit
from touchstone.science.trajectories import DEFAULT_LEVEL, TrajectoryModel, fit_trajectory_model
from touchstone.science.trajectories.params import band_at, model_from_params

#: Instruments with an expected-trajectory model.
TRAJECTORY_INSTRUMENTS = ("phq9", "gad7")
#: A stored fit older than this is refitted on the next dashboard view.
FIT_MAX_AGE = dt.timedelta(days=7)
#: Fewest clients with a follow-up before the clinic's model is used. The science core
#: accepts 5 (lme4's floor for a random factor); an expected band for clinical feedback needs
#: a broader history, so Touchstone waits for 20 (a design choice, not a published rule).
MIN_FIT_CLIENTS = 20
#: Follow-ups more than this many weeks after the baseline are left out of the fit (the
#: band is for a course of care, and a linear slope does not hold for years).
HORIZON_WEEKS = 26
#: A client is "active" when their latest score is at most this many weeks old.
ACTIVE_WEEKS = 8
_WEEK = 7 * 86400.0


@dataclass(frozen=True)
class History:
    """Follow-up observations of one instrument: client, weeks since baseline, score,
    baseline (repeated per row), and the time of the observation."""

    client: np.ndarray
    weeks: np.ndarray
    score: np.ndarray
    baseline: np.ndarray
    when: np.ndarray


def history(clinic: Clinic, instrument_id: str, client_id: int | None = None) -> History:
    """Completed scores as follow-ups against each client's first score (one query)."""
    rows = Administration.objects.filter(
        clinic=clinic,
        instrument_id=instrument_id,
        status=Status.COMPLETED,
        total__isnull=False,
        completed_at__isnull=False,
    )
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    data = raw_frame(
        rows.order_by("client_id", "completed_at", "pk").values_list(
            "client_id", "total", "completed_at"
        ),
        ["client", "total", "when"],
    )
    if data.empty:
        empty = np.empty(0)
        return History(empty.astype(np.int64), empty, empty, empty, empty)
    # total and completed_at are filtered non-null above.
    client = data["client"].to_numpy(dtype=np.int64)
    score = data["total"].to_numpy(dtype=np.float64)
    when = pd.to_datetime(data["when"], utc=True, format="ISO8601")
    stamp = (when - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds().to_numpy()
    first = np.r_[True, client[1:] != client[:-1]]
    starts = np.flatnonzero(first)
    index = np.cumsum(first) - 1
    base_score = score[starts][index]
    weeks = (stamp - stamp[starts][index]) / _WEEK
    keep = (weeks > 0) & (weeks <= HORIZON_WEEKS)
    return History(client[keep], weeks[keep], score[keep], base_score[keep], stamp[keep])


def fit_model(clinic: Clinic, instrument_id: str) -> tuple[TrajectoryModel, History]:
    """Fit the clinic's model (raises ``ValueError`` when the history is too thin)."""
    data = history(clinic, instrument_id)
    n_clients = int(np.unique(data.client).size)
    if n_clients < MIN_FIT_CLIENTS:
        raise ValueError(
            f"{n_clients} clients with a follow-up {instrument_id} score; "
            f"an expected trajectory needs at least {MIN_FIT_CLIENTS}"
        )
    model = fit_trajectory_model(
        data.score, data.weeks, data.client, data.baseline, time_by_baseline=True
    )
    return model, data


def stored_models(clinic: Clinic) -> dict[str, TrajectoryModel]:
    """The clinic's usable models by instrument (``outcomes.actions`` fits and stores them)."""
    fits = TrajectoryFit.objects.filter(clinic=clinic)
    return {fit.instrument_id: model_from_params(fit.params) for fit in fits if fit.params}


# --- a client's panel ---------------------------------------------------------------------


@dataclass(frozen=True)
class TrajectoryPanel:
    instrument_id: str
    title: str
    baseline: float
    rows: list[dict[str, Any]]
    latest_not_on_track: bool
    level: float
    spec: dict[str, Any]

    @property
    def chart_id(self) -> str:
        return f"trajectory-{self.instrument_id}"


def _spec(instrument_id: str, grid: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict:
    d = instrument(instrument_id)
    y = {"type": "quantitative", "scale": {"domain": [d.total_min, d.total_max]}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": f"{d.title}: observed scores against the expected band",
        "width": "container",
        "height": 220,
        "layer": [
            {
                "data": {"values": grid},
                "mark": {"type": "area", "opacity": 0.25, "color": "#2d6a75"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative", "title": "Weeks since baseline"},
                    "y": {"field": "lower", **y, "title": f"{instrument_id.upper()} total"},
                    "y2": {"field": "upper"},
                },
            },
            {
                "data": {"values": grid},
                "mark": {"type": "line", "strokeDash": [4, 3], "color": "#2d6a75"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "expected", **y},
                },
            },
            {
                "data": {"values": rows},
                "mark": {"type": "line", "point": {"filled": True, "size": 70}, "color": "#1f2a30"},
                "encoding": {
                    "x": {"field": "week", "type": "quantitative"},
                    "y": {"field": "score", **y},
                    "tooltip": [
                        {"field": "week"},
                        {"field": "score"},
                        {"field": "expected"},
                        {"field": "status"},
                    ],
                },
            },
        ],
    }


def client_trajectories(member: StaffMember, client: Client) -> list[TrajectoryPanel]:
    """Panels for the client's progress page: their scores against the expected band."""
    models = stored_models(member.clinic)
    if not models:
        return []
    rows = list(
        Administration.objects.for_member(member)
        .filter(
            client=client,
            instrument_id__in=list(models),
            status=Status.COMPLETED,
            total__isnull=False,
            completed_at__isnull=False,
        )
        .order_by("completed_at", "pk")
        .values_list("instrument_id", "total", "completed_at")
    )
    panels = []
    for instrument_id, model in models.items():
        mine = [
            (total, when)
            for key, total, when in rows
            if key == instrument_id and total is not None and when is not None
        ]
        if len(mine) < 2:
            continue
        base, start = float(mine[0][0]), mine[0][1]
        weeks = np.array([(when - start).total_seconds() / _WEEK for _, when in mine[1:]])
        scores = np.array([float(total) for total, _ in mine[1:]])
        expected, lower, upper = band_at(model, weeks, base)
        higher = instrument(instrument_id).change.direction == "higher_is_better"
        worse = scores < lower if higher else scores > upper
        table = [
            {
                "date": timezone.localdate(when).isoformat(),
                "week": round(float(w), 1),
                "score": float(s),
                "expected": round(float(e), 1),
                "lower": round(float(lo), 1),
                "upper": round(float(hi), 1),
                "status": "not on track" if bad else "on track",
            }
            for (_, when), w, s, e, lo, hi, bad in zip(
                mine[1:], weeks, scores, expected, lower, upper, worse, strict=True
            )
        ]
        span = max(float(weeks.max()), 12.0)
        grid_weeks = np.linspace(0, span, 25)
        g_exp, g_lo, g_hi = band_at(model, grid_weeks, base)
        grid = [
            {
                "week": round(float(w), 2),
                "expected": float(e),
                "lower": float(lo),
                "upper": float(hi),
            }
            for w, e, lo, hi in zip(grid_weeks, g_exp, g_lo, g_hi, strict=True)
        ]
        panels.append(
            TrajectoryPanel(
                instrument_id=instrument_id,
                title=instrument(instrument_id).title,
                baseline=base,
                rows=table,
                latest_not_on_track=bool(worse[-1]),
                level=DEFAULT_LEVEL,
                spec=_spec(instrument_id, grid, table),
            )
        )
    return panels


# --- the "not on track" list --------------------------------------------------------------


@dataclass(frozen=True)
class OffTrack:
    client: Client
    instrument_id: str
    baseline: float
    latest: float
    expected: float
    upper: float
    weeks: float


def not_on_track(member: StaffMember) -> list[OffTrack]:
    """Active clients whose latest score is worse than their expected band.

    Fixed query count: the stored fits, one history query per instrument and one for the
    clients. Only for roles that may read client records (the caller checks).
    """
    clinic = member.clinic
    models = stored_models(clinic)
    cutoff = (timezone.now() - dt.timedelta(weeks=ACTIVE_WEEKS)).timestamp()
    found: list[tuple[int, str, float, float, float, float, float]] = []
    for instrument_id, model in models.items():
        data = history(clinic, instrument_id)
        if data.client.size == 0:
            continue
        last = np.r_[data.client[1:] != data.client[:-1], True]
        recent = last & (data.when >= cutoff)
        if not recent.any():
            continue
        weeks, scores, base = data.weeks[recent], data.score[recent], data.baseline[recent]
        expected, lower, upper = band_at(model, weeks, base)
        higher = instrument(instrument_id).change.direction == "higher_is_better"
        worse = scores < lower if higher else scores > upper
        for i in np.flatnonzero(worse):
            found.append(
                (
                    int(data.client[recent][i]),
                    instrument_id,
                    float(base[i]),
                    float(scores[i]),
                    float(expected[i]),
                    float(lower[i] if higher else upper[i]),
                    float(weeks[i]),
                )
            )
    clients = (
        Client.objects.for_member(member)
        .filter(archived_at__isnull=True)
        .in_bulk([f[0] for f in found])
    )
    rows = [
        OffTrack(clients[cid], key, base, latest, exp, limit, weeks)
        for cid, key, base, latest, exp, limit, weeks in found
        if cid in clients
    ]
    # Furthest outside the band first.
    return sorted(rows, key=lambda f: -abs(f.latest - f.upper))
